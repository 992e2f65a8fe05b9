using ActorSync.Data.Encoding;
using ActorSync.Data.MySql;
using ActorSync.Data.Schema;
using ActorSync.Data.Sqlite;
using ActorSync.Data.Wire;

namespace ActorSync.Data;

public sealed record ReverseReport(int KeysChanged, int WrittenToSource, IReadOnlyList<ConflictRecord> Conflicts);

/// <summary>One key changed at the destination: the row as last synced (null: inserted since), the row now (null: deleted).</summary>
public sealed record ReverseChange(byte[] Key, byte[]? BaseRow, byte[]? DestinationRow, string LocalAt);

/// <param name="UpTo">The last change-log sequence this set covers: the log is trimmed up to it once the source has it.</param>
public sealed record TableChanges(string Table, long UpTo, IReadOnlyList<ReverseChange> Changes);

/// <summary>What Hub C sends back towards Hub B: every key changed locally since the last sync, with its base image.</summary>
public sealed record ReverseChangeSet(int? BatchCount, IReadOnlyList<TableChanges> Tables)
{
    public int Keys => Tables.Sum(t => t.Changes.Count);

    public byte[] Encode()
    {
        var writer = new CompactWriter().Int(BatchCount ?? 0).Int(Tables.Count);
        foreach (var table in Tables)
        {
            writer.String(table.Table).Long(table.UpTo).Int(table.Changes.Count);
            foreach (var change in table.Changes)
                writer.Bytes(change.Key).NullableBytes(change.BaseRow).NullableBytes(change.DestinationRow).String(change.LocalAt);
        }
        return writer.ToArray();
    }

    public static ReverseChangeSet Decode(byte[] encoded)
    {
        var reader = new CompactReader(encoded, "reverse-sync change set");
        int batchCount = reader.Int();
        var tables = new TableChanges[reader.Count()];
        for (int t = 0; t < tables.Length; t++)
        {
            string name = reader.String();
            long upTo = reader.Long();
            var changes = new ReverseChange[reader.Count()];
            for (int c = 0; c < changes.Length; c++) changes[c] = new ReverseChange(reader.Bytes(), reader.NullableBytes(), reader.NullableBytes(), reader.String());
            tables[t] = new TableChanges(name, upTo, changes);
        }
        reader.End();
        return new ReverseChangeSet(batchCount > 0 ? batchCount : null, tables);
    }
}

/// <summary>What Hub B did with a change set, for Hub C to record: log trimmed up to, batches to re-ship, conflicts.</summary>
public sealed record ReverseResolution(IReadOnlyDictionary<string, long> ProcessedUpTo, IReadOnlyList<int> Reship,
    IReadOnlyList<ConflictRecord> Conflicts, int KeysChanged, int WrittenToSource)
{
    public ReverseReport Report => new(KeysChanged, WrittenToSource, Conflicts);

    public byte[] Encode()
    {
        var writer = new CompactWriter().Int(KeysChanged).Int(WrittenToSource).Int(ProcessedUpTo.Count);
        foreach (var (table, upTo) in ProcessedUpTo) writer.String(table).Long(upTo);
        writer.Int(Reship.Count);
        foreach (var batch in Reship) writer.Int(batch);
        writer.Int(Conflicts.Count);
        foreach (var c in Conflicts) writer.String(c.Table).String(c.Key).String(c.Policy).String(c.Winner).String(c.SourceVersion).String(c.DestinationVersion);
        return writer.ToArray();
    }

    public static ReverseResolution Decode(byte[] encoded)
    {
        var reader = new CompactReader(encoded, "reverse-sync resolution");
        int keys = reader.Int(), written = reader.Int();
        var processed = new Dictionary<string, long>(StringComparer.Ordinal);
        for (int i = reader.Count(); i > 0; i--) processed[reader.String()] = reader.Long();
        var reship = new int[reader.Count()];
        for (int i = 0; i < reship.Length; i++) reship[i] = reader.Int();
        var conflicts = new ConflictRecord[reader.Count()];
        for (int i = 0; i < conflicts.Length; i++)
            conflicts[i] = new ConflictRecord(reader.String(), reader.String(), reader.String(), reader.String(), reader.String(), reader.String());
        reader.End();
        return new ReverseResolution(processed, reship, conflicts, keys, written);
    }
}

/// <summary>
/// Hub C → Hub B: rows changed at the SQLite destination flow back to MySQL, in three steps that can run on
/// different machines: <see cref="Collect"/> at the destination, <see cref="ResolveAsync"/> at the source,
/// <see cref="Complete"/> at the destination again. For each changed key, the base is the row as last synced (the
/// old image in the change log); the source changed if its row differs from the base, the destination changed if
/// its row does. Only the destination changed: its version is written to the source. Both changed to different
/// versions: a conflict, decided by the table's policy and written to _actorsync_conflicts. All source writes go
/// in one transaction; then the touched batches are marked for the forward sync to ship, so both sides converge.
/// </summary>
public static class ReverseSync
{
    public static async Task<ReverseReport> RunAsync(ISyncSource source, SqliteDestination destination,
        IReadOnlyList<TableSchema> tables, ConflictPolicies policies, CancellationToken cancellation = default)
    {
        var changes = Collect(destination, tables);
        var resolution = await ResolveAsync(source, tables, changes, policies, cancellation);
        Complete(destination, tables, resolution);
        return resolution.Report;
    }

    /// <summary>At the destination: each key changed since the last sync, its base image and its current row.</summary>
    public static ReverseChangeSet Collect(SqliteDestination destination, IReadOnlyList<TableSchema> tables)
    {
        var result = new List<TableChanges>();
        foreach (var table in tables)
        {
            var log = destination.ReadChanges(table);
            if (log.Count == 0) continue;
            var changes = log.GroupBy(c => Convert.ToBase64String(c.Key)).Select(group =>
            {
                var key = group.First().Key;
                // The first change's old image is the row as last synced; null means it was inserted since.
                return new ReverseChange(key, group.First().OldImage, destination.ReadRow(table, key), group.Max(c => c.At)!);
            }).ToArray();
            result.Add(new TableChanges(table.Name, log[^1].Sequence, changes));
        }
        return new ReverseChangeSet(destination.LastBatchCount, result);
    }

    /// <summary>At the source: decides each key by the policies and writes the winners in one transaction.</summary>
    public static async Task<ReverseResolution> ResolveAsync(ISyncSource source, IReadOnlyList<TableSchema> tables,
        ReverseChangeSet changeSet, ConflictPolicies policies, CancellationToken cancellation = default)
    {
        var writes = new List<(TableSchema Table, byte[] Key, byte[]? Row)>();
        var conflicts = new List<ConflictRecord>();
        var processed = new Dictionary<string, long>(StringComparer.Ordinal);
        var reship = new SortedSet<int>();
        int keysChanged = 0;

        foreach (var tableChanges in changeSet.Tables)
        {
            var table = tables.FirstOrDefault(t => t.Name == tableChanges.Table)
                ?? throw new DataEdgeException($"table '{tableChanges.Table}' changed at the destination but is not among the synced source tables ({string.Join(", ", tables.Select(t => t.Name))}).");
            var policy = policies.For(table.Name);
            if (policy == ConflictPolicy.LastWriterWins && table.WatermarkColumn < 0)
                throw new DataEdgeException($"table '{table.Name}': last-writer-wins needs an updated_at-style DATETIME or TIMESTAMP column, and it has none; choose source-wins or destination-wins for it.");
            processed[table.Name] = tableChanges.UpTo;

            foreach (var change in tableChanges.Changes)
            {
                if (changeSet.BatchCount is { } n) reship.Add(CanonicalRows.Bucket(change.Key, n));
                if (Same(change.DestinationRow, change.BaseRow)) continue; // changed and changed back
                keysChanged++;
                var sourceRow = await source.ReadRowAsync(table, change.Key, cancellation);
                if (Same(sourceRow, change.BaseRow)) { writes.Add((table, change.Key, change.DestinationRow)); continue; }
                if (Same(sourceRow, change.DestinationRow)) continue; // both sides made the same change

                bool destinationWins = policy switch
                {
                    ConflictPolicy.SourceWins => false,
                    ConflictPolicy.DestinationWins => true,
                    _ => DestinationIsLater(table, sourceRow, change.DestinationRow, change.BaseRow, change.LocalAt),
                };
                if (destinationWins) writes.Add((table, change.Key, change.DestinationRow));
                conflicts.Add(new ConflictRecord(table.Name, CanonicalRows.DescribeKey(change.Key, table), ConflictPolicies.Name(policy),
                    destinationWins ? "destination" : "source", Describe(sourceRow, table), Describe(change.DestinationRow, table)));
            }
        }

        await source.WriteRowsAsync(writes, cancellation);
        return new ReverseResolution(processed, reship.ToArray(), conflicts, keysChanged, writes.Count);
    }

    /// <summary>Back at the destination: trims the change log, records the conflicts, marks the batches to re-ship.</summary>
    public static void Complete(SqliteDestination destination, IReadOnlyList<TableSchema> tables, ReverseResolution resolution)
    {
        if (resolution.ProcessedUpTo.Count == 0) return;
        var processed = resolution.ProcessedUpTo.ToDictionary(
            p => tables.FirstOrDefault(t => t.Name == p.Key) ?? throw new DataEdgeException($"the reverse-sync resolution names table '{p.Key}', which the destination does not sync."),
            p => p.Value);
        destination.CompleteReverse(processed, resolution.Reship, resolution.Conflicts);
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
