using ActorSync.Coding;
using ActorSync.Data.Encoding;
using ActorSync.Data.MySql;
using ActorSync.Data.Schema;
using ActorSync.Tooling;
using ActorSync.Data.Sqlite;
using ActorSync.Data.Verify;

namespace ActorSync.Data.Tests;

/// <summary>
/// Hub C's verification inside an apply reads back only what the apply did not write: it must reach the same verdict
/// and digest as reading everything back, and still catch a destination edited behind ActorSync's back.
/// </summary>
[Collection(MariaDbCollection.Name)]
public class ApplyVerificationTests(MariaDbServer server) : IDisposable
{
    private const int Batches = 6;
    private readonly TempDirectory _temp = new();

    [Fact]
    public async Task Reading_back_only_untouched_rows_agrees_with_reading_back_everything()
    {
        var (source, connection) = await SeededAsync("verify_agree");
        using var destination = new SqliteDestination(_temp.File("agree.db"));

        // First sync: the table is replaced whole; then a few rows change, so some buckets are rewritten and most are not.
        var (first, firstFull) = await ApplyAsync(source, destination);
        await server.ExecuteAsync(connection, "UPDATE bank SET balance = balance + 7 WHERE id IN (3, 40, 41); DELETE FROM bank WHERE id = 77; " +
                                              "INSERT INTO bank (id, age, job, marital, education, `default`, balance, housing, loan, contact, day, month, duration, campaign, pdays, previous, poutcome, y, updated_at) " +
                                              "SELECT 100000, age, job, marital, education, `default`, balance, housing, loan, contact, day, month, duration, campaign, pdays, previous, poutcome, y, updated_at FROM bank WHERE id = 5");
        var (second, secondFull) = await ApplyAsync(source, destination);

        Assert.True(first.Equal, string.Join("; ", first.Differences));
        Assert.True(second.Equal, string.Join("; ", second.Differences));
        Assert.Equal((firstFull.DestinationDigest, firstFull.DestinationRows), (first.DestinationDigest, first.DestinationRows));
        Assert.Equal((secondFull.DestinationDigest, secondFull.DestinationRows), (second.DestinationDigest, second.DestinationRows));
    }

    [Fact]
    public async Task A_destination_edited_in_a_bucket_the_apply_left_alone_fails_verification()
    {
        var (source, connection) = await SeededAsync("verify_drift");
        using var destination = new SqliteDestination(_temp.File("drift.db"));
        await ApplyAsync(source, destination);
        var table = (await source.DiscoverAsync(["bank"]))[0];
        long changed = 3, tampered = RowInAnotherBucket(destination, table, changed);
        destination.Execute($"UPDATE bank SET job = 'tampered' WHERE id = {tampered}");
        await server.ExecuteAsync(connection, $"UPDATE bank SET balance = balance + 1 WHERE id = {changed}");

        var (untouched, full) = await ApplyAsync(source, destination);

        Assert.False(untouched.Equal);
        Assert.False(full.Equal);
    }

    [Fact]
    public async Task A_row_in_a_rewritten_bucket_that_the_apply_did_not_write_fails_verification()
    {
        var (source, _) = await SeededAsync("verify_stray");
        using var destination = new SqliteDestination(_temp.File("stray.db"));
        using var dataset = await Dataset.ReadAsync(source, await source.DiscoverAsync(["bank"]), Batches);
        var table = dataset.Catalog.Tables[0];
        Apply(destination, dataset).Commit();

        // What an apply of bucket 0 would report had it written every row of it but one: that row is a stray.
        var keyBuilder = CanonicalRows.KeyBuilder(table);
        var written = new TableDigest(table);
        bool skipped = false;
        destination.ReadTable(table, row =>
        {
            ulong hash = System.IO.Hashing.XxHash3.HashToUInt64(CanonicalRows.Key(row, table, keyBuilder));
            if (hash % Batches != 0) return;
            if (!skipped) { skipped = true; return; }
            written.Add(hash, row);
        });
        var claim = new WrittenRows(written, ReplacedTable: false, new HashSet<int> { 0 }, Batches);

        var check = Verifier.CompareWithSnapshot(destination, dataset.Catalog, [claim]).Single();

        Assert.True(skipped);
        Assert.False(check.Equal);
        Assert.Contains("1 row(s) it did not write", check.Differences.Single());
    }

    public void Dispose() => _temp.Dispose();

    /// <summary>Snapshots the source, applies its changed batches and verifies both ways inside the transaction, then commits.</summary>
    private static async Task<(TableComparison Untouched, TableComparison Full)> ApplyAsync(MySqlSource source, SqliteDestination destination)
    {
        using var dataset = await Dataset.ReadAsync(source, await source.DiscoverAsync(["bank"]), Batches);
        using var session = Apply(destination, dataset);
        var untouched = Verifier.CompareWithSnapshot(destination, dataset.Catalog, session.Written).Single();
        var full = Verifier.CompareWithSnapshot(destination, dataset.Catalog).Single();
        session.Commit();
        return (untouched, full);
    }

    private static ApplySession Apply(SqliteDestination destination, Dataset dataset)
    {
        var manifest = dataset.Manifest;
        var stored = destination.StoredDigests(dataset.Catalog.Tables, manifest.BatchCount, manifest.Layout);
        var session = destination.BeginApply(dataset.Catalog.Tables, manifest.BatchCount, manifest.Layout);
        for (int batch = 0; batch < manifest.BatchCount; batch++)
        {
            if (!session.FullReplace && stored[batch] is { } root && root.AsSpan().SequenceEqual(manifest.BatchDigests[batch])) continue;
            var data = dataset.ReadBatch(batch);
            for (int i = 0; i < manifest.SegmentCount; i++)
                session.Add(batch, i, data.AsSpan((int)manifest.Layout.OffsetOf(i), manifest.ContentLength(batch, i)), manifest.SegmentDigest(batch, i) ?? Digest.Empty);
        }
        session.Finish(manifest, dataset.Catalog.Summaries);
        return session;
    }

    /// <summary>A row id whose bucket differs from the bucket of <paramref name="id"/>.</summary>
    private static long RowInAnotherBucket(SqliteDestination destination, TableSchema table, long id)
    {
        var keyBuilder = CanonicalRows.KeyBuilder(table);
        var buckets = new Dictionary<long, int>();
        destination.ReadTable(table, row => buckets[(long)CanonicalRows.PackedValue(row, table, 0)!.Value] = CanonicalRows.Bucket(CanonicalRows.Key(row, table, keyBuilder), Batches));
        return buckets.First(b => b.Value != buckets[id]).Key;
    }

    private async Task<(MySqlSource Source, string Connection)> SeededAsync(string database)
    {
        var connection = await server.CreateDatabaseAsync(database);
        var source = new MySqlSource(connection);
        await BankSeeder.SeedAsync(source, "bank", BankRow.Generate(500, seed: 23), replace: false);
        return (source, connection);
    }
}
