using ActorSync.Coding;
using ActorSync.Data.Encoding;
using ActorSync.Data.Schema;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace ActorSync.Data.Sqlite;

public sealed record ApplyResult(int BatchesApplied, long RowsWritten, long BytesApplied, bool FullReplace);

/// <summary>
/// The SQLite side (Hub C). Tables are created with mapped types and the same primary key. Applying batches
/// replaces their buckets: in one transaction, the rows of those buckets are deleted and the batches' rows
/// inserted through one prepared statement per table, bound with SQLitePCL directly (no per-row ADO objects).
/// So an apply is idempotent, carries source deletes, and on any failure rolls back whole.
/// ActorSync keeps its bookkeeping in tables named _actorsync_*.
/// </summary>
public sealed partial class SqliteDestination : IDisposable
{
    private readonly SqliteConnection _connection;
    private IReadOnlyList<TableSchema> _bucketTables = [];

    public string Path { get; }

    public SqliteDestination(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        try
        {
            var directory = System.IO.Path.GetDirectoryName(Path);
            if (directory is not null && !Directory.Exists(directory))
                throw new DataEdgeException($"SQLite destination {Path}: directory {directory} does not exist.");
            _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path, Pooling = false }.ConnectionString);
            _connection.Open();
            // Key-hash batches insert all over the key range. 64 KiB pages (set when the file is created) mean far
            // fewer B-tree splits: 250k → 360k rows/s here (docs/DATA.md); a 64 MiB cache keeps the pages resident.
            Execute("PRAGMA page_size = 65536; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF; PRAGMA cache_size = -65536;");
            Execute("""
                CREATE TABLE IF NOT EXISTS _actorsync_tables (name TEXT PRIMARY KEY, shape TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS _actorsync_batches (batch INTEGER PRIMARY KEY, digest BLOB NOT NULL);
                CREATE TABLE IF NOT EXISTS _actorsync_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS _actorsync_conflicts (id INTEGER PRIMARY KEY, at TEXT NOT NULL, table_name TEXT NOT NULL,
                  key TEXT NOT NULL, policy TEXT NOT NULL, winner TEXT NOT NULL, source_version TEXT NOT NULL, destination_version TEXT NOT NULL);
                """);
        }
        catch (SqliteException error)
        {
            throw new DataEdgeException($"SQLite destination {Path}: {Explain(error)}", error);
        }
        _connection.CreateFunction("actorsync_bucket", (object?[] args) => BucketOf(args), isDeterministic: true);
    }

    /// <summary>
    /// The batch digests the destination holds for this layout, or all nulls if it was last synced with another
    /// layout (other tables, shapes or batch count), in which case the next apply replaces everything.
    /// </summary>
    public byte[]?[] StoredDigests(IReadOnlyList<TableSchema> tables, int batchCount)
    {
        var digests = new byte[]?[batchCount];
        if (ReadMeta("layout") != Layout(tables, batchCount)) return digests;
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT batch, digest FROM _actorsync_batches";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            long batch = reader.GetInt64(0);
            if (batch >= 0 && batch < batchCount) digests[batch] = (byte[])reader.GetValue(1);
        }
        return digests;
    }

    /// <summary>
    /// Applies batches <paramref name="batches"/> of a dataset whose manifest is <paramref name="manifest"/>, all or
    /// nothing; <paramref name="readBatch"/> supplies each padded batch when it is its turn, so one is held at a time.
    /// </summary>
    public ApplyResult Apply(IReadOnlyList<TableSchema> tables, BatchManifest manifest, IReadOnlyCollection<int> batches, Func<int, byte[]> readBatch)
    {
        var layout = Layout(tables, manifest.BatchCount);
        bool fullReplace = ReadMeta("layout") != layout;
        var statements = new List<sqlite3_stmt>();
        string stage = "starting the transaction";
        try
        {
            Execute("BEGIN IMMEDIATE");
            stage = "creating tables";
            EnsureTables(tables);
            stage = "checking for unsynced destination changes";
            bool capture = CaptureEnabled;
            long pending = PendingChanges(tables);
            if (pending > 0)
                throw new DataEdgeException($"{pending} row change(s) made at the destination wait to be synced back; run a bidirectional sync first, or they would be overwritten.");
            if (capture) foreach (var table in tables) Execute(ChangeCapture.DropTriggers(table)); // our own writes are not local changes
            stage = "removing replaced rows";
            if (fullReplace) Execute("DELETE FROM _actorsync_batches");
            RemoveBuckets(tables, manifest.BatchCount, fullReplace ? null : batches.ToHashSet());

            var inserts = tables.Select(t => Prepare(InsertSql(t), statements)).ToArray();
            long rows = 0, bytes = 0;
            foreach (var batch in batches)
            {
                stage = $"reading batch B{batch + 1}";
                var data = readBatch(batch);
                stage = $"checking batch B{batch + 1}";
                if (!manifest.Verify(batch, data))
                    throw new DataEdgeException($"batch B{batch + 1} does not match its manifest digest; it was not applied.");
                stage = $"inserting the rows of batch B{batch + 1}";
                foreach (var (table, row) in Dataset.Records(data))
                {
                    if ((uint)table >= (uint)tables.Count)
                        throw new DataEdgeException($"batch B{batch + 1} holds a row for table number {table}, but the dataset has {tables.Count} tables.");
                    Insert(inserts[table], tables[table], row.Span);
                    rows++;
                }
                bytes += data.Length;
                stage = "recording batch digests";
                using var record = _connection.CreateCommand();
                record.CommandText = "INSERT OR REPLACE INTO _actorsync_batches (batch, digest) VALUES ($batch, $digest)";
                record.Parameters.AddWithValue("$batch", batch);
                record.Parameters.AddWithValue("$digest", manifest.BatchDigests[batch]);
                record.ExecuteNonQuery();
            }
            if (capture)
            {
                stage = "restoring change capture";
                // Keyless tables cannot be matched back, so they are never captured (bidirectional sync refuses them).
                foreach (var table in tables.Where(t => t.HasPrimaryKey)) Execute(ChangeCapture.CreateLog(table) + "; " + ChangeCapture.CreateTriggers(table));
            }
            stage = "recording the layout";
            WriteMeta("layout", layout);
            WriteMeta("batch_count", manifest.BatchCount.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Execute("COMMIT");
            return new ApplyResult(batches.Count, rows, bytes, fullReplace);
        }
        catch (Exception error) when (error is SqliteException or DataEdgeException or InvalidDataException)
        {
            Rollback();
            var reason = error is SqliteException sqlite ? Explain(sqlite) : error.Message;
            throw new DataEdgeException($"SQLite destination {Path}: apply failed while {stage}: {reason} Nothing was applied.", error);
        }
        finally
        {
            foreach (var statement in statements) statement.Dispose();
        }
    }

    /// <summary>Streams a table's rows in canonical form, in any order or in primary-key order.</summary>
    public long ReadTable(TableSchema table, Action<ReadOnlySpan<byte>> onRow, bool orderByKey = false)
    {
        using var command = _connection.CreateCommand();
        var order = orderByKey && table.HasPrimaryKey ? " ORDER BY " + string.Join(", ", table.KeyColumns.Select(c => SqlIdentifier.Sqlite(c.Name))) : "";
        command.CommandText = $"SELECT {string.Join(", ", table.Columns.Select(c => SqlIdentifier.Sqlite(c.Name)))} FROM {SqlIdentifier.Sqlite(table.Name)}{order}";
        var builder = new RowBuilder(table.Columns.Count);
        long rows = 0;
        try
        {
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                builder.Begin();
                for (int i = 0; i < table.Columns.Count; i++) SqliteTypeMap.Append(reader.GetValue(i), table.Columns[i], builder);
                onRow(builder.Complete());
                rows++;
            }
        }
        catch (SqliteException error)
        {
            throw new DataEdgeException($"SQLite destination {Path}: reading table '{table.Name}' failed: {Explain(error)}", error);
        }
        catch (Exception error) when (error is FormatException or InvalidCastException or OverflowException)
        {
            throw new DataEdgeException($"SQLite destination {Path}: table '{table.Name}' holds a value that does not fit its source type: {error.Message}", error);
        }
        return rows;
    }

    /// <summary>A health check of a destination file from outside: it exists, opens, and answers a query.</summary>
    public static void Ping(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full)) throw new DataEdgeException($"SQLite destination {full}: the file does not exist.");
        try
        {
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = full, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ConnectionString);
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT COUNT(*) FROM sqlite_master";
            command.ExecuteScalar();
        }
        catch (SqliteException error)
        {
            throw new DataEdgeException($"SQLite destination {full}: {Explain(error)}", error);
        }
    }

    public bool HasTable(string name)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $name";
        command.Parameters.AddWithValue("$name", name);
        return command.ExecuteScalar() is not null;
    }

    /// <summary>Runs SQL against the destination; for tools and tests that change rows at Hub C.</summary>
    public int Execute(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteNonQuery();
    }

    public void Dispose() => _connection.Dispose();

    private void EnsureTables(IReadOnlyList<TableSchema> tables)
    {
        foreach (var table in tables)
        {
            using var lookup = _connection.CreateCommand();
            lookup.CommandText = "SELECT shape FROM _actorsync_tables WHERE name = $name";
            lookup.Parameters.AddWithValue("$name", table.Name);
            var shape = lookup.ExecuteScalar() as string;
            if (shape == table.Shape) continue;
            if (shape is not null)
                throw new DataEdgeException($"table '{table.Name}' changed shape since the last sync (was: {shape}; now: {table.Shape}). Use a new destination file, or drop the table there.");
            if (HasTable(table.Name))
                throw new DataEdgeException($"table '{table.Name}' already exists and was not created by ActorSync; it is left alone. Use another destination file.");

            var columns = table.Columns.Select(c => $"{SqlIdentifier.Sqlite(c.Name)} {SqliteTypeMap.DeclaredType(c)}{(c.Nullable ? "" : " NOT NULL")}");
            var key = table.HasPrimaryKey ? $", PRIMARY KEY ({string.Join(", ", table.KeyColumns.Select(c => SqlIdentifier.Sqlite(c.Name)))})" : "";
            Execute($"CREATE TABLE {SqlIdentifier.Sqlite(table.Name)} ({string.Join(", ", columns)}{key})");
            using var register = _connection.CreateCommand();
            register.CommandText = "INSERT INTO _actorsync_tables (name, shape) VALUES ($name, $shape)";
            register.Parameters.AddWithValue("$name", table.Name);
            register.Parameters.AddWithValue("$shape", table.Shape);
            register.ExecuteNonQuery();
        }
    }

    /// <summary>Deletes the rows of the given buckets (null: every row) from every table of the dataset.</summary>
    private void RemoveBuckets(IReadOnlyList<TableSchema> tables, int batchCount, HashSet<int>? buckets)
    {
        if (buckets is { Count: 0 }) return;
        _bucketTables = tables;
        for (int t = 0; t < tables.Count; t++)
        {
            var table = SqlIdentifier.Sqlite(tables[t].Name);
            if (buckets is null || buckets.Count == batchCount) { Execute($"DELETE FROM {table}"); continue; }
            var keyColumns = (tables[t].HasPrimaryKey ? tables[t].KeyColumns : tables[t].Columns).Select(c => SqlIdentifier.Sqlite(c.Name));
            Execute($"DELETE FROM {table} WHERE actorsync_bucket({t}, {batchCount}, {string.Join(", ", keyColumns)}) IN ({string.Join(", ", buckets.Order())})");
        }
    }

    /// <summary>actorsync_bucket(table ordinal, batch count, key values…): the batch a stored row belongs to.</summary>
    private long BucketOf(object?[] args)
    {
        var table = _bucketTables[(int)(long)args[0]!];
        int batchCount = (int)(long)args[1]!;
        var columns = table.HasPrimaryKey ? table.KeyColumns.ToArray() : table.Columns.ToArray();
        var key = new RowBuilder(columns.Length);
        key.Begin();
        for (int i = 0; i < columns.Length; i++) SqliteTypeMap.Append(args[i + 2], columns[i], key);
        return CanonicalRows.Bucket(key.Complete(), batchCount);
    }

    private static string InsertSql(TableSchema table) =>
        $"INSERT INTO {SqlIdentifier.Sqlite(table.Name)} ({string.Join(", ", table.Columns.Select(c => SqlIdentifier.Sqlite(c.Name)))}) " +
        $"VALUES ({string.Join(", ", table.Columns.Select((_, i) => "?" + (i + 1)))})";

    private sqlite3_stmt Prepare(string sql, List<sqlite3_stmt> statements)
    {
        int rc = raw.sqlite3_prepare_v2(_connection.Handle, sql, out var statement);
        if (rc != raw.SQLITE_OK) throw new SqliteException(raw.sqlite3_errmsg(_connection.Handle).utf8_to_string(), rc);
        statements.Add(statement);
        return statement;
    }

    private void Insert(sqlite3_stmt statement, TableSchema table, ReadOnlySpan<byte> row)
    {
        // The statement stays referenced by 'statements' until the apply ends, so its raw pointer stays valid.
        nint handle = statement.DangerousGetHandle();
        var reader = new RowReader(row, table.Columns.Count);
        Span<byte> scratch = stackalloc byte[SqliteTypeMap.ScratchSize];
        for (int i = 0; i < table.Columns.Count; i++)
            Check(SqliteTypeMap.Bind(handle, i + 1, table.Columns[i], reader.IsNull(i), ref reader, scratch));
        int rc = NativeSqlite.sqlite3_step(handle);
        NativeSqlite.sqlite3_reset(handle);
        if (rc != raw.SQLITE_DONE) Check(rc);
    }

    private void Check(int rc)
    {
        if (rc is raw.SQLITE_OK or raw.SQLITE_DONE or raw.SQLITE_ROW) return;
        throw new SqliteException(raw.sqlite3_errmsg(_connection.Handle).utf8_to_string(), rc);
    }

    private void Rollback()
    {
        try { if (raw.sqlite3_get_autocommit(_connection.Handle) == 0) Execute("ROLLBACK"); }
        catch (SqliteException) { } // the connection already rolled back (SQLite does on some I/O errors)
    }

    private string? ReadMeta(string key)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT value FROM _actorsync_meta WHERE key = $key";
        command.Parameters.AddWithValue("$key", key);
        return command.ExecuteScalar() as string;
    }

    private void WriteMeta(string key, string value)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "INSERT OR REPLACE INTO _actorsync_meta (key, value) VALUES ($key, $value)";
        command.Parameters.AddWithValue("$key", key);
        command.Parameters.AddWithValue("$value", value);
        command.ExecuteNonQuery();
    }

    private static string Layout(IReadOnlyList<TableSchema> tables, int batchCount) =>
        $"{batchCount} batches; " + string.Join(" | ", tables.Select(t => $"{t.Name}: {t.Shape}"));

    private static string Explain(SqliteException error) => error.SqliteErrorCode switch
    {
        13 => "the disk is full.",
        14 => "the file cannot be opened (check the path and permissions).",
        8 => "the file is read-only.",
        10 => $"an I/O error occurred ({error.Message}).",
        _ => error.Message,
    };
}
