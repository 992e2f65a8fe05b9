using ActorSync.Cli;
using ActorSync.Data.MySql;
using ActorSync.Tooling;
using ActorSync.Data.Sqlite;
using ActorSync.Data.Verify;

namespace ActorSync.EndToEnd.Tests;

/// <summary>The launched cluster over a MariaDB writing a ROW binlog: `sync follow`.</summary>
public sealed class FollowingLauncherCluster : LauncherCluster
{
    protected override bool BinaryLog => true;
}

/// <summary>
/// Continuous sync on the multi-process cluster: changes and a schema change reach SQLite without a cycle, and none
/// committed and captured is lost when hub-b, a node or hub-c is killed -9, or when MariaDB itself is killed mid-stream.
/// </summary>
public sealed class FollowLauncherClusterTests(FollowingLauncherCluster cluster) : IClassFixture<FollowingLauncherCluster>
{
    private static readonly string Columns = string.Join(", ", BankRow.Columns.Select(c => $"`{c}`"));

    private Task WriteAsync(string sql) => cluster.MariaDb.ExecuteAsync(cluster.MySql, sql);

    /// <summary>New rows copied from existing ones, some updated, some deleted: inserts, updates and deletes.</summary>
    private async Task ChurnAsync(int round)
    {
        await WriteAsync($"INSERT INTO bank ({Columns}) SELECT {Columns} FROM bank ORDER BY id LIMIT 50");
        await WriteAsync($"UPDATE bank SET balance = balance + {round} WHERE id % 7 = {round % 7}");
        await WriteAsync($"DELETE FROM bank WHERE id % 13 = {round % 13} ORDER BY id LIMIT 20");
    }

    private async Task ConvergedAsync(TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        var source = new MySqlSource(cluster.MySql);
        var tables = await source.DiscoverAsync();
        while (true)
        {
            string differences;
            try
            {
                IReadOnlyList<TableComparison> comparison;
                using (var destination = new SqliteDestination(cluster.State().Destination)) comparison = await Verifier.CompareAsync(source, destination, tables);
                if (comparison.All(c => c.Equal)) return;
                differences = string.Join("; ", comparison.SelectMany(c => c.Differences));
            }
            catch (ActorSync.Data.DataEdgeException error) // a schema change not applied yet: the column is missing
            {
                differences = error.Message;
            }
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"SQLite did not converge: {differences}\n{cluster.Cli("sync", "lag")}");
            await Task.Delay(250);
        }
    }

    /// <summary>Starts a new binlog file and deletes every older one, as an operator's PURGE BINARY LOGS would.</summary>
    private async Task PurgeBinlogsAsync()
    {
        await WriteAsync("FLUSH BINARY LOGS");
        await using var connection = new MySqlConnector.MySqlConnection(cluster.MySql);
        await connection.OpenAsync();
        string current;
        await using (var status = new MySqlConnector.MySqlCommand("SHOW MASTER STATUS", connection))
        await using (var reader = await status.ExecuteReaderAsync())
        {
            Assert.True(await reader.ReadAsync());
            current = reader.GetString(0);
        }
        await using var purge = new MySqlConnector.MySqlCommand($"PURGE BINARY LOGS TO '{current}'", connection);
        await purge.ExecuteNonQueryAsync();
    }

    private long CountDestinationRows()
    {
        using var sqlite = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={cluster.State().Destination};Mode=ReadOnly;Pooling=False");
        sqlite.Open();
        using var command = sqlite.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM bank";
        return Convert.ToInt64(command.ExecuteScalar());
    }

    [Fact]
    public async Task Follow_carries_changes_and_loses_none_when_hub_b_a_node_hub_c_or_the_source_is_killed_mid_stream()
    {
        var follow = cluster.Cli("sync", "follow");
        Assert.True(follow.ExitCode == 0, follow.ToString());
        Assert.Contains("following the source's binlog from", follow.Stdout);

        // Changes reach SQLite with no sync cycle.
        for (int round = 1; round <= 3; round++) await ChurnAsync(round);
        await ConvergedAsync(TimeSpan.FromSeconds(30));
        var lag = cluster.Cli("sync", "lag");
        Assert.True(lag.ExitCode == 0, lag.ToString());
        Assert.Contains("applied to SQLite", lag.Stdout);

        // A schema change mid-stream reaches SQLite in commit order, and the hub-b restart below decodes rows in the new shape.
        await WriteAsync("ALTER TABLE bank ADD COLUMN note VARCHAR(20) NOT NULL DEFAULT 'n/a'");
        await WriteAsync("UPDATE bank SET note = 'changed' WHERE id % 11 = 0");
        await ChurnAsync(12);
        await ConvergedAsync(TimeSpan.FromSeconds(30));

        // hub-b killed -9 while changes keep coming: it resumes from its durable offset.
        var hubB = cluster.State().Members.Single(m => m.Role == "hub-b");
        await ChurnAsync(4);
        Assert.True(LocalCluster.Signal(hubB.Pid, LocalCluster.Sigkill));
        await ChurnAsync(5);
        await ConvergedAsync(TimeSpan.FromSeconds(90));

        // A node, then hub-c, killed -9 mid-stream: placement goes to the other nodes; hub-c resumes from its position.
        var node = cluster.State().Members.Single(m => m.Name == "node-1");
        await ChurnAsync(8);
        Assert.True(LocalCluster.Signal(node.Pid, LocalCluster.Sigkill));
        await ChurnAsync(9);
        await ConvergedAsync(TimeSpan.FromSeconds(60));
        var hubC = cluster.State().Members.Single(m => m.Role == "hub-c");
        await ChurnAsync(10);
        Assert.True(LocalCluster.Signal(hubC.Pid, LocalCluster.Sigkill));
        await ChurnAsync(11);
        await ConvergedAsync(TimeSpan.FromSeconds(90));

        // The source killed mid-stream: what it committed and capture read is applied from the nodes all the same.
        await ChurnAsync(6);
        await ConvergedAsync(TimeSpan.FromSeconds(30));
        await WriteAsync($"INSERT INTO bank ({Columns}) SELECT {Columns} FROM bank ORDER BY id LIMIT 30");
        long expected;
        await using (var connection = new MySqlConnector.MySqlConnection(cluster.MySql))
        {
            await connection.OpenAsync();
            await using var count = new MySqlConnector.MySqlCommand("SELECT COUNT(*) FROM bank", connection);
            expected = Convert.ToInt64(await count.ExecuteScalarAsync());
        }
        await Task.Delay(500); // captured: well past the 50 ms batch window
        await cluster.MariaDb.StopAsync();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        long rows;
        while (true)
        {
            rows = CountDestinationRows();
            if (rows == expected || DateTime.UtcNow > deadline) break;
            await Task.Delay(250);
        }
        Assert.Equal(expected, rows);

        await cluster.MariaDb.StartAsync();
        await ChurnAsync(7);
        await ConvergedAsync(TimeSpan.FromSeconds(60));

        // The binlog purged past capture's durable offset while hub-b is down: capture says so, and the orchestrator
        // snapshots again on its own and follows from there.
        var restarted = cluster.State().Members.Single(m => m.Role == "hub-b");
        Assert.True(LocalCluster.Signal(restarted.Pid, LocalCluster.Sigkill));
        await ChurnAsync(13);
        await PurgeBinlogsAsync();
        await ChurnAsync(14);
        await ConvergedAsync(TimeSpan.FromSeconds(120));
        Assert.Contains("continuous sync (following)", cluster.Cli("sync", "lag").Stdout);

        var stop = cluster.Cli("sync", "stop");
        Assert.True(stop.ExitCode == 0, stop.ToString());
    }
}

