using System.Diagnostics;
using ActorSync.Coding;
using ActorSync.Data.MySql;
using ActorSync.Data.Schema;
using ActorSync.Data.Sqlite;
using ActorSync.Data.Verify;

namespace ActorSync.Data;

/// <param name="BatchesChanged">Batches whose digest differed from what the destination holds: the ones shipped.</param>
/// <param name="BytesMoved">Padded bytes of the shipped batches: what crossed from source side to destination.</param>
/// <param name="Repaired">Verification failed at first, and a full re-read and re-ship made the sides equal again.</param>
/// <param name="TablesNotRescanned">Tables whose watermark had not moved, rebuilt from the verified destination copy.</param>
public sealed record SyncReport(
    int BatchCount,
    int BatchesChanged,
    long BytesMoved,
    long DatasetBytes,
    long RowsWritten,
    IReadOnlyDictionary<string, long> SourceRows,
    IReadOnlyList<string> TablesNotRescanned,
    IReadOnlyList<TableComparison> Verification,
    TimeSpan Duration,
    bool Repaired = false)
{
    public bool Verified => Verification.All(v => v.Equal);
}

/// <summary>
/// One sync cycle without the cluster: snapshot the source into N key-hash batches, ship only the batches whose
/// digest differs from the destination's record, apply them in one transaction, then verify both sides by content
/// digest. If verification fails although the batches matched (the destination was edited with change capture off,
/// or a source row was changed without moving its updated_at), the cycle repairs itself: it forgets the recorded
/// digests, re-reads the whole source and re-ships every batch, then verifies again. The actor cluster runs the
/// same steps with the batches cached and coded across nodes.
/// </summary>
public static class DirectSync
{
    public static async Task<SyncReport> RunAsync(ISyncSource source, SqliteDestination destination, int batchCount,
        IReadOnlyCollection<string>? tables = null, string? spoolDirectory = null, CancellationToken cancellation = default,
        SegmentLayout? layout = null)
    {
        var segments = layout ?? SegmentLayout.Default;
        if (batchCount < 1) throw new DataEdgeException($"batch count must be at least 1; got {batchCount}.");
        var clock = Stopwatch.StartNew();
        var schemas = await source.DiscoverAsync(tables, cancellation);
        if (schemas.Count == 0) throw new DataEdgeException($"{source.Name}: the database has no tables to sync.");

        var report = await CycleAsync(source, destination, schemas, batchCount, segments, spoolDirectory, reuseVerified: true, cancellation);
        if (!report.Verified)
        {
            destination.ForgetBatches();
            var repair = await CycleAsync(source, destination, schemas, batchCount, segments, spoolDirectory, reuseVerified: false, cancellation);
            report = repair with
            {
                BatchesChanged = report.BatchesChanged + repair.BatchesChanged,
                BytesMoved = report.BytesMoved + repair.BytesMoved,
                RowsWritten = report.RowsWritten + repair.RowsWritten,
                Repaired = true,
            };
        }
        return report with { Duration = clock.Elapsed };
    }

    private static async Task<SyncReport> CycleAsync(ISyncSource source, SqliteDestination destination, IReadOnlyList<TableSchema> schemas,
        int batchCount, SegmentLayout layout, string? spoolDirectory, bool reuseVerified, CancellationToken cancellation)
    {
        using var dataset = await Dataset.ReadAsync(source, schemas, batchCount, spoolDirectory, reuseVerified ? destination : null, cancellation, layout);
        var stored = destination.StoredDigests(schemas, batchCount, layout);
        var changed = Enumerable.Range(0, batchCount)
            .Where(b => stored[b] is not { } digest || !digest.AsSpan().SequenceEqual(dataset.Manifest.BatchDigests[b]))
            .ToArray();
        var applied = destination.Apply(schemas, dataset.Manifest, changed, dataset.ReadBatch);
        var verification = await Verifier.CompareAsync(source, destination, schemas, cancellation);
        // Remember what verified, so an unchanged table can skip the source scan next time; forget what did not.
        destination.RecordVerified(verification.ToDictionary(v => v.Table, v =>
            v.Equal && dataset.Watermarks[v.Table] is { } watermark ? new VerifiedState(watermark, v.DestinationDigest) : null));

        return new SyncReport(batchCount, changed.Length, applied.BytesApplied, (long)dataset.Manifest.BatchSize * batchCount,
            applied.RowsWritten, dataset.RowsPerTable, dataset.ReusedTables, verification, TimeSpan.Zero);
    }
}
