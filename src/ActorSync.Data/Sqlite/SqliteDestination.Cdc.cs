using ActorSync.Binlog;
using ActorSync.Data.Cdc;
using ActorSync.Data.Encoding;
using ActorSync.Data.Schema;
using Microsoft.Data.Sqlite;

namespace ActorSync.Data.Sqlite;

/// <summary>What one change batch did at the destination.</summary>
/// <param name="Skipped">Transactions at or before the stored position: applied before, so left alone.</param>
public sealed record ChangesApplied(int Transactions, int Skipped, long Rows, string Position);

public sealed partial class SqliteDestination
{
    private const string ChangePositionKey = "cdc_position";
    private const string StoppedPrefix = "cdc_stopped:";
    private const string SnapshotPositionKey = "cdc_snapshot_position";

    /// <summary>The position of the latest snapshot continuous sync started (or restarted) from: changes after it
    /// must stay on the nodes, since a cycle may write that snapshot's rows again.</summary>
    public string FollowSnapshotPosition => ReadMeta(SnapshotPositionKey) ?? "";

    /// <summary>The binlog position the destination has applied up to (FILE:OFFSET), or empty if it does not follow one.</summary>
    public string ChangePosition => ReadMeta(ChangePositionKey) ?? "";

    /// <summary>The followed tables' catalog (encoded), or null if the destination does not follow.</summary>
    public byte[]? FollowCatalog => ReadMeta("cdc_catalog") is { } text ? Convert.FromBase64String(text) : null;

    /// <summary>The last GTID applied, for people.</summary>
    public string ChangeGtid => ReadMeta("cdc_gtid") ?? "";

    /// <summary>Tables whose continuous sync stopped, with why.</summary>
    public IReadOnlyDictionary<string, string> StoppedTables()
    {
        using var command = _connection.CreateCommand();
        command.CommandText = $"SELECT key, value FROM _actorsync_meta WHERE key LIKE '{StoppedPrefix}%'";
        using var reader = command.ExecuteReader();
        var stopped = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        while (reader.Read()) stopped[reader.GetString(0)[StoppedPrefix.Length..]] = reader.GetString(1);
        return stopped;
    }

    /// <summary>
    /// Marks the destination as holding the source exactly at <paramref name="position"/> (a verified snapshot
    /// taken there): continuous sync applies what follows it. Clears the stopped tables, which that snapshot copied.
    /// </summary>
    /// <param name="catalog">The followed tables (an encoded <see cref="DatasetCatalog"/>), kept for restarts.</param>
    /// <param name="fresh">A new follow: forget the tables stopped before. Otherwise (a newer snapshot applied while
    /// following) they stay stopped.</param>
    public void StartFollowingAt(string position, byte[]? catalog = null, bool fresh = true)
    {
        BinlogPosition.Parse(position); // refuse a malformed one before writing
        Execute("BEGIN IMMEDIATE");
        try
        {
            if (fresh) Execute($"DELETE FROM _actorsync_meta WHERE key LIKE '{StoppedPrefix}%'");
            if (catalog is not null) WriteMeta("cdc_catalog", Convert.ToBase64String(catalog));
            WriteMeta(ChangePositionKey, position);
            WriteMeta(SnapshotPositionKey, position);
            WriteMeta("cdc_gtid", "");
            Execute("COMMIT");
        }
        catch
        {
            Rollback();
            throw;
        }
    }

    /// <summary>
    /// Applies a change batch in one transaction, in commit order: each row upserted or deleted by key, and the new
    /// position stored with them, so a batch is applied whole or not at all. Transactions at or before the stored
    /// position are skipped, so a batch delivered twice, or overlapping one applied, changes nothing.
    /// </summary>
    public ChangesApplied ApplyChanges(ChangeBatch batch, IReadOnlyList<TableSchema> tables)
    {
        if (CaptureEnabled)
            throw new DataEdgeException($"SQLite destination {Path}: change capture for bidirectional sync is on; continuous sync is one-way and would log its own writes as local edits. Finish with `sync start --bidirectional`, or use another destination.");
        var byName = tables.ToDictionary(t => t.Name, StringComparer.OrdinalIgnoreCase);
        var statements = new Dictionary<(string, ChangeKind), SqliteCommand>();
        Execute("BEGIN IMMEDIATE");
        try
        {
            var stored = ChangePosition;
            if (stored.Length == 0)
                throw new DataEdgeException($"SQLite destination {Path}: it holds no snapshot position to follow from; start continuous sync with `actorsync sync follow`, which snapshots first.");
            var position = BinlogPosition.Parse(stored);
            if (BinlogPosition.Parse(batch.From) > position)
                throw new DataEdgeException($"SQLite destination {Path}: change batch {batch.Sequence} starts at {batch.From}, after the {stored} applied; the changes between are missing.");
            int applied = 0, skipped = 0;
            long rows = 0;
            string gtid = ChangeGtid;
            foreach (var transaction in batch.Transactions)
            {
                var end = BinlogPosition.Parse(transaction.End);
                if (end <= position) { skipped++; continue; }
                foreach (var change in transaction.Changes)
                {
                    if (!byName.TryGetValue(change.Table, out var table)) continue; // stopped, or not synced
                    var command = Statement(statements, table, change.Kind);
                    Bind(command, table, change);
                    command.ExecuteNonQuery();
                    rows++;
                }
                position = end;
                gtid = transaction.Gtid;
                applied++;
            }
            var to = BinlogPosition.Parse(batch.To);
            if (to > position) position = to;
            foreach (var stop in batch.Stopped)
            {
                int colon = stop.IndexOf('\t');
                WriteMeta(StoppedPrefix + stop[..colon], stop[(colon + 1)..]);
            }
            WriteMeta(ChangePositionKey, position.ToString());
            WriteMeta("cdc_gtid", gtid);
            Execute("COMMIT");
            return new ChangesApplied(applied, skipped, rows, position.ToString());
        }
        catch (Exception error) when (error is SqliteException or DataEdgeException or InvalidDataException)
        {
            Rollback();
            throw error is SqliteException sqlite ? new DataEdgeException($"SQLite destination {Path}: applying change batch {batch.Sequence}: {Explain(sqlite)}", sqlite) : error;
        }
        finally
        {
            foreach (var command in statements.Values) command.Dispose();
        }
    }

    private SqliteCommand Statement(Dictionary<(string, ChangeKind), SqliteCommand> statements, TableSchema table, ChangeKind kind)
    {
        if (statements.TryGetValue((table.Name, kind), out var command)) return command;
        command = _connection.CreateCommand();
        var name = SqlIdentifier.Sqlite(table.Name);
        command.CommandText = kind == ChangeKind.Upsert
            ? "INSERT OR REPLACE" + InsertSql(table)["INSERT".Length..]
            : $"DELETE FROM {name} WHERE {string.Join(" AND ", table.KeyColumns.Select((c, i) => $"{SqlIdentifier.Sqlite(c.Name)} IS ?{i + 1}"))}";
        int count = kind == ChangeKind.Upsert ? table.Columns.Count : table.PrimaryKey.Count;
        for (int i = 0; i < count; i++) command.Parameters.Add(new SqliteParameter { ParameterName = "?" + (i + 1) });
        command.Prepare();
        statements[(table.Name, kind)] = command;
        return command;
    }

    private static void Bind(SqliteCommand command, TableSchema table, RowChange change)
    {
        var columns = change.Kind == ChangeKind.Upsert ? table.Columns : table.KeyColumns.ToList();
        var reader = new RowReader(change.Data, columns.Count);
        for (int i = 0; i < columns.Count; i++)
            command.Parameters[i].Value = SqliteTypeMap.ToParameter(columns[i], reader.IsNull(i), ref reader);
    }
}
