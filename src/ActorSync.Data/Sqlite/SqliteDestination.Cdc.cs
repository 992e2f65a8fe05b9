using ActorSync.Binlog;
using ActorSync.Data.Cdc;
using ActorSync.Data.Encoding;
using ActorSync.Data.Schema;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace ActorSync.Data.Sqlite;

/// <summary>What one change batch did at the destination.</summary>
/// <param name="Skipped">Transactions at or before the stored position: applied before, so left alone.</param>
/// <param name="Tables">The followed tables after the batch's schema changes, or null if it had none.</param>
public sealed record ChangesApplied(int Transactions, int Skipped, long Rows, string Position, IReadOnlyList<TableSchema>? Tables = null);

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
            bool reshaped = false;
            foreach (var transaction in batch.Transactions)
            {
                var end = BinlogPosition.Parse(transaction.End);
                if (end <= position) { skipped++; continue; }
                foreach (var schema in transaction.Schemas)
                {
                    ApplySchema(schema, byName, statements);
                    reshaped = true;
                }
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
            var followed = RecordFollowState(batch, position, gtid, reshaped ? byName : null);
            Execute("COMMIT");
            return new ChangesApplied(applied, skipped, rows, position.ToString(), followed);
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

    /// <summary>
    /// In the batch's transaction: the tables it stopped, the new position, and (after schema changes) the followed
    /// tables' new shapes, which it returns; null when no table changed shape.
    /// </summary>
    private IReadOnlyList<TableSchema>? RecordFollowState(ChangeBatch batch, BinlogPosition position, string gtid, Dictionary<string, TableSchema>? reshaped)
    {
        foreach (var stop in batch.Stopped)
        {
            int colon = stop.IndexOf('\t');
            WriteMeta(StoppedPrefix + stop[..colon], stop[(colon + 1)..]);
        }
        WriteMeta(ChangePositionKey, position.ToString());
        WriteMeta("cdc_gtid", gtid);
        if (reshaped is null) return null;
        var followed = reshaped.Values.OrderBy(t => t.Name, StringComparer.Ordinal).ToArray();
        var summaries = FollowCatalog is { } known ? DatasetCatalog.Decode(known).Summaries.Where(s => reshaped.ContainsKey(s.Table)).ToArray() : [];
        WriteMeta("cdc_catalog", Convert.ToBase64String(new DatasetCatalog(followed, summaries).Encode()));
        return followed;
    }

    /// <summary>
    /// A source schema change, in the change batch's transaction (<see cref="SchemaEvolution"/> planned it at Hub B):
    /// SQLite's own ALTER TABLE where it can, with an added column's value for existing rows bound exactly. A table this
    /// destination did not create is never touched: its continuous sync stops, by name.
    /// </summary>
    private void ApplySchema(SchemaChange change, Dictionary<string, TableSchema> byName, Dictionary<(string, ChangeKind), SqliteCommand> statements)
    {
        foreach (var stale in statements.Keys.Where(k => string.Equals(k.Item1, change.Table, StringComparison.OrdinalIgnoreCase)).ToArray())
        {
            statements[stale].Dispose();
            statements.Remove(stale);
        }
        var name = SqlIdentifier.Sqlite(change.Table);
        bool ours = RegisteredShape(change.Table) is not null;
        if (!ours && HasTable(change.Table))
        {
            WriteMeta(StoppedPrefix + change.Table, $"table '{change.Table}' exists at the destination but was not created by ActorSync; `{change.Statement}` was not carried to it");
            byName.Remove(change.Table);
            return;
        }
        foreach (var step in change.Steps)
        {
            switch (step.Kind)
            {
                case SchemaStepKind.CreateTable:
                    EnsureTables([change.After!]);
                    break;
                case SchemaStepKind.DropTable:
                    Execute($"DROP TABLE IF EXISTS {name}");
                    Forget(change.Table);
                    break;
                case SchemaStepKind.Truncate:
                    Execute($"DELETE FROM {name}");
                    break;
                case SchemaStepKind.DropColumn:
                    Execute($"ALTER TABLE {name} DROP COLUMN {SqlIdentifier.Sqlite(step.Column)}");
                    break;
                case SchemaStepKind.RenameColumn:
                    Execute($"ALTER TABLE {name} RENAME COLUMN {SqlIdentifier.Sqlite(step.OldName)} TO {SqlIdentifier.Sqlite(step.Column)}");
                    break;
                case SchemaStepKind.AddColumn:
                    AddColumn(name, change.After!.Columns.First(c => string.Equals(c.Name, step.Column, StringComparison.OrdinalIgnoreCase)), step.Fill);
                    break;
            }
        }
        if (change.After is { } after)
        {
            byName[after.Name] = after;
            using var register = _connection.CreateCommand();
            register.CommandText = "INSERT OR REPLACE INTO _actorsync_tables (name, shape) VALUES ($name, $shape)";
            register.Parameters.AddWithValue("$name", after.Name);
            register.Parameters.AddWithValue("$shape", after.Shape);
            register.ExecuteNonQuery();
        }
        else byName.Remove(change.Table);
        using var unverified = _connection.CreateCommand(); // a watermark taken in the old shape says nothing of the new
        unverified.CommandText = "DELETE FROM _actorsync_meta WHERE key = $key";
        unverified.Parameters.AddWithValue("$key", "verified:" + change.Table);
        unverified.ExecuteNonQuery();
    }

    /// <summary>The shape ActorSync registered when it created the table here, or null if it did not create it.</summary>
    private string? RegisteredShape(string table)
    {
        using var lookup = _connection.CreateCommand();
        lookup.CommandText = "SELECT shape FROM _actorsync_tables WHERE name = $name";
        lookup.Parameters.AddWithValue("$name", table);
        return lookup.ExecuteScalar() as string;
    }

    /// <summary>Forgets a table ActorSync created and the source dropped.</summary>
    private void Forget(string table)
    {
        using var forget = _connection.CreateCommand();
        forget.CommandText = "DELETE FROM _actorsync_tables WHERE name = $name";
        forget.Parameters.AddWithValue("$name", table);
        forget.ExecuteNonQuery();
    }

    /// <summary>ADD COLUMN, then every existing row set to the value the source gave it, bound as any value is (exactly).</summary>
    private void AddColumn(string table, ColumnSchema column, byte[]? fill)
    {
        var declared = SqliteTypeMap.DeclaredType(column);
        // SQLite adds a NOT NULL column only with a constant default: a placeholder of the right storage class, overwritten below.
        var placeholder = declared switch { "INTEGER" or "REAL" => "0", "BLOB" => "X''", _ => "''" };
        Execute($"ALTER TABLE {table} ADD COLUMN {SqlIdentifier.Sqlite(column.Name)} {declared}{(column.Nullable ? "" : $" NOT NULL DEFAULT {placeholder}")}");
        if (fill is null) return;
        var statements = new List<sqlite3_stmt>();
        try
        {
            nint update = Prepare($"UPDATE {table} SET {SqlIdentifier.Sqlite(column.Name)} = ?1", statements).DangerousGetHandle();
            var reader = new RowReader(fill, 1);
            Span<byte> scratch = stackalloc byte[SqliteTypeMap.ScratchSize];
            Check(SqliteTypeMap.Bind(update, 1, column, reader.IsNull(0), ref reader, scratch));
            int rc = NativeSqlite.sqlite3_step(update);
            if (rc != raw.SQLITE_DONE) Check(rc);
        }
        finally
        {
            foreach (var statement in statements) statement.Dispose();
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
