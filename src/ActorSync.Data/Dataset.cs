using ActorSync.Coding;
using ActorSync.Data.Encoding;
using ActorSync.Data.MySql;
using ActorSync.Data.Schema;

namespace ActorSync.Data;

/// <summary>
/// A snapshot of the source tables, partitioned into N batches by key hash: each record is
/// [varint table ordinal][canonical row], and a row goes to batch hash(key) mod N. One changed, inserted or
/// deleted row therefore changes exactly one batch, which is what makes incremental sync move O(one batch).
/// Batches are spooled (in memory or temp files), so no table is held whole in memory by the reader.
/// </summary>
public sealed class Dataset : IDisposable
{
    private readonly BatchSpool _spool;

    public IReadOnlyList<TableSchema> Tables { get; }
    public int BatchCount => _spool.BatchCount;
    public BatchManifest Manifest => _spool.Manifest;
    public IReadOnlyDictionary<string, long> RowsPerTable { get; }

    private Dataset(IReadOnlyList<TableSchema> tables, BatchSpool spool, IReadOnlyDictionary<string, long> rows)
    {
        Tables = tables;
        _spool = spool;
        RowsPerTable = rows;
    }

    public static async Task<Dataset> ReadAsync(MySqlSource source, IReadOnlyList<TableSchema> tables, int batchCount,
        string? spoolDirectory = null, CancellationToken cancellation = default)
    {
        var spool = new BatchSpool(batchCount, spoolDirectory);
        try
        {
            var rows = new Dictionary<string, long>();
            for (int t = 0; t < tables.Count; t++)
            {
                var writer = new Writer(spool, tables[t], t);
                rows[tables[t].Name] = await source.ReadAsync(tables[t], writer.Add, cancellation);
            }
            spool.Finish();
            return new Dataset(tables, spool, rows);
        }
        catch
        {
            spool.Dispose();
            throw;
        }
    }

    public byte[] ReadBatch(int batch) => _spool.ReadBatch(batch);

    /// <summary>The (table ordinal, canonical row) records of a padded batch.</summary>
    public static IEnumerable<(int Table, ReadOnlyMemory<byte> Row)> Records(byte[] batch)
    {
        foreach (var record in BatchFrame.Records(batch))
        {
            int offset = 0, table = 0, shift = 0;
            var span = record.Span;
            while (true)
            {
                if (offset >= span.Length || shift > 28) throw new InvalidDataException("a batch record has no valid table number.");
                byte b = span[offset++];
                table |= (b & 0x7F) << shift;
                if (b < 0x80) break;
                shift += 7;
            }
            yield return (table, record[offset..]);
        }
    }

    public void Dispose() => _spool.Dispose();

    /// <summary>Routes one table's rows to their batches.</summary>
    private sealed class Writer(BatchSpool spool, TableSchema table, int ordinal)
    {
        private readonly RowBuilder _key = CanonicalRows.KeyBuilder(table);
        private byte[] _record = new byte[256];

        public void Add(ReadOnlySpan<byte> row)
        {
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
