using System.Globalization;
using System.IO.Hashing;
using ActorSync.Coding;
using ActorSync.Data.Encoding;
using ActorSync.Data.Schema;
using ActorSync.Data.Verify;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace ActorSync.Data.Sqlite;

/// <summary>
/// One apply at the destination that takes a dataset's changed batches segment by segment as they arrive, in any
/// interleaving of batches (each batch's segments in order), all inside one transaction: nothing is visible, and
/// nothing is half-applied, until <see cref="Commit"/>.
/// <list type="bullet">
/// <item>A first sync, or one with another layout (tables, shapes, batch count, segment size), replaces everything:
/// the tables are emptied up front and rows are plainly inserted.</item>
/// <item>Otherwise a changed batch's rows are upserted by primary key as they come, so the apply need not know in
/// advance which batches changed. Rows the source deleted are swept at the end: if a table holds more rows than the
/// snapshot says, every row of an applied bucket whose key did not arrive is deleted (one pass). A keyless table's
/// rows are staged and replace their buckets at the end.</item>
/// <item>Each segment is checked against its digest on arrival, and <see cref="Finish"/> checks every applied batch
/// against the manifest (all its segments, in order, each digest) before recording its root.</item>
/// </list>
/// </summary>
public sealed class ApplySession : IDisposable
{
    private readonly SqliteDestination _destination;
    private readonly IReadOnlyList<TableSchema> _tables;
    private readonly int _batchCount;
    private readonly SegmentLayout _layout;
    private readonly List<sqlite3_stmt> _statements = [];
    private readonly sqlite3_stmt[] _inserts;
    private readonly BatchContentReader?[] _assemblers;
    private readonly List<byte[]>[] _digests;
    private readonly long[] _contentLength;
    private readonly int[] _nextIndex;
    private readonly KeyHashLog?[] _arrivedKeys;
    private readonly TableDigest[] _written;
    private readonly RowBuilder[] _keyBuilders;
    private readonly bool _capture;
    private string _stage = "starting the transaction";
    private bool _open;
    private long _rows, _bytes;

    /// <summary>Everything is replaced (first sync, new layout, or a repair): every batch must arrive.</summary>
    public bool FullReplace { get; }

    /// <summary>The batch roots the destination held before this apply (all null when <see cref="FullReplace"/>).</summary>
    public IReadOnlyList<byte[]?> StoredRoots { get; }

    public int BatchesStarted => _assemblers.Count(a => a is not null);

    /// <summary>
    /// After <see cref="Finish"/>: per table, what this apply wrote to it, for verification without reading it back;
    /// null for a keyless table (read back whole).
    /// </summary>
    public IReadOnlyList<WrittenRows?> Written { get; private set; } = [];

    internal ApplySession(SqliteDestination destination, IReadOnlyList<TableSchema> tables, int batchCount, SegmentLayout layout, bool replaceAll)
    {
        _destination = destination;
        _tables = tables;
        _batchCount = batchCount;
        _layout = layout;
        _assemblers = new BatchContentReader?[batchCount];
        _digests = Enumerable.Range(0, batchCount).Select(_ => new List<byte[]>()).ToArray();
        _contentLength = new long[batchCount];
        _nextIndex = new int[batchCount];
        _keyBuilders = tables.Select(CanonicalRows.KeyBuilder).ToArray();
        var stored = destination.StoredDigests(tables, batchCount, layout);
        FullReplace = replaceAll || destination.ReadMeta("layout") != SqliteDestination.Layout(tables, batchCount, layout);
        StoredRoots = FullReplace ? new byte[]?[batchCount] : stored;
        _arrivedKeys = tables.Select(t => FullReplace || !t.HasPrimaryKey ? null : new KeyHashLog()).ToArray();
        _written = tables.Select(t => new TableDigest(t)).ToArray();
        try
        {
            destination.Execute("BEGIN IMMEDIATE");
            _open = true;
            _stage = "creating tables";
            destination.EnsureTables(tables);
            _stage = "checking for unsynced destination changes";
            _capture = destination.CaptureEnabled;
            long pending = destination.PendingChanges(tables);
            if (pending > 0)
                throw new DataEdgeException($"{pending} row change(s) made at the destination wait to be synced back; run a bidirectional sync first, or they would be overwritten.");
            if (_capture) foreach (var table in tables) destination.Execute(ChangeCapture.DropTriggers(table)); // our own writes are not local changes
            _stage = "removing replaced rows";
            if (FullReplace)
            {
                destination.Execute("DELETE FROM _actorsync_batches");
                destination.RemoveBuckets(tables, batchCount, buckets: null);
            }
            _stage = "preparing statements";
            for (int t = 0; t < tables.Count; t++)
                if (!FullReplace && !tables[t].HasPrimaryKey) destination.Execute(StagingSql(t));
            _inserts = tables.Select((t, i) => destination.Prepare(InsertSql(t, i), _statements)).ToArray();
        }
        catch (Exception error) when (error is SqliteException or DataEdgeException)
        {
            throw Failed(error);
        }
    }

    /// <summary>
    /// Segment <paramref name="index"/> of batch <paramref name="batch"/>: its content (no padding) and the digest it
    /// should have. The first segment of a batch marks the batch as changed; its segments must come in order.
    /// </summary>
    public void Add(int batch, int index, ReadOnlySpan<byte> content, ReadOnlySpan<byte> digest)
    {
        try
        {
            if ((uint)batch >= (uint)_batchCount)
                throw new DataEdgeException($"a segment names batch B{batch + 1}, but the dataset has {_batchCount} batches.");
            if (index != _nextIndex[batch])
                throw new DataEdgeException($"segment {index} of batch B{batch + 1} arrived where segment {_nextIndex[batch]} was due.");
            _stage = $"checking segment {index} of batch B{batch + 1}";
            if (!Digest.Matches(digest, Digest.Of(content)))
                throw new DataEdgeException($"segment {index} of batch B{batch + 1} does not match its digest; it was damaged on the way.");
            _nextIndex[batch]++;
            var assembler = _assemblers[batch] ??= new BatchContentReader(_layout.Codec);
            if (content.IsEmpty) return;
            _digests[batch].Add(digest.ToArray());
            _contentLength[batch] += content.Length;
            _bytes += content.Length;
            _stage = $"inserting the rows of batch B{batch + 1}";
            assembler.Feed(content, InsertRecord);
        }
        catch (Exception error) when (error is SqliteException or DataEdgeException or InvalidDataException)
        {
            throw Failed(error);
        }
    }

    /// <summary>
    /// Checks every applied batch against the manifest, sweeps rows the source deleted, and records the roots. The
    /// transaction stays open: verify the tables, then <see cref="Commit"/> (or dispose to roll back).
    /// </summary>
    /// <param name="expected">Each table's row count at the source snapshot; a table holding more is swept. Null: always sweep.</param>
    public ApplyResult Finish(BatchManifest manifest, IReadOnlyList<TableSummary>? expected)
    {
        try
        {
            _stage = "checking the applied batches against the manifest";
            if (manifest.BatchCount != _batchCount)
                throw new DataEdgeException($"the manifest has {manifest.BatchCount} batches, the apply {_batchCount}.");
            if (manifest.Layout != _layout)
                throw new DataEdgeException($"the manifest's batches are {manifest.Layout.Codec.Name()} content in segments of {manifest.Layout.Size} B, the apply's {_layout.Codec.Name()} in {_layout.Size} B.");
            var applied = Enumerable.Range(0, _batchCount).Where(b => _assemblers[b] is not null).ToArray();
            if (FullReplace && applied.Length != _batchCount)
                throw new DataEdgeException($"every batch must be applied to replace the destination, but {_batchCount - applied.Length} did not arrive.");
            foreach (var batch in applied)
            {
                _assemblers[batch]!.Finish();
                var descriptor = manifest.Batches[batch];
                if (_contentLength[batch] != descriptor.ContentLength || _digests[batch].Count != descriptor.SegmentDigests.Count
                    || !_digests[batch].Zip(descriptor.SegmentDigests).All(d => d.First.AsSpan().SequenceEqual(d.Second)))
                    throw new DataEdgeException($"batch B{batch + 1} arrived incomplete or differs from its manifest ({_contentLength[batch]} of {descriptor.ContentLength} bytes).");
            }
            if (!FullReplace && applied.Length > 0) ReplaceStaleRows(applied.ToHashSet(), expected);

            _stage = "recording batch roots";
            foreach (var batch in applied)
            {
                using var record = _destination.Connection.CreateCommand();
                record.CommandText = "INSERT OR REPLACE INTO _actorsync_batches (batch, digest) VALUES ($batch, $digest)";
                record.Parameters.AddWithValue("$batch", batch);
                record.Parameters.AddWithValue("$digest", manifest.BatchDigests[batch]);
                record.ExecuteNonQuery();
            }
            if (_capture)
            {
                _stage = "restoring change capture";
                // Keyless tables cannot be matched back, so they are never captured (bidirectional sync refuses them).
                foreach (var table in _tables.Where(t => t.HasPrimaryKey)) _destination.Execute(ChangeCapture.CreateLog(table) + "; " + ChangeCapture.CreateTriggers(table));
            }
            _stage = "recording the layout";
            _destination.WriteMeta("layout", SqliteDestination.Layout(_tables, _batchCount, _layout));
            _destination.WriteMeta("batch_count", _batchCount.ToString(CultureInfo.InvariantCulture));
            var buckets = applied.ToHashSet();
            Written = _tables.Select((t, i) => t.HasPrimaryKey
                ? new WrittenRows(_written[i], FullReplace, buckets, _batchCount)
                : null).ToArray();
            return new ApplyResult(applied.Length, _rows, _bytes, FullReplace);
        }
        catch (Exception error) when (error is SqliteException or DataEdgeException or InvalidDataException)
        {
            throw Failed(error);
        }
    }

    public void Commit()
    {
        try
        {
            _stage = "committing";
            _destination.Execute("COMMIT");
            _open = false;
        }
        catch (SqliteException error)
        {
            throw Failed(error);
        }
    }

    public void Dispose()
    {
        _destination.StaleCheck = null;
        foreach (var statement in _statements) statement.Dispose();
        _statements.Clear();
        if (_open) _destination.Rollback();
        _open = false;
    }

    private DataEdgeException Failed(Exception error)
    {
        Dispose();
        var reason = error is SqliteException sqlite ? SqliteDestination.Explain(sqlite) : error.Message;
        return new DataEdgeException($"SQLite destination {_destination.Path}: apply failed while {_stage}: {reason} Nothing was applied.", error);
    }

    private void InsertRecord(ReadOnlySpan<byte> record)
    {
        int table = Dataset.TableOf(record, out int rowStart);
        var row = record[rowStart..];
        if ((uint)table >= (uint)_tables.Count)
            throw new DataEdgeException($"a batch holds a row for table number {table}, but the dataset has {_tables.Count} tables.");
        _destination.Insert(_inserts[table], _tables[table], row);
        ulong keyHash = XxHash3.HashToUInt64(CanonicalRows.Key(row, _tables[table], _keyBuilders[table]));
        _arrivedKeys[table]?.Add(keyHash);
        _written[table].Add(keyHash, row);
        _rows++;
    }

    /// <summary>Deletes the rows of the applied buckets that no longer exist at the source, and moves staged keyless rows in.</summary>
    private void ReplaceStaleRows(HashSet<int> applied, IReadOnlyList<TableSummary>? expected)
    {
        for (int t = 0; t < _tables.Count; t++)
        {
            var table = _tables[t];
            var name = SqlIdentifier.Sqlite(table.Name);
            if (!table.HasPrimaryKey)
            {
                _stage = $"replacing the changed buckets of keyless table '{table.Name}'";
                _destination.RemoveBuckets(_tables, _batchCount, applied, only: t);
                _destination.Execute($"INSERT INTO {name} SELECT * FROM temp.{StagingTable(t)}; DROP TABLE temp.{StagingTable(t)}");
                continue;
            }
            _stage = $"counting the rows of table '{table.Name}'";
            using var count = _destination.Connection.CreateCommand();
            count.CommandText = $"SELECT COUNT(*) FROM {name}";
            long rows = (long)count.ExecuteScalar()!;
            long? wanted = expected?.FirstOrDefault(s => s.Table == table.Name)?.Rows;
            if (wanted is { } exact && rows <= exact) continue; // upserts only replace: no row is left over
            _stage = $"deleting rows of table '{table.Name}' that the source deleted";
            var arrived = _arrivedKeys[t]!.ToSortedArray();
            int ordinal = t;
            _destination.StaleCheck = args =>
            {
                var key = SqliteDestination.StoredKey(_tables[ordinal], args, first: 1);
                ulong hash = XxHash3.HashToUInt64(key);
                return applied.Contains((int)(hash % (ulong)_batchCount)) && Array.BinarySearch(arrived, hash) < 0;
            };
            var keys = string.Join(", ", table.KeyColumns.Select(c => SqlIdentifier.Sqlite(c.Name)));
            _destination.Execute($"DELETE FROM {name} WHERE actorsync_stale({t}, {keys})");
            _destination.StaleCheck = null;
        }
    }

    private static string StagingTable(int ordinal) => $"_actorsync_stage_{ordinal}";

    private string StagingSql(int ordinal) =>
        $"CREATE TEMP TABLE {StagingTable(ordinal)} AS SELECT * FROM {SqlIdentifier.Sqlite(_tables[ordinal].Name)} WHERE 0";

    /// <summary>A plain insert when replacing everything; otherwise an upsert by primary key, or a staged insert for a keyless table.</summary>
    private string InsertSql(TableSchema table, int ordinal)
    {
        var insert = SqliteDestination.InsertSql(table);
        if (FullReplace) return insert;
        if (!table.HasPrimaryKey) return insert.Replace($"INSERT INTO {SqlIdentifier.Sqlite(table.Name)} ", $"INSERT INTO temp.{StagingTable(ordinal)} ", StringComparison.Ordinal);
        var keys = table.KeyColumns.Select(c => SqlIdentifier.Sqlite(c.Name)).ToArray();
        var others = table.Columns.Select(c => SqlIdentifier.Sqlite(c.Name)).Except(keys).ToArray();
        return others.Length == 0 ? $"{insert} ON CONFLICT ({string.Join(", ", keys)}) DO NOTHING"
            : $"{insert} ON CONFLICT ({string.Join(", ", keys)}) DO UPDATE SET {string.Join(", ", others.Select(c => $"{c} = excluded.{c}"))}";
    }
}
