using System.IO.Hashing;
using ActorSync.Data.Encoding;
using ActorSync.Data.MySql;
using ActorSync.Data.Schema;
using ActorSync.Data.Sqlite;

namespace ActorSync.Data.Verify;

/// <param name="Differences">The first differing keys, e.g. "id=42: changed", "id=7: only in source".</param>
/// <param name="RowsLost">Source rows the destination lacks or holds differently (known only from a live-source comparison).</param>
/// <param name="RowsExtra">Destination rows whose key the source does not have.</param>
public sealed record TableComparison(string Table, long SourceRows, long DestinationRows, string SourceDigest, string DestinationDigest, IReadOnlyList<string> Differences,
    long RowsLost = 0, long RowsExtra = 0)
{
    public bool Equal => SourceDigest == DestinationDigest && SourceRows == DestinationRows;
}

/// <summary>Compares source and destination table by table, by content digest, and names the first differing keys.</summary>
public static class Verifier
{
    public const int MaxDifferencesNamed = 5;

    public static async Task<IReadOnlyList<TableComparison>> CompareAsync(ISyncSource source, SqliteDestination destination,
        IReadOnlyList<TableSchema> tables, CancellationToken cancellation = default)
    {
        var results = new List<TableComparison>();
        foreach (var table in tables)
        {
            var sourceDigest = new TableDigest(table);
            await source.ReadAsync(table, sourceDigest.Add, cancellation);
            var destinationDigest = new TableDigest(table);
            if (destination.HasTable(table.Name)) destination.ReadTable(table, destinationDigest.Add);

            var chunks = sourceDigest.DifferingChunks(destinationDigest);
            var (named, lost, extra) = chunks.Count == 0 ? ([], 0, 0)
                : await DifferencesAsync(source, destination, table, sourceDigest, chunks.ToHashSet(), cancellation);
            results.Add(new TableComparison(table.Name, sourceDigest.Rows, destinationDigest.Rows, sourceDigest.Hex, destinationDigest.Hex, named, lost, extra));
        }
        return results;
    }

    /// <summary>
    /// Compares the destination with the source as it was snapshotted (the catalog's row counts and digests), without
    /// reaching the source: this is how the cluster verifies Hub C while MySQL is down. A difference is reported per
    /// table; naming the keys needs the live source (<see cref="CompareAsync"/>).
    /// </summary>
    public static IReadOnlyList<TableComparison> CompareWithSnapshot(SqliteDestination destination, DatasetCatalog catalog)
    {
        var results = new List<TableComparison>();
        foreach (var table in catalog.Tables)
        {
            var snapshot = catalog.Summaries.FirstOrDefault(s => s.Table == table.Name)
                ?? throw new DataEdgeException($"the dataset catalog has no snapshot digest for table '{table.Name}'.");
            var digest = new TableDigest(table);
            if (destination.HasTable(table.Name)) destination.ReadTable(table, digest.Add);
            bool equal = digest.Hex == snapshot.Digest && digest.Rows == snapshot.Rows;
            results.Add(new TableComparison(table.Name, snapshot.Rows, digest.Rows, snapshot.Digest, digest.Hex,
                equal ? [] : [$"differs from the source snapshot ({snapshot.Rows} rows there, {digest.Rows} here); `actorsync verify` against the live source names the keys"]));
        }
        return results;
    }

    /// <summary>
    /// <see cref="CompareWithSnapshot(SqliteDestination, DatasetCatalog)"/> inside an apply's transaction, reading back
    /// only what the apply did not write. Per keyed table with <paramref name="written"/> rows: the rows of buckets the
    /// apply left alone are read back and digested (a destination that drifted there is caught); the rewritten buckets
    /// must hold as many rows as were written to them, counted by key alone (each written row is there once, so any
    /// more is a row the apply did not write), and their content is the digest of what was bound. A table the apply
    /// emptied and refilled is checked by its row count. Keyless tables are read back whole.
    /// </summary>
    public static IReadOnlyList<TableComparison> CompareWithSnapshot(SqliteDestination destination, DatasetCatalog catalog, IReadOnlyList<WrittenRows?> written)
    {
        var results = new List<TableComparison>();
        for (int t = 0; t < catalog.Tables.Count; t++)
        {
            var table = catalog.Tables[t];
            var snapshot = catalog.Summaries.FirstOrDefault(s => s.Table == table.Name)
                ?? throw new DataEdgeException($"the dataset catalog has no snapshot digest for table '{table.Name}'.");
            var rows = t < written.Count ? written[t] : null;
            if (rows is null || !destination.HasTable(table.Name))
            {
                results.Add(CompareWithSnapshot(destination, new DatasetCatalog([table], [snapshot]))[0]);
                continue;
            }
            var digest = new TableDigest(table);
            digest.Add(rows.Digest);
            long rewritten = 0;
            if (rows.ReplacedTable) rewritten = destination.CountRows(table.Name);
            else
                destination.ReadTableKeyFirst(table, keyHash =>
                {
                    if (!rows.Rewrote(keyHash)) return true;
                    rewritten++;
                    return false;
                }, digest.Add);
            bool rewrittenExactly = rewritten == rows.Digest.Rows;
            long destinationRows = digest.Rows - rows.Digest.Rows + rewritten;
            bool equal = rewrittenExactly && digest.Hex == snapshot.Digest && destinationRows == snapshot.Rows;
            var why = !rewrittenExactly
                ? $"the buckets this apply rewrote hold {rewritten} rows, but it wrote {rows.Digest.Rows}: {Math.Abs(rewritten - rows.Digest.Rows)} row(s) it did not write"
                : $"differs from the source snapshot ({snapshot.Rows} rows there, {destinationRows} here)";
            results.Add(new TableComparison(table.Name, snapshot.Rows, destinationRows, snapshot.Digest, rewrittenExactly ? digest.Hex : "rewritten buckets differ",
                equal ? [] : [$"{why}; `actorsync verify` against the live source names the keys"]));
        }
        return results;
    }

    /// <summary>
    /// Re-reads only the rows of the differing chunks on both sides and compares them key by key: the first keys
    /// named, and how many source rows are missing or different, and how many destination rows are extra.
    /// </summary>
    private static async Task<(IReadOnlyList<string> Named, long Lost, long Extra)> DifferencesAsync(ISyncSource source, SqliteDestination destination,
        TableSchema table, TableDigest digest, HashSet<int> chunks, CancellationToken cancellation)
    {
        var sourceRows = new ChunkRows(table, digest, chunks);
        await source.ReadAsync(table, sourceRows.Add, cancellation);
        var destinationRows = new ChunkRows(table, digest, chunks);
        if (destination.HasTable(table.Name)) destination.ReadTable(table, destinationRows.Add);

        var differences = new List<(byte[] Key, string What)>();
        foreach (var (id, s) in sourceRows.Rows)
        {
            if (!destinationRows.Rows.TryGetValue(id, out var d)) differences.Add((s.Key, "only in source"));
            else if (d.Hash != s.Hash) differences.Add((s.Key, "differs"));
        }
        foreach (var (id, d) in destinationRows.Rows)
            if (!sourceRows.Rows.ContainsKey(id)) differences.Add((d.Key, "only in destination"));

        var named = differences
            .OrderBy(d => Convert.ToHexString(d.Key), StringComparer.Ordinal)
            .Take(MaxDifferencesNamed)
            .Select(d => $"{CanonicalRows.DescribeKey(d.Key, table)}: {d.What}")
            .ToArray();
        long extra = differences.Count(d => d.What == "only in destination");
        return (named, differences.Count - extra, extra);
    }

    /// <summary>The rows of some chunks, by key; duplicate keys (tables without one) add their hashes.</summary>
    private sealed class ChunkRows(TableSchema table, TableDigest digest, HashSet<int> chunks)
    {
        private readonly RowBuilder _key = CanonicalRows.KeyBuilder(table);

        public Dictionary<string, (byte[] Key, UInt128 Hash)> Rows { get; } = new();

        public void Add(ReadOnlySpan<byte> row)
        {
            var key = CanonicalRows.Key(row, table, _key);
            if (!chunks.Contains(digest.ChunkOf(key))) return;
            var id = Convert.ToBase64String(key);
            var hash = XxHash128.HashToUInt128(row);
            Rows[id] = (key.ToArray(), Rows.TryGetValue(id, out var existing) ? existing.Hash + hash : hash);
        }
    }
}
