using ActorSync.Coding;
using ActorSync.Data.Encoding;
using ActorSync.Data.MySql;
using ActorSync.Data.Schema;
using ActorSync.Data.Sqlite;

namespace ActorSync.Data;

/// <summary>
/// A snapshot of the source tables, partitioned into N batches by key hash: each record is
/// [varint table ordinal][canonical row], and a row goes to batch hash(key) mod N. One changed, inserted or
/// deleted row therefore changes exactly one batch, which is what makes incremental sync move O(one batch).
/// Batches are spooled segment by segment (memory, or one temp file), and each segment is handed on as soon as it
/// is sealed, so no table is held whole in memory and the data can leave while the source is still being read.
/// </summary>
public sealed class Dataset : IDisposable
{
    private readonly SegmentSpool _spool;

    public IReadOnlyList<TableSchema> Tables { get; }
    public int BatchCount => _spool.BatchCount;
    public BatchManifest Manifest => _spool.Manifest;

    /// <summary>The spooled segments, for reading them back one at a time.</summary>
    public SegmentSpool Spool => _spool;
    public IReadOnlyDictionary<string, long> RowsPerTable { get; }

    /// <summary>Each table's source watermark at this snapshot (null for tables without an updated_at-style column).</summary>
    public IReadOnlyDictionary<string, string?> Watermarks { get; }

    /// <summary>Tables rebuilt from the destination's verified copy because their watermark had not moved.</summary>
    public IReadOnlyList<string> ReusedTables { get; }

    /// <summary>The schemas and each table's rows and content digest as snapshotted: what the destination must equal.</summary>
    public DatasetCatalog Catalog { get; }

    /// <summary>The source's binlog position the snapshot is consistent with (FILE:OFFSET), or empty if it has none.</summary>
    public string LogPosition { get; private init; } = "";

    private Dataset(IReadOnlyList<TableSchema> tables, SegmentSpool spool, IReadOnlyDictionary<string, long> rows,
        IReadOnlyDictionary<string, string?> watermarks, IReadOnlyList<string> reused, IReadOnlyList<TableSummary> summaries)
    {
        Tables = tables;
        _spool = spool;
        RowsPerTable = rows;
        Watermarks = watermarks;
        ReusedTables = reused;
        Catalog = new DatasetCatalog(tables, summaries);
    }

    /// <summary>
    /// Snapshots the tables into batches. With <paramref name="lastSynced"/>, a table whose watermark has not moved
    /// since a sync that verified equal, and whose copy there still has the digest verified then, is rebuilt from
    /// that copy: the source answers one COUNT/MAX query instead of a full scan. Only tables with a single integer
    /// key qualify, because both databases order those rows alike, which keeps the batch bytes identical.
    /// </summary>
    /// <param name="onSealed">Awaited for each segment as it is sealed, before the source is read further (a slow
    /// consumer slows the read: back-pressure); the spool reads it back. Segments sealed by the final flush are not
    /// passed: the manifest describes them.</param>
    public static async Task<Dataset> ReadAsync(ISyncSource source, IReadOnlyList<TableSchema> tables, int batchCount,
        string? spoolDirectory = null, SqliteDestination? lastSynced = null, CancellationToken cancellation = default,
        SegmentLayout? layout = null, Func<SealedSegment, SegmentSpool, ValueTask>? onSealed = null)
    {
        var spool = new SegmentSpool(batchCount, layout ?? SegmentLayout.Default, spoolDirectory);
        ISourceSnapshot? snapshot = null;
        async ValueTask Drain()
        {
            while (spool.TryTakeSealed(out var segment))
                if (onSealed is not null) await onSealed(segment, spool);
        }
        Func<ValueTask>? afterRow = onSealed is null ? null : () => spool.PendingSealed == 0 ? ValueTask.CompletedTask : Drain();
        try
        {
            var rows = new Dictionary<string, long>();
            var watermarks = new Dictionary<string, string?>();
            var reused = new List<string>();
            var summaries = new List<TableSummary>();
            // Every table from one snapshot: tables linked by foreign keys agree within the dataset.
            snapshot = await source.OpenSnapshotAsync(cancellation);
            var logPosition = await snapshot.ReadLogPositionAsync(cancellation);
            for (int t = 0; t < tables.Count; t++)
            {
                var table = tables[t];
                var writer = new Writer(spool, table, t);
                if (lastSynced is not null && await UnchangedSinceVerifiedAsync(snapshot, lastSynced, table, tables, batchCount, spool.Layout, cancellation) is { } watermark)
                {
                    rows[table.Name] = lastSynced.ReadTable(table, writer.Add, orderByKey: true);
                    watermarks[table.Name] = watermark;
                    reused.Add(table.Name);
                    await Drain();
                }
                else (rows[table.Name], watermarks[table.Name]) = await snapshot.ReadWithWatermarkAsync(table, writer.Add, cancellation, afterRow);
                await Drain();
                summaries.Add(new TableSummary(table.Name, rows[table.Name], writer.Digest.Hex, watermarks[table.Name]));
            }
            spool.Finish();
            while (spool.TryTakeSealed(out _)) { } // the final flush's segments: the manifest describes them
            return new Dataset(tables, spool, rows, watermarks, reused, summaries) { LogPosition = logPosition };
        }
        catch
        {
            spool.Dispose();
            throw;
        }
        finally
        {
            if (snapshot is not null) await snapshot.DisposeAsync();
        }
    }

    /// <summary>Batch b, padded to the manifest's common size.</summary>
    public byte[] ReadBatch(int batch) => _spool.ReadBatch(batch);

    /// <summary>The current watermark if the table qualifies and neither side moved since the last verified sync.</summary>
    private static async Task<string?> UnchangedSinceVerifiedAsync(ISourceSnapshot source, SqliteDestination destination,
        TableSchema table, IReadOnlyList<TableSchema> tables, int batchCount, SegmentLayout layout, CancellationToken cancellation)
    {
        var key = table.PrimaryKey.Count == 1 ? table.KeyColumns.Single() : null;
        bool integerKey = key is { Kind: ColumnKind.SignedInteger } or { Kind: ColumnKind.UnsignedInteger, Bits: < 64 };
        if (!integerKey || table.WatermarkColumn < 0) return null;
        if (destination.LastVerified(table, tables, batchCount, layout) is not { } verified) return null;
        var watermark = await source.ReadWatermarkAsync(table, cancellation);
        if (watermark != verified.Watermark) return null;
        var digest = new Verify.TableDigest(table);
        destination.ReadTable(table, digest.Add);
        return digest.Hex == verified.Digest ? watermark : null;
    }

    /// <summary>A batch record's table ordinal; its canonical row starts at <paramref name="rowStart"/>.</summary>
    public static int TableOf(ReadOnlySpan<byte> record, out int rowStart)
    {
        rowStart = 0;
        int table = BatchFrame.ReadVarint(record, ref rowStart);
        return table >= 0 ? table : throw new InvalidDataException("a batch record has no valid table number.");
    }

    public void Dispose() => _spool.Dispose();

    /// <summary>Routes one table's rows to their batches, and digests the table as it goes.</summary>
    private sealed class Writer(SegmentSpool spool, TableSchema table, int ordinal)
    {
        private readonly RowBuilder _key = CanonicalRows.KeyBuilder(table);
        private byte[] _record = new byte[256];

        public Verify.TableDigest Digest { get; } = new(table);

        public void Add(ReadOnlySpan<byte> row)
        {
            Digest.Add(row);
            int bucket = CanonicalRows.Bucket(CanonicalRows.Key(row, table, _key), spool.BatchCount);
            Span<byte> prefix = stackalloc byte[5];
            int prefixLength = BatchFrame.WriteVarint(prefix, ordinal);
            if (_record.Length < prefixLength + row.Length) _record = new byte[Math.Max(_record.Length * 2, prefixLength + row.Length)];
            prefix[..prefixLength].CopyTo(_record);
            row.CopyTo(_record.AsSpan(prefixLength));
            spool.Add(bucket, _record.AsSpan(0, prefixLength + row.Length));
        }
    }
}
