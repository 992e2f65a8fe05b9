using ActorSync.Data.Encoding;
using ActorSync.Data.MySql;
using ActorSync.Data.Schema;
using ActorSync.Data.Sqlite;
using ActorSync.Data.Wire;

namespace ActorSync.Data;

public sealed record ReverseReport(int KeysChanged, int WrittenToSource, IReadOnlyList<ConflictRecord> Conflicts);

/// <summary>One key changed at the destination: the row as last synced (null: inserted since), the row now (null: deleted).</summary>
public sealed record ReverseChange(byte[] Key, byte[]? BaseRow, byte[]? DestinationRow, string LocalAt);

/// <summary>
/// A change set or its resolution as a stream of records, so neither is held whole: a change set is a
/// <see cref="ChangeSetStart"/>, then per changed table a <see cref="TableChangesStart"/> and its
/// <see cref="ChangeRecord"/>s; a resolution is <see cref="ResolutionTotals"/>, then what was processed, the batches to
/// re-ship and the conflicts. <see cref="ReverseRecords"/> frames them into chunks and back.
/// </summary>
public abstract record ReverseRecord;

public sealed record ChangeSetStart(int? BatchCount) : ReverseRecord;

/// <param name="UpTo">The last change-log sequence of the table's changes: the log is trimmed up to it once the source has them.</param>
public sealed record TableChangesStart(string Table, long UpTo) : ReverseRecord;

public sealed record ChangeRecord(ReverseChange Change) : ReverseRecord;

public sealed record ResolutionTotals(int KeysChanged, int WrittenToSource) : ReverseRecord;

public sealed record ProcessedUpTo(string Table, long UpTo) : ReverseRecord;

public sealed record ReshipBatch(int Batch) : ReverseRecord;

public sealed record ConflictEntry(ConflictRecord Conflict) : ReverseRecord;

/// <summary>The records' encoding (format 1), and their framing into chunks of at most one segment.</summary>
public static class ReverseRecords
{
    private const int FormatVersion = 1;

    public static byte[] Encode(ReverseRecord record)
    {
        var writer = new CompactWriter().Int(FormatVersion);
        switch (record)
        {
            case ChangeSetStart start: writer.Int(1).Int(start.BatchCount ?? 0); break;
            case TableChangesStart table: writer.Int(2).String(table.Table).Long(table.UpTo); break;
            case ChangeRecord { Change: var c }: writer.Int(3).Bytes(c.Key).NullableBytes(c.BaseRow).NullableBytes(c.DestinationRow).String(c.LocalAt); break;
            case ResolutionTotals totals: writer.Int(4).Int(totals.KeysChanged).Int(totals.WrittenToSource); break;
            case ProcessedUpTo processed: writer.Int(5).String(processed.Table).Long(processed.UpTo); break;
            case ReshipBatch reship: writer.Int(6).Int(reship.Batch); break;
            case ConflictEntry { Conflict: var c }: writer.Int(7).String(c.Table).String(c.Key).String(c.Policy).String(c.Winner).String(c.SourceVersion).String(c.DestinationVersion); break;
            default: throw new ArgumentException($"{record.GetType().Name} is not a reverse-sync record.", nameof(record));
        }
        return writer.ToArray();
    }

    public static ReverseRecord Decode(byte[] encoded)
    {
        var reader = new CompactReader(encoded, "reverse-sync record");
        int version = reader.Int();
        if (version != FormatVersion) throw new DataEdgeException($"a reverse-sync record has format {version}; this build reads format {FormatVersion}.");
        ReverseRecord record = reader.Int() switch
        {
            1 => new ChangeSetStart(reader.Int() is var n and > 0 ? n : null),
            2 => new TableChangesStart(reader.String(), reader.Long()),
            3 => new ChangeRecord(new ReverseChange(reader.Bytes(), reader.NullableBytes(), reader.NullableBytes(), reader.String())),
            4 => new ResolutionTotals(reader.Int(), reader.Int()),
            5 => new ProcessedUpTo(reader.String(), reader.Long()),
            6 => new ReshipBatch(reader.Int()),
            7 => new ConflictEntry(new ConflictRecord(reader.String(), reader.String(), reader.String(), reader.String(), reader.String(), reader.String())),
            var kind => throw new DataEdgeException($"a reverse-sync record has unknown kind {kind}."),
        };
        reader.End();
        return record;
    }

    /// <summary>The records, each behind its varint length, cut into chunks of at most <paramref name="chunkSize"/> bytes.</summary>
    public static IEnumerable<byte[]> Chunks(IEnumerable<ReverseRecord> records, int chunkSize)
    {
        var chunk = new byte[chunkSize];
        int used = 0;
        var prefix = new byte[Coding.BatchFrame.MaxVarintSize];
        foreach (var record in records)
        {
            var encoded = Encode(record);
            int prefixLength = Coding.BatchFrame.WriteVarint(prefix, encoded.Length);
            var framed = new byte[prefixLength + encoded.Length];
            prefix.AsSpan(0, prefixLength).CopyTo(framed);
            encoded.CopyTo(framed, prefixLength);
            for (int at = 0; at < framed.Length;)
            {
                int take = Math.Min(framed.Length - at, chunkSize - used);
                framed.AsSpan(at, take).CopyTo(chunk.AsSpan(used));
                used += take;
                at += take;
                if (used < chunkSize) continue;
                yield return chunk;
                chunk = new byte[chunkSize];
                used = 0;
            }
        }
        if (used > 0) yield return chunk[..used];
    }

    /// <summary>Turns chunks back into records, in order, as they arrive.</summary>
    public sealed class Reader
    {
        private readonly Coding.RecordAssembler _assembler = new();

        public IReadOnlyList<ReverseRecord> Feed(ReadOnlySpan<byte> chunk)
        {
            var records = new List<ReverseRecord>();
            try { _assembler.Feed(chunk, record => records.Add(Decode(record.ToArray()))); }
            catch (InvalidDataException error) { throw new DataEdgeException($"a reverse-sync stream is damaged: {error.Message}", error); }
            return records;
        }

        public void Finish()
        {
            try { _assembler.Finish(); }
            catch (InvalidDataException error) { throw new DataEdgeException($"a reverse-sync stream ended early: {error.Message}", error); }
        }
    }
}

/// <summary>What Hub B did with a change set, for Hub C to record: log trimmed up to, batches to re-ship, conflicts.</summary>
public sealed record ReverseResolution(IReadOnlyDictionary<string, long> ProcessedUpTo, IReadOnlyList<int> Reship,
    IReadOnlyList<ConflictRecord> Conflicts, int KeysChanged, int WrittenToSource)
{
    public ReverseReport Report => new(KeysChanged, WrittenToSource, Conflicts);

    public IEnumerable<ReverseRecord> ToRecords()
    {
        yield return new ResolutionTotals(KeysChanged, WrittenToSource);
        foreach (var (table, upTo) in ProcessedUpTo) yield return new ProcessedUpTo(table, upTo);
        foreach (var batch in Reship) yield return new ReshipBatch(batch);
        foreach (var conflict in Conflicts) yield return new ConflictEntry(conflict);
    }

    public static ReverseResolution FromRecords(IEnumerable<ReverseRecord> records)
    {
        var processed = new Dictionary<string, long>(StringComparer.Ordinal);
        var reship = new List<int>();
        var conflicts = new List<ConflictRecord>();
        ResolutionTotals? totals = null;
        foreach (var record in records)
            switch (record)
            {
                case ResolutionTotals t: totals = t; break;
                case ProcessedUpTo p: processed[p.Table] = p.UpTo; break;
                case ReshipBatch r: reship.Add(r.Batch); break;
                case ConflictEntry c: conflicts.Add(c.Conflict); break;
                default: throw new DataEdgeException($"a reverse-sync resolution holds a {record.GetType().Name}.");
            }
        if (totals is null) throw new DataEdgeException("a reverse-sync resolution has no totals: it ended early.");
        return new ReverseResolution(processed, reship, conflicts, totals.KeysChanged, totals.WrittenToSource);
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
    /// <summary>Changes whose source rows are read (and locked) together.</summary>
    private const int ReadBatch = 200;

    public static async Task<ReverseReport> RunAsync(ISyncSource source, SqliteDestination destination,
        IReadOnlyList<TableSchema> tables, ConflictPolicies policies, CancellationToken cancellation = default)
    {
        var resolution = await ResolveAsync(source, tables, Async(Collect(destination, tables)), policies, cancellation);
        Complete(destination, tables, resolution);
        return resolution.Report;
    }

    /// <summary>
    /// At the destination: each key changed since the last sync, its base image and its current row, as records read
    /// from the change log as they are consumed (one key at a time, never the whole log).
    /// </summary>
    public static IEnumerable<ReverseRecord> Collect(SqliteDestination destination, IReadOnlyList<TableSchema> tables)
    {
        yield return new ChangeSetStart(destination.LastBatchCount);
        foreach (var table in tables)
        {
            if (destination.LastLogSequence(table) is not { } upTo) continue;
            yield return new TableChangesStart(table.Name, upTo);
            foreach (var change in destination.ChangesByKey(table, upTo)) yield return new ChangeRecord(change);
        }
    }

    /// <summary>How many keys a change set read from a destination will hold (for reports), without reading it.</summary>
    public static int CountKeys(SqliteDestination destination, IReadOnlyList<TableSchema> tables) =>
        tables.Sum(t => destination.ChangedKeys(t));

    /// <summary>At the source: decides each key by the policies and writes the winners, all in one transaction.</summary>
    public static async Task<ReverseResolution> ResolveAsync(ISyncSource source, IReadOnlyList<TableSchema> tables,
        IAsyncEnumerable<ReverseRecord> changeSet, ConflictPolicies policies, CancellationToken cancellation = default)
    {
        var conflicts = new List<ConflictRecord>();
        var processed = new Dictionary<string, long>(StringComparer.Ordinal);
        var reship = new SortedSet<int>();
        int keysChanged = 0;
        int? batchCount = null;
        TableSchema? table = null;
        var pending = new List<ReverseChange>();
        await using var writer = await source.BeginWriteAsync(cancellation);

        async Task DecideAsync()
        {
            if (pending.Count == 0) return;
            var policy = policies.For(table!.Name);
            var sourceRows = await writer.ReadRowsAsync(table, pending.Select(c => c.Key).ToArray(), cancellation);
            for (int i = 0; i < pending.Count; i++)
            {
                var change = pending[i];
                var sourceRow = sourceRows[i];
                keysChanged++;
                if (Same(sourceRow, change.BaseRow)) { await writer.WriteAsync(table, change.Key, change.DestinationRow, cancellation); continue; }
                if (Same(sourceRow, change.DestinationRow)) continue; // both sides made the same change

                bool destinationWins = policy == ConflictPolicy.DestinationWins
                    || (policy != ConflictPolicy.SourceWins && DestinationIsLater(table, sourceRow, change.DestinationRow, change.BaseRow, change.LocalAt));
                if (destinationWins) await writer.WriteAsync(table, change.Key, change.DestinationRow, cancellation);
                conflicts.Add(new ConflictRecord(table.Name, CanonicalRows.DescribeKey(change.Key, table), ConflictPolicies.Name(policy),
                    destinationWins ? "destination" : "source", Describe(sourceRow, table), Describe(change.DestinationRow, table)));
            }
            pending.Clear();
        }

        await foreach (var record in changeSet.WithCancellation(cancellation))
            switch (record)
            {
                case ChangeSetStart start:
                    batchCount = start.BatchCount;
                    break;
                case TableChangesStart start:
                    await DecideAsync();
                    table = ChangedTable(tables, start.Table, policies);
                    processed[table.Name] = start.UpTo;
                    break;
                case ChangeRecord { Change: var change }:
                    if (table is null) throw new DataEdgeException("a reverse-sync change set names a change before its table.");
                    if (batchCount is { } n) reship.Add(CanonicalRows.Bucket(change.Key, n));
                    if (Same(change.DestinationRow, change.BaseRow)) continue; // changed and changed back
                    pending.Add(change);
                    if (pending.Count >= ReadBatch) await DecideAsync();
                    break;
                default:
                    throw new DataEdgeException($"a reverse-sync change set holds a {record.GetType().Name}.");
            }
        await DecideAsync();
        await writer.CommitAsync(cancellation);
        return new ReverseResolution(processed, reship.ToArray(), conflicts, keysChanged, writer.Written);
    }

    /// <summary>The synced table a change set names, refused by name if it is not synced or its policy cannot apply.</summary>
    private static TableSchema ChangedTable(IReadOnlyList<TableSchema> tables, string name, ConflictPolicies policies)
    {
        var table = tables.FirstOrDefault(t => t.Name == name)
            ?? throw new DataEdgeException($"table '{name}' changed at the destination but is not among the synced source tables ({string.Join(", ", tables.Select(t => t.Name))}).");
        if (policies.For(table.Name) == ConflictPolicy.LastWriterWins && table.WatermarkColumn < 0)
            throw new DataEdgeException($"table '{table.Name}': last-writer-wins needs an updated_at-style DATETIME or TIMESTAMP column, and it has none; choose source-wins or destination-wins for it.");
        return table;
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

    private static async IAsyncEnumerable<ReverseRecord> Async(IEnumerable<ReverseRecord> records)
    {
        foreach (var record in records) yield return record;
        await Task.CompletedTask;
    }

    private static bool Same(byte[]? a, byte[]? b) => a is null ? b is null : b is not null && a.AsSpan().SequenceEqual(b);

    private static string Describe(byte[]? row, TableSchema table) => row is null ? "(deleted)" : CanonicalRows.DescribeRow(row, table);
}
