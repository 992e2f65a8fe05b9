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
    private Func<object?[], bool>? _staleCheck;

    /// <summary>The predicate behind actorsync_stale(table ordinal, key values…), set by the running apply session.</summary>
    internal Func<object?[], bool>? StaleCheck { set => _staleCheck = value; }

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
            // fewer B-tree splits: 250k → 360k rows/s here (docs/DATA.md). Hub C takes the batches round-robin, so
            // its writes advance through the keys together and 16 MiB of cache holds the pages they touch.
            Execute("PRAGMA page_size = 65536; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF; PRAGMA cache_size = -16384;");
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
        _connection.CreateFunction("actorsync_stale", (object?[] args) => _staleCheck?.Invoke(args) ?? false, isDeterministic: false);
    }

    /// <summary>
    /// The batch roots the destination holds for this layout, or all nulls if it was last synced with another layout
    /// (other tables, shapes, batch count or segment size), in which case the next apply replaces everything.
    /// </summary>
    public byte[]?[] StoredDigests(IReadOnlyList<TableSchema> tables, int batchCount, SegmentLayout? layout = null)
    {
        var digests = new byte[]?[batchCount];
        if (ReadMeta("layout") != Layout(tables, batchCount, layout ?? SegmentLayout.Default)) return digests;
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
    /// Starts applying a dataset's changed batches as their segments arrive, in one transaction (see
    /// <see cref="ApplySession"/>). Only one session at a time; nothing is visible until it commits.
    /// </summary>
    public ApplySession BeginApply(IReadOnlyList<TableSchema> tables, int batchCount, SegmentLayout layout, bool replaceAll = false) =>
        new(this, tables, batchCount, layout, replaceAll);

    /// <summary>
    /// Applies batches <paramref name="batches"/> of a dataset whose manifest is <paramref name="manifest"/>, all or
    /// nothing; <paramref name="readBatch"/> supplies each padded batch when it is its turn, so one is held at a time.
    /// </summary>
    public ApplyResult Apply(IReadOnlyList<TableSchema> tables, BatchManifest manifest, IReadOnlyCollection<int> batches, Func<int, byte[]> readBatch,
        IReadOnlyList<TableSummary>? expected = null)
    {
        using var session = BeginApply(tables, manifest.BatchCount, manifest.Layout);
        var todo = session.FullReplace ? Enumerable.Range(0, manifest.BatchCount).ToArray() : batches.Distinct().ToArray();
        foreach (var batch in todo)
        {
            var data = readBatch(batch);
            if (!manifest.Verify(batch, data))
                throw new DataEdgeException($"SQLite destination {Path}: batch B{batch + 1} does not match its manifest digest; it was not applied. Nothing was applied.");
            for (int i = 0; i < manifest.SegmentCount; i++)
            {
                var content = data.AsSpan((int)manifest.Layout.OffsetOf(i), manifest.ContentLength(batch, i));
                session.Add(batch, i, content, manifest.SegmentDigest(batch, i) ?? Digest.Empty);
            }
        }
        var result = session.Finish(manifest, expected);
        session.Commit();
        return result;
    }

    /// <summary>
    /// Streams a table's rows in canonical form, in any order or in primary-key order, straight off a raw statement (no
    /// per-value objects: verification reads every row of every table each cycle).
    /// </summary>
    public long ReadTable(TableSchema table, Action<ReadOnlySpan<byte>> onRow, bool orderByKey = false)
    {
        var order = orderByKey && table.HasPrimaryKey ? " ORDER BY " + string.Join(", ", table.KeyColumns.Select(c => SqlIdentifier.Sqlite(c.Name))) : "";
        var builder = new RowBuilder(table.Columns.Count);
        long rows = 0;
        StepRows(table, order, statement =>
        {
            builder.Begin();
            for (int i = 0; i < table.Columns.Count; i++) SqliteTypeMap.AppendColumn(statement, i, table.Columns[i], builder);
            onRow(builder.Complete());
            rows++;
        });
        return rows;
    }

    /// <summary>
    /// Reads a keyed table key first: each row's canonical key is built from its key columns and hashed (XXH3, as
    /// <see cref="CanonicalRows.Bucket"/> does), and only rows <paramref name="readWhole"/> accepts are read whole and
    /// passed on. SQLite decodes a column only when it is asked for, so a row not read whole costs little more than its key.
    /// </summary>
    public void ReadTableKeyFirst(TableSchema table, Func<ulong, bool> readWhole, Action<ulong, ReadOnlySpan<byte>> onRow)
    {
        if (!table.HasPrimaryKey) throw new ArgumentException($"table '{table.Name}' has no primary key to read first.", nameof(table));
        var key = CanonicalRows.KeyBuilder(table);
        var builder = new RowBuilder(table.Columns.Count);
        StepRows(table, "", statement =>
        {
            key.Begin();
            foreach (int ordinal in table.PrimaryKey) SqliteTypeMap.AppendColumn(statement, ordinal, table.Columns[ordinal], key);
            ulong hash = System.IO.Hashing.XxHash3.HashToUInt64(key.Complete());
            if (!readWhole(hash)) return;
            builder.Begin();
            for (int i = 0; i < table.Columns.Count; i++) SqliteTypeMap.AppendColumn(statement, i, table.Columns[i], builder);
            onRow(hash, builder.Complete());
        });
    }

    /// <summary>
    /// Steps a raw statement over every column of the table (then <paramref name="order"/>), handing each row's
    /// statement to <paramref name="onRow"/>; SQLite errors and values that do not fit their type name the table.
    /// </summary>
    private void StepRows(TableSchema table, string order, Action<nint> onRow)
    {
        var sql = $"SELECT {string.Join(", ", table.Columns.Select(c => SqlIdentifier.Sqlite(c.Name)))} FROM {SqlIdentifier.Sqlite(table.Name)}{order}";
        var statements = new List<sqlite3_stmt>();
        try
        {
            nint statement = Prepare(sql, statements).DangerousGetHandle();
            int rc;
            while ((rc = NativeSqlite.sqlite3_step(statement)) == raw.SQLITE_ROW) onRow(statement);
            Check(rc);
        }
        catch (SqliteException error)
        {
            throw new DataEdgeException($"SQLite destination {Path}: reading table '{table.Name}' failed: {Explain(error)}", error);
        }
        catch (Exception error) when (error is FormatException or InvalidCastException or OverflowException)
        {
            throw new DataEdgeException($"SQLite destination {Path}: table '{table.Name}' holds a value that does not fit its source type: {error.Message}", error);
        }
        finally
        {
            foreach (var statement in statements) statement.Dispose();
        }
    }

    /// <summary>The number of rows in a table.</summary>
    public long CountRows(string table)
    {
        using var count = _connection.CreateCommand();
        count.CommandText = $"SELECT COUNT(*) FROM {SqlIdentifier.Sqlite(table)}";
        return (long)count.ExecuteScalar()!;
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

    internal void EnsureTables(IReadOnlyList<TableSchema> tables)
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

    /// <summary>Deletes the rows of the given buckets (null: every row) from every table of the dataset, or from table <paramref name="only"/>.</summary>
    internal void RemoveBuckets(IReadOnlyList<TableSchema> tables, int batchCount, HashSet<int>? buckets, int? only = null)
    {
        if (buckets is { Count: 0 }) return;
        _bucketTables = tables;
        for (int t = 0; t < tables.Count; t++)
        {
            if (only is { } chosen && chosen != t) continue;
            var table = SqlIdentifier.Sqlite(tables[t].Name);
            if (buckets is null || buckets.Count == batchCount) { Execute($"DELETE FROM {table}"); continue; }
            var keyColumns = (tables[t].HasPrimaryKey ? tables[t].KeyColumns : tables[t].Columns).Select(c => SqlIdentifier.Sqlite(c.Name));
            Execute($"DELETE FROM {table} WHERE actorsync_bucket({t}, {batchCount}, {string.Join(", ", keyColumns)}) IN ({string.Join(", ", buckets.Order())})");
        }
    }

    /// <summary>actorsync_bucket(table ordinal, batch count, key values…): the batch a stored row belongs to.</summary>
    private long BucketOf(object?[] args) =>
        CanonicalRows.Bucket(StoredKey(_bucketTables[(int)(long)args[0]!], args, first: 2), (int)(long)args[1]!);

    /// <summary>The canonical key of a stored row from its key values (all values for a keyless table), starting at args[first].</summary>
    internal static byte[] StoredKey(TableSchema table, object?[] args, int first)
    {
        var columns = table.HasPrimaryKey ? table.KeyColumns.ToArray() : table.Columns.ToArray();
        var key = new RowBuilder(columns.Length);
        key.Begin();
        for (int i = 0; i < columns.Length; i++) SqliteTypeMap.Append(args[i + first], columns[i], key);
        return key.Complete().ToArray();
    }


    internal static string InsertSql(TableSchema table) =>
        $"INSERT INTO {SqlIdentifier.Sqlite(table.Name)} ({string.Join(", ", table.Columns.Select(c => SqlIdentifier.Sqlite(c.Name)))}) " +
        $"VALUES ({string.Join(", ", table.Columns.Select((_, i) => "?" + (i + 1)))})";

    internal sqlite3_stmt Prepare(string sql, List<sqlite3_stmt> statements)
    {
        int rc = raw.sqlite3_prepare_v2(_connection.Handle, sql, out var statement);
        if (rc != raw.SQLITE_OK) throw new SqliteException(raw.sqlite3_errmsg(_connection.Handle).utf8_to_string(), rc);
        statements.Add(statement);
        return statement;
    }

    internal void Insert(sqlite3_stmt statement, TableSchema table, ReadOnlySpan<byte> row)
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

    internal void Rollback()
    {
        try { if (raw.sqlite3_get_autocommit(_connection.Handle) == 0) Execute("ROLLBACK"); }
        catch (SqliteException) { } // the connection already rolled back (SQLite does on some I/O errors)
    }

    internal string? ReadMeta(string key)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT value FROM _actorsync_meta WHERE key = $key";
        command.Parameters.AddWithValue("$key", key);
        return command.ExecuteScalar() as string;
    }

    internal void WriteMeta(string key, string value)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "INSERT OR REPLACE INTO _actorsync_meta (key, value) VALUES ($key, $value)";
        command.Parameters.AddWithValue("$key", key);
        command.Parameters.AddWithValue("$value", value);
        command.ExecuteNonQuery();
    }

    /// <summary>What a stored batch root depends on: the batch format, content codec and segment size, the batch count, every table's shape.</summary>
    internal static string Layout(IReadOnlyList<TableSchema> tables, int batchCount, SegmentLayout layout) =>
        $"segments v2 of {layout.Size} B{(layout.Codec == ContentCodec.None ? "" : ", " + layout.Codec.Name())}; {batchCount} batches; "
        + string.Join(" | ", tables.Select(t => $"{t.Name}: {t.Shape}"));

    internal SqliteConnection Connection => _connection;

    internal static string Explain(SqliteException error) => error.SqliteErrorCode switch
    {
        13 => "the disk is full.",
        14 => "the file cannot be opened (check the path and permissions).",
        8 => "the file is read-only.",
        10 => $"an I/O error occurred ({error.Message}).",
        _ => error.Message,
    };
}
