using System.Diagnostics;
using ActorSync.Data.MySql;
using ActorSync.Data.Schema;
using ActorSync.Data.Sqlite;
using ActorSync.Data.Verify;

namespace ActorSync.Data;

/// <param name="BatchesChanged">Batches whose digest differed from what the destination holds: the ones shipped.</param>
/// <param name="BytesMoved">Padded bytes of the shipped batches: what crossed from source side to destination.</param>
public sealed record SyncReport(
    int BatchCount,
    int BatchesChanged,
    long BytesMoved,
    long DatasetBytes,
    long RowsWritten,
    IReadOnlyDictionary<string, long> SourceRows,
    IReadOnlyList<TableComparison> Verification,
    TimeSpan Duration)
{
    public bool Verified => Verification.All(v => v.Equal);
}

/// <summary>
/// One sync cycle without the cluster: snapshot the source into N key-hash batches, ship only the batches whose
/// digest differs from the destination's record, apply them in one transaction, then verify both sides by content
/// digest. The actor cluster runs the same steps with the batches cached and coded across nodes.
/// </summary>
public static class DirectSync
{
    public static async Task<SyncReport> RunAsync(MySqlSource source, SqliteDestination destination, int batchCount,
        IReadOnlyCollection<string>? tables = null, string? spoolDirectory = null, CancellationToken cancellation = default)
    {
        if (batchCount < 1) throw new DataEdgeException($"batch count must be at least 1; got {batchCount}.");
        var clock = Stopwatch.StartNew();
        var schemas = await source.DiscoverAsync(tables, cancellation);
        if (schemas.Count == 0) throw new DataEdgeException($"MySQL {source.Describe()}: the database has no tables to sync.");
        using var dataset = await Dataset.ReadAsync(source, schemas, batchCount, spoolDirectory, cancellation);

        var stored = destination.StoredDigests(schemas, batchCount);
        var changed = Enumerable.Range(0, batchCount)
            .Where(b => stored[b] is not { } digest || !digest.AsSpan().SequenceEqual(dataset.Manifest.BatchDigests[b]))
            .ToArray();
        var applied = destination.Apply(schemas, dataset.Manifest, changed, dataset.ReadBatch);
        var verification = await Verifier.CompareAsync(source, destination, schemas, cancellation);

        return new SyncReport(batchCount, changed.Length, applied.BytesApplied, (long)dataset.Manifest.BatchSize * batchCount,
            applied.RowsWritten, dataset.RowsPerTable, verification, clock.Elapsed);
    }
}
