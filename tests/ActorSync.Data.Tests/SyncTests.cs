using ActorSync.Data.MySql;
using ActorSync.Tooling;
using ActorSync.Data.Sqlite;
using ActorSync.Data.Verify;

namespace ActorSync.Data.Tests;

[Collection(MariaDbCollection.Name)]
public class SyncTests(MariaDbServer server) : IDisposable
{
    private readonly TempDirectory _temp = new();

    [Fact]
    public async Task Bank_csv_syncs_with_equal_digests_and_a_resync_moves_nothing()
    {
        var source = await SeededAsync("bank_full_sync", "bank.csv");
        using var destination = new SqliteDestination(_temp.File("bank.db"));

        var first = await DirectSync.RunAsync(source, destination, batchCount: 6, spoolDirectory: _temp.Path);
        var second = await DirectSync.RunAsync(source, destination, batchCount: 6);

        var bank = Assert.Single(first.Verification);
        Assert.True(bank.Equal);
        Assert.Equal(4521, bank.SourceRows);
        Assert.Equal(4521, bank.DestinationRows);
        Assert.Equal(6, first.BatchesChanged);
        Assert.Equal(4521, first.RowsWritten);
        Assert.Equal(0, second.BatchesChanged);
        Assert.Equal(0, second.BytesMoved);
        Assert.True(second.Verified);
    }

    [Fact]
    public async Task Changing_deleting_or_inserting_one_row_moves_one_batch()
    {
        var (source, connection) = await SeededWithConnectionAsync("bank_incremental", "bank.csv");
        using var destination = new SqliteDestination(_temp.File("incremental.db"));
        var full = await DirectSync.RunAsync(source, destination, batchCount: 12);

        await server.ExecuteAsync(connection, "UPDATE bank SET balance = balance + 1 WHERE id = 1000");
        var update = await DirectSync.RunAsync(source, destination, batchCount: 12);
        await server.ExecuteAsync(connection, "DELETE FROM bank WHERE id = 2000");
        var delete = await DirectSync.RunAsync(source, destination, batchCount: 12);
        await server.ExecuteAsync(connection, "INSERT INTO bank (age, job, marital, education, `default`, balance, housing, loan, contact, day, month, duration, campaign, pdays, previous, poutcome, y) VALUES (40, 'retired', 'single', 'tertiary', 'no', 5, 'no', 'no', 'cellular', 3, 'jun', 100, 1, -1, 0, 'unknown', 'yes')");
        var insert = await DirectSync.RunAsync(source, destination, batchCount: 12);

        Assert.Equal(12, full.BatchesChanged);
        foreach (var step in new[] { update, delete, insert })
        {
            Assert.Equal(1, step.BatchesChanged);
            Assert.True(step.BytesMoved * 6 < full.BytesMoved, $"{step.BytesMoved} bytes moved of {full.BytesMoved}");
            Assert.True(step.Verified, string.Join("; ", step.Verification.SelectMany(v => v.Differences)));
        }
        Assert.Equal(4520, delete.Verification[0].DestinationRows);
        Assert.Equal(4521, insert.Verification[0].DestinationRows); // one deleted, one inserted
    }

    [Fact]
    public async Task A_failure_mid_apply_leaves_the_destination_unchanged()
    {
        var (source, connection) = await SeededWithConnectionAsync("bank_rollback", "bank.csv");
        using var destination = new SqliteDestination(_temp.File("rollback.db"));
        await DirectSync.RunAsync(source, destination, batchCount: 6);
        var schema = (await source.DiscoverAsync()).Single();
        string before = DestinationDigest(destination, schema);

        await server.ExecuteAsync(connection, "UPDATE bank SET job = 'changed' WHERE id IN (10, 20, 30, 40, 50, 60, 70, 80)");
        // Simulate a failure part-way: the insert of row 70 aborts after other changed batches went in.
        destination.Execute("CREATE TRIGGER fail_once BEFORE INSERT ON bank WHEN NEW.id = 70 BEGIN SELECT RAISE(ABORT, 'simulated disk failure'); END");
        var error = await Assert.ThrowsAsync<DataEdgeException>(() => DirectSync.RunAsync(source, destination, batchCount: 6));

        Assert.Contains("simulated disk failure", error.Message);
        Assert.Contains("Nothing was applied", error.Message);
        Assert.Equal(before, DestinationDigest(destination, schema));

        destination.Execute("DROP TRIGGER fail_once");
        var retry = await DirectSync.RunAsync(source, destination, batchCount: 6);
        Assert.True(retry.Verified);
    }

    [Fact]
    public async Task Compressed_batches_apply_incrementally_and_a_change_of_codec_replaces_the_destination_whole()
    {
        var (source, connection) = await SeededWithConnectionAsync("bank_deflate", "bank.csv");
        using var destination = new SqliteDestination(_temp.File("deflate.db"));
        var deflate = new Coding.SegmentLayout(Coding.SegmentLayout.DefaultSize, Coding.ContentCodec.Deflate);
        var plain = await DirectSync.RunAsync(source, destination, batchCount: 6);
        var compressed = await DirectSync.RunAsync(source, destination, batchCount: 6, layout: deflate);

        await server.ExecuteAsync(connection, "UPDATE bank SET job = 'changed' WHERE id = 77; DELETE FROM bank WHERE id = 78");
        var update = await DirectSync.RunAsync(source, destination, batchCount: 6, layout: deflate);
        var unchanged = await DirectSync.RunAsync(source, destination, batchCount: 6, layout: deflate);

        Assert.Equal(6, compressed.BatchesChanged); // another layout: everything is replaced
        Assert.True(compressed.Verified);
        Assert.True(compressed.BytesMoved * 2 < plain.BytesMoved, $"{compressed.BytesMoved} B deflated against {plain.BytesMoved} B plain");
        Assert.InRange(update.BatchesChanged, 1, 2);
        Assert.True(update.Verified, string.Join("; ", update.Verification.SelectMany(v => v.Differences)));
        Assert.Equal(4520, update.Verification[0].DestinationRows);
        Assert.Equal(0, unchanged.BatchesChanged);
    }

    [Fact]
    public async Task A_new_batch_count_replaces_the_destination_whole_and_still_verifies()
    {
        var source = await SeededAsync("bank_relayout", "bank.csv");
        using var destination = new SqliteDestination(_temp.File("relayout.db"));
        await DirectSync.RunAsync(source, destination, batchCount: 6);

        var relayout = await DirectSync.RunAsync(source, destination, batchCount: 10);

        Assert.Equal(10, relayout.BatchesChanged);
        Assert.True(relayout.Verified);
        Assert.Equal(4521, relayout.Verification[0].DestinationRows);
    }

    [Fact]
    public async Task Verification_names_the_keys_that_differ()
    {
        var source = await SeededAsync("bank_verify", "bank.csv");
        using var destination = new SqliteDestination(_temp.File("verify.db"));
        await DirectSync.RunAsync(source, destination, batchCount: 6);
        destination.Execute("UPDATE bank SET balance = -987654 WHERE id = 17 OR id BETWEEN 100 AND 119; DELETE FROM bank WHERE id = 18; " +
                            "UPDATE bank SET id = 999999 WHERE id = 19");

        var comparison = (await Verifier.CompareAsync(source, destination, await source.DiscoverAsync())).Single();

        Assert.False(comparison.Equal);
        Assert.Contains("id=17: differs", comparison.Differences);
        Assert.Contains("id=18: only in source", comparison.Differences);
        Assert.Equal(Verifier.MaxDifferencesNamed, comparison.Differences.Count);
        Assert.Equal(21 + 1 + 1, comparison.RowsLost); // 21 changed, id 18 deleted, id 19 moved away
        Assert.Equal(1, comparison.RowsExtra);          // id 999999
    }

    [Fact]
    public async Task Applying_the_same_batches_twice_changes_nothing()
    {
        var source = await SeededAsync("bank_idempotent", "bank.csv");
        var schemas = await source.DiscoverAsync();
        using var dataset = await Dataset.ReadAsync(source, schemas, 4);
        using var destination = new SqliteDestination(_temp.File("idempotent.db"));
        var all = Enumerable.Range(0, 4).ToArray();

        destination.Apply(schemas, dataset.Manifest, all, dataset.ReadBatch);
        string once = DestinationDigest(destination, schemas[0]);
        destination.Apply(schemas, dataset.Manifest, [1, 2], dataset.ReadBatch);
        destination.Apply(schemas, dataset.Manifest, all, dataset.ReadBatch);

        Assert.Equal(once, DestinationDigest(destination, schemas[0]));
        Assert.StartsWith("4521:", once);
    }

    [Fact]
    public async Task A_full_disk_is_reported_and_nothing_is_applied()
    {
        var source = await SeededAsync("bank_full_disk", "bank.csv");
        using var destination = new SqliteDestination(_temp.File("full.db"));
        // SQLite reports SQLITE_FULL once the file would outgrow max_page_count, exactly as on a full disk.
        destination.Execute("PRAGMA max_page_count = 8");

        var error = await Assert.ThrowsAsync<DataEdgeException>(() => DirectSync.RunAsync(source, destination, 6));

        Assert.Contains("the disk is full", error.Message);
        Assert.Contains("full.db", error.Message);
        Assert.Contains("Nothing was applied", error.Message);
        Assert.False(destination.HasTable("bank"));
    }

    public void Dispose() => _temp.Dispose();

    private async Task<MySqlSource> SeededAsync(string database, string csv) => (await SeededWithConnectionAsync(database, csv)).Source;

    private async Task<(MySqlSource Source, string Connection)> SeededWithConnectionAsync(string database, string csv)
    {
        var connection = await server.CreateDatabaseAsync(database);
        var source = new MySqlSource(connection);
        await BankSeeder.SeedAsync(source, "bank", BankRow.ReadCsv(RepoData.File(csv)), replace: false);
        return (source, connection);
    }

    private static string DestinationDigest(SqliteDestination destination, Schema.TableSchema schema)
    {
        var digest = new TableDigest(schema);
        destination.ReadTable(schema, digest.Add);
        return $"{digest.Rows}:{digest.Hex}";
    }
}
