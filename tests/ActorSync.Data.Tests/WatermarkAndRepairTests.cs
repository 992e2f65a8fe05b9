using ActorSync.Data.MySql;
using ActorSync.Tooling;
using ActorSync.Data.Sqlite;

namespace ActorSync.Data.Tests;

[Collection(MariaDbCollection.Name)]
public class WatermarkAndRepairTests(MariaDbServer server) : IDisposable
{
    private readonly TempDirectory _temp = new();

    [Fact]
    public async Task An_unchanged_table_is_not_rescanned_and_a_changed_one_is()
    {
        var (source, connection) = await SeededAsync("wm_skip");
        using var destination = new SqliteDestination(_temp.File("wm_skip.db"));
        var first = await DirectSync.RunAsync(source, destination, 6);

        var quiet = await DirectSync.RunAsync(source, destination, 6);
        await server.ExecuteAsync(connection, "UPDATE bank SET balance = balance - 1 WHERE id = 99");
        var changed = await DirectSync.RunAsync(source, destination, 6);

        Assert.Empty(first.TablesNotRescanned);
        Assert.Equal(["bank"], quiet.TablesNotRescanned);
        Assert.Equal(0, quiet.BatchesChanged);
        Assert.True(quiet.Verified);
        Assert.Empty(changed.TablesNotRescanned);
        Assert.Equal(1, changed.BatchesChanged);
        Assert.True(changed.Verified);
        Assert.False(changed.Repaired);
    }

    [Fact]
    public async Task A_destination_edited_without_change_capture_is_detected_and_repaired()
    {
        var (source, _) = await SeededAsync("wm_drift");
        using var destination = new SqliteDestination(_temp.File("wm_drift.db"));
        await DirectSync.RunAsync(source, destination, 6);
        destination.Execute("UPDATE bank SET job = 'tampered' WHERE id = 17; DELETE FROM bank WHERE id = 18");

        var report = await DirectSync.RunAsync(source, destination, 6);

        Assert.True(report.Repaired);
        Assert.True(report.Verified, string.Join("; ", report.Verification.SelectMany(v => v.Differences)));
        Assert.Empty(report.TablesNotRescanned); // the tampered copy was not trusted
        Assert.Equal(0, destination.Execute("UPDATE bank SET job = job WHERE job = 'tampered'"));
    }

    [Fact]
    public async Task A_source_change_that_keeps_the_watermark_is_still_caught_and_repaired()
    {
        var (source, connection) = await SeededAsync("wm_backdated");
        using var destination = new SqliteDestination(_temp.File("wm_backdated.db"));
        await DirectSync.RunAsync(source, destination, 6);
        // Change a row but write back its old updated_at: COUNT and MAX(updated_at) do not move.
        await server.ExecuteAsync(connection, "UPDATE bank SET job = 'backdated', updated_at = updated_at WHERE id = 5");

        var report = await DirectSync.RunAsync(source, destination, 6);

        Assert.True(report.Repaired);
        Assert.True(report.Verified);
        Assert.Equal(1, destination.Execute("UPDATE bank SET job = job WHERE id = 5 AND job = 'backdated'"));
    }

    public void Dispose() => _temp.Dispose();

    private async Task<(MySqlSource Source, string Connection)> SeededAsync(string database)
    {
        var connection = await server.CreateDatabaseAsync(database);
        var source = new MySqlSource(connection);
        await BankSeeder.SeedAsync(source, "bank", BankRow.Generate(500, seed: 11), replace: false);
        return (source, connection);
    }
}
