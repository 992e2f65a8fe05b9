using ActorSync.Cluster.Nodes;
using ActorSync.Cluster.Protocol;
using ActorSync.Coding;
using Akka.Actor;

namespace ActorSync.Cluster.Tests;

/// <summary>The MariaDB journal option: the project's own schema, then a node that restarts from it.</summary>
public sealed class MariaDbJournalTests : IClassFixture<MariaDbServer>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private readonly MariaDbServer _server;

    public MariaDbJournalTests(MariaDbServer server) => _server = server;

    [Fact]
    public async Task A_node_journaled_in_MariaDB_comes_back_with_its_batches_after_a_restart()
    {
        var connection = await _server.CreateDatabaseAsync("journal");
        await MariaDbJournal.EnsureSchemaAsync(connection);
        await MariaDbJournal.EnsureSchemaAsync(connection); // idempotent: every start runs it
        var (batches, manifest) = BatchPacker.Pack(Enumerable.Range(0, 3000)
            .Select(i => (ReadOnlyMemory<byte>)System.Text.Encoding.UTF8.GetBytes($"row {i}, technician, single, {i * 7}")).ToArray(), 6);
        // Not serialize-messages: the SQL plugin's own internal messages cannot cross a serializer.
        var config = ClusterConfig.Compose(MariaDbJournal.ForNode(connection));

        var first = ActorSystem.Create("journal-a", config);
        try
        {
            var node = first.ActorOf(NodeActor.Props(0, snapshotEvery: 2)); // snapshots on the way, so both tables are used
            foreach (var b in new[] { 0, 1, 2 })
                Assert.IsType<BatchStored>(await node.Ask<object>(new StoreBatch(1, b, batches[b], manifest.BatchDigests[b]), Patience));
            // Snapshots are written asynchronously: wait for one before stopping, or the check below races it.
            await WaitForSnapshotAsync(connection);
        }
        finally
        {
            await first.Terminate();
        }

        var second = ActorSystem.Create("journal-b", config);
        try
        {
            var holdings = await second.ActorOf(NodeActor.Props(0, snapshotEvery: 2)).Ask<Holdings>(GetHoldings.Instance, Patience);
            Assert.Equal([0, 1, 2], holdings.Batches);
            Assert.Equal(1, holdings.Dataset);
        }
        finally
        {
            await second.Terminate();
        }
        // The snapshot in MariaDB carries its batches as raw bytes: no base64 or JSON inflation.
        long largest = await LargestSnapshotAsync(connection) ?? 0;
        Assert.InRange(largest, 2 * manifest.BatchSize, 3 * manifest.BatchSize + 4096);
    }

    private static async Task<long?> LargestSnapshotAsync(string connection)
    {
        await using var mysql = new MySqlConnector.MySqlConnection(connection);
        await mysql.OpenAsync();
        await using var command = new MySqlConnector.MySqlCommand("SELECT MAX(LENGTH(snapshot)) FROM snapshot", mysql);
        return await command.ExecuteScalarAsync() is long length ? length : null;
    }

    private static async Task WaitForSnapshotAsync(string connection)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (await LargestSnapshotAsync(connection) is null)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no snapshot reached MariaDB within {Patience.TotalSeconds} s");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task An_unreachable_journal_database_is_named_in_the_error()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            MariaDbJournal.EnsureSchemaAsync($"Server=127.0.0.1;Port={_server.Port};User ID=nobody;Password=wrong;Database=journal;Connection Timeout=3"));
        Assert.Contains($"127.0.0.1:{_server.Port}/journal", error.Message);
    }
}
