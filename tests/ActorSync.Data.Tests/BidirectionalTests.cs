using ActorSync.Data.MySql;
using ActorSync.Tooling;
using ActorSync.Data.Sqlite;
using Microsoft.Data.Sqlite;
using MySqlConnector;

namespace ActorSync.Data.Tests;

[Collection(MariaDbCollection.Name)]
public class BidirectionalTests(MariaDbServer server) : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly List<SqliteDestination> _destinations = [];

    [Fact]
    public async Task Destination_updates_deletes_and_inserts_flow_back_to_the_source()
    {
        var (source, connection, destination) = await StartAsync("bidi_flow");
        destination.Execute("UPDATE bank SET job = 'changed at C' WHERE id = 5; DELETE FROM bank WHERE id = 6;");
        destination.Execute("INSERT INTO bank VALUES (100000, 33, 'student', 'single', 'tertiary', 'no', 12, 'no', 'no', 'cellular', 4, 'may', 60, 1, -1, 0, 'unknown', 'no', '2024-05-04 10:00:00.000000')");

        var report = await BidirectionalSync.RunAsync(source, destination, 4, Policy("source-wins"));

        Assert.Equal(3, report.Reverse.WrittenToSource);
        Assert.Empty(report.Reverse.Conflicts);
        Assert.True(report.Forward.Verified, string.Join("; ", report.Forward.Verification.SelectMany(v => v.Differences)));
        Assert.Equal("changed at C", await SourceJob(connection, 5));
        Assert.Null(await SourceJob(connection, 6));
        Assert.Equal("student", await SourceJob(connection, 100000));
        Assert.Equal(0, destination.PendingChanges(await source.DiscoverAsync()));
    }

    [Theory]
    [InlineData("source-wins", "from B", "source")]
    [InlineData("destination-wins", "from C", "destination")]
    public async Task A_conflict_is_decided_by_the_policy_and_logged(string policy, string expectedJob, string expectedWinner)
    {
        var (source, connection, destination) = await StartAsync("bidi_" + policy.Replace('-', '_'));
        await server.ExecuteAsync(connection, "UPDATE bank SET job = 'from B' WHERE id = 7");
        destination.Execute("UPDATE bank SET job = 'from C' WHERE id = 7");

        var report = await BidirectionalSync.RunAsync(source, destination, 4, Policy(policy));

        var conflict = Assert.Single(report.Reverse.Conflicts);
        Assert.Equal("id=7", conflict.Key);
        Assert.Equal(expectedWinner, conflict.Winner);
        Assert.Equal(expectedJob, await SourceJob(connection, 7));
        Assert.True(report.Forward.Verified);
        var logged = ConflictLog(destination.Path);
        Assert.Contains(("bank", "id=7", policy, expectedWinner), logged.Select(c => (c.Table, c.Key, c.Policy, c.Winner)));
        Assert.Contains("job='from B'", logged.Single().Source);
        Assert.Contains("job='from C'", logged.Single().Destination);
    }

    [Fact]
    public async Task Last_writer_wins_by_the_timestamp_column_with_the_source_winning_ties()
    {
        var (source, connection, destination) = await StartAsync("bidi_lww");
        // id 8: the source's write is older than the destination's; id 9: newer; id 10: the same instant.
        await server.ExecuteAsync(connection, """
            UPDATE bank SET job = 'B old', updated_at = '2000-01-01 00:00:00' WHERE id = 8;
            UPDATE bank SET job = 'B new', updated_at = '2100-01-01 00:00:00' WHERE id = 9;
            UPDATE bank SET job = 'B tie', updated_at = '2050-06-01 12:00:00' WHERE id = 10;
            """);
        destination.Execute("""
            UPDATE bank SET job = 'C' WHERE id = 8;
            UPDATE bank SET job = 'C' WHERE id = 9;
            UPDATE bank SET job = 'C tie', updated_at = '2050-06-01 12:00:00.000000' WHERE id = 10;
            """);

        var report = await BidirectionalSync.RunAsync(source, destination, 4, Policy("last-writer-wins"));

        Assert.Equal(3, report.Reverse.Conflicts.Count);
        Assert.Equal("C", await SourceJob(connection, 8));
        Assert.Equal("B new", await SourceJob(connection, 9));
        Assert.Equal("B tie", await SourceJob(connection, 10));
        Assert.True(report.Forward.Verified);
    }

    [Fact]
    public async Task A_per_table_policy_overrides_the_default()
    {
        var (source, connection, destination) = await StartAsync("bidi_override");
        await server.ExecuteAsync(connection, "UPDATE bank SET job = 'from B' WHERE id = 11");
        destination.Execute("UPDATE bank SET job = 'from C' WHERE id = 11");

        var report = await BidirectionalSync.RunAsync(source, destination, 4,
            ConflictPolicies.Parse("source-wins", ["bank=destination-wins"]));

        Assert.Equal("destination", Assert.Single(report.Reverse.Conflicts).Winner);
        Assert.Equal("from C", await SourceJob(connection, 11));
    }

    [Fact]
    public async Task A_one_way_sync_refuses_to_overwrite_unsynced_destination_changes()
    {
        var (source, _, destination) = await StartAsync("bidi_guard");
        destination.Execute("UPDATE bank SET job = 'local edit' WHERE id = 12");

        var error = await Assert.ThrowsAsync<DataEdgeException>(() => DirectSync.RunAsync(source, destination, 4));

        Assert.Contains("1 row change(s) made at the destination", error.Message);
        Assert.Equal(1, destination.Execute("UPDATE bank SET job = job WHERE id = 12 AND job = 'local edit'"));
    }

    [Fact]
    public async Task With_capture_on_a_keyless_table_still_syncs_one_way()
    {
        var (source, connection, destination) = await StartAsync("bidi_keyless");
        await server.ExecuteAsync(connection, "CREATE TABLE audit (at DATETIME(6) NOT NULL, note TEXT); INSERT INTO audit VALUES ('2024-01-01 00:00:00', 'x')");

        var report = await DirectSync.RunAsync(source, destination, 4);

        Assert.True(report.Verified);
        Assert.Equal(1, report.SourceRows["audit"]);
        Assert.True(destination.CaptureEnabled);
    }

    [Fact]
    public void Policies_are_parsed_by_name_and_bad_ones_are_named()
    {
        var policies = ConflictPolicies.Parse("last-writer-wins", ["orders=source-wins"]);
        var bad = Assert.Throws<DataEdgeException>(() => ConflictPolicies.Parse("newest", []));
        var badTable = Assert.Throws<DataEdgeException>(() => ConflictPolicies.Parse("source-wins", ["orders=mine"]));

        Assert.Equal(ConflictPolicy.SourceWins, policies.For("orders"));
        Assert.Equal(ConflictPolicy.LastWriterWins, policies.For("bank"));
        Assert.Contains("'newest'", bad.Message);
        Assert.Contains("table 'orders'", badTable.Message);
    }

    public void Dispose()
    {
        foreach (var destination in _destinations) destination.Dispose();
        _temp.Dispose();
    }

    private static ConflictPolicies Policy(string name) => ConflictPolicies.Parse(name, []);

    private async Task<(MySqlSource Source, string Connection, SqliteDestination Destination)> StartAsync(string database)
    {
        var connection = await server.CreateDatabaseAsync(database);
        var source = new MySqlSource(connection);
        await BankSeeder.SeedAsync(source, "bank", BankRow.Generate(200, seed: 3), replace: false);
        var destination = new SqliteDestination(_temp.File(database + ".db"));
        _destinations.Add(destination);
        var first = await BidirectionalSync.RunAsync(source, destination, 4, Policy("source-wins"));
        Assert.True(first.Forward.Verified);
        Assert.True(destination.CaptureEnabled);
        return (source, connection, destination);
    }

    private static async Task<string?> SourceJob(string connection, int id)
    {
        await using var db = new MySqlConnection(connection);
        await db.OpenAsync();
        await using var command = db.CreateCommand();
        command.CommandText = "SELECT job FROM bank WHERE id = @id";
        command.Parameters.AddWithValue("@id", id);
        return await command.ExecuteScalarAsync() as string;
    }

    private static List<(string Table, string Key, string Policy, string Winner, string Source, string Destination)> ConflictLog(string path)
    {
        using var db = new SqliteConnection($"Data Source={path};Pooling=False");
        db.Open();
        using var command = db.CreateCommand();
        command.CommandText = "SELECT table_name, key, policy, winner, source_version, destination_version FROM _actorsync_conflicts";
        using var reader = command.ExecuteReader();
        var rows = new List<(string, string, string, string, string, string)>();
        while (reader.Read()) rows.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5)));
        return rows;
    }
}
