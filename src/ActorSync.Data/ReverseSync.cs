using ActorSync.Data.Encoding;
using ActorSync.Data.MySql;
using ActorSync.Data.Schema;
using ActorSync.Data.Sqlite;

namespace ActorSync.Data;

public sealed record ReverseReport(int KeysChanged, int WrittenToSource, IReadOnlyList<ConflictRecord> Conflicts);

/// <summary>
/// Hub C → Hub B: rows changed at the SQLite destination flow back to MySQL. For each changed key, the base is the
/// row as last synced (the old image in the change log); the source changed if its row differs from the base,
/// the destination changed if its row does. Only the destination changed: its version is written to the source.
/// Both changed to different versions: a conflict, decided by the table's policy and written to
/// _actorsync_conflicts. All source writes go in one transaction; then the touched batches are marked for the
/// forward sync to ship, so both sides converge.
/// </summary>
public static class ReverseSync
{
    public static async Task<ReverseReport> RunAsync(MySqlSource source, SqliteDestination destination,
        IReadOnlyList<TableSchema> tables, ConflictPolicies policies, CancellationToken cancellation = default)
    {
        var writes = new List<(TableSchema Table, byte[] Key, byte[]? Row)>();
        var conflicts = new List<ConflictRecord>();
        var processed = new Dictionary<TableSchema, long>();
        var reship = new HashSet<int>();
        int? batchCount = destination.LastBatchCount;
        int keysChanged = 0;

        foreach (var table in tables)
        {
            var changes = destination.ReadChanges(table);
            if (changes.Count == 0) continue;
            var policy = policies.For(table.Name);
            if (policy == ConflictPolicy.LastWriterWins && table.WatermarkColumn < 0)
                throw new DataEdgeException($"table '{table.Name}': last-writer-wins needs an updated_at-style DATETIME or TIMESTAMP column, and it has none; choose source-wins or destination-wins for it.");
            processed[table] = changes[^1].Sequence;

            foreach (var group in changes.GroupBy(c => Convert.ToBase64String(c.Key)))
            {
                var key = group.First().Key;
                var baseRow = group.First().OldImage; // null: the first change since the last sync was an insert
                var localAt = group.Max(c => c.At)!;
                if (batchCount is { } n) reship.Add(CanonicalRows.Bucket(key, n));

                var destinationRow = destination.ReadRow(table, key);
                if (Same(destinationRow, baseRow)) continue; // changed and changed back
                keysChanged++;
                var sourceRow = await source.ReadRowAsync(table, key, cancellation);
                if (Same(sourceRow, baseRow)) { writes.Add((table, key, destinationRow)); continue; }
                if (Same(sourceRow, destinationRow)) continue; // both sides made the same change

                bool destinationWins = policy switch
                {
                    ConflictPolicy.SourceWins => false,
                    ConflictPolicy.DestinationWins => true,
                    _ => DestinationIsLater(table, sourceRow, destinationRow, baseRow, localAt),
                };
                if (destinationWins) writes.Add((table, key, destinationRow));
                conflicts.Add(new ConflictRecord(table.Name, CanonicalRows.DescribeKey(key, table), ConflictPolicies.Name(policy),
                    destinationWins ? "destination" : "source", Describe(sourceRow, table), Describe(destinationRow, table)));
            }
        }

        await source.WriteRowsAsync(writes, cancellation);
        if (processed.Count > 0) destination.CompleteReverse(processed, reship, conflicts);
        return new ReverseReport(keysChanged, writes.Count, conflicts);
    }

    /// <summary>
    /// Last writer wins by the table's timestamp column. The destination's time is its row's timestamp if the local
    /// writer changed it, else the time its change was logged. A deleted row has no timestamp: deletion counts as the
    /// latest write. A tie goes to the source.
    /// </summary>
    private static bool DestinationIsLater(TableSchema table, byte[]? sourceRow, byte[]? destinationRow, byte[]? baseRow, string localAt)
    {
        if (destinationRow is null) return sourceRow is not null;
        if (sourceRow is null) return false;
        int column = table.WatermarkColumn;
        ulong sourceTime = CanonicalRows.PackedValue(sourceRow, table, column) ?? 0;
        ulong? destinationStamp = CanonicalRows.PackedValue(destinationRow, table, column);
        ulong? baseStamp = baseRow is null ? null : CanonicalRows.PackedValue(baseRow, table, column);
        ulong destinationTime = destinationStamp is { } stamp && stamp != baseStamp ? stamp : Temporal.ParseDateTime(localAt);
        return destinationTime > sourceTime;
    }

    private static bool Same(byte[]? a, byte[]? b) => a is null ? b is null : b is not null && a.AsSpan().SequenceEqual(b);

    private static string Describe(byte[]? row, TableSchema table) => row is null ? "(deleted)" : CanonicalRows.DescribeRow(row, table);
}
