using System.Globalization;
using System.Text.RegularExpressions;
using ActorSync.Data.Encoding;
using ActorSync.Data.MySql;
using ActorSync.Data.Schema;
using Microsoft.Data.Sqlite;

namespace ActorSync.Data.Sqlite;

/// <summary>
/// A SQLite file standing in for MySQL at Hub B, so the whole product runs where no MySQL is installed (the demo's
/// embedded default). Its columns declare MySQL types (INT UNSIGNED, VARCHAR(32), DECIMAL(10,2), DATETIME(6) …),
/// which map to the same canonical kinds as on MySQL, so its batches and digests equal those of the same data in
/// MySQL. A bare SQLite INTEGER is a signed 64-bit integer. The file must exist: a missing file is a source that is
/// down, which is how the demo stops it.
/// </summary>
public sealed partial class SqliteSource : ISyncSource
{
    private readonly string _path;

    public SqliteSource(string path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new DataEdgeException("the SQLite source path is empty.");
        _path = Path.GetFullPath(path);
    }

    public string Kind => "sqlite";

    public string Name => $"SQLite source {_path}";

    public string FilePath => _path;

    private SqliteConnection Open(bool write = false)
    {
        if (!File.Exists(_path)) throw new DataEdgeException($"{Name}: the file does not exist (is the source down?).");
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = _path,
            Mode = write ? SqliteOpenMode.ReadWrite : SqliteOpenMode.ReadOnly,
            Pooling = false,
            DefaultTimeout = 30,
        }.ConnectionString);
        try
        {
            connection.Open();
            return connection;
        }
        catch (SqliteException error)
        {
            connection.Dispose();
            throw new DataEdgeException($"{Name}: {error.Message}", error);
        }
    }

    public Task PingAsync(CancellationToken cancellation = default) => Task.Run(() =>
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM sqlite_schema";
        try { command.ExecuteScalar(); }
        catch (SqliteException error) { throw new DataEdgeException($"{Name}: {error.Message}", error); }
    }, cancellation);

    public Task<IReadOnlyList<TableSchema>> DiscoverAsync(IReadOnlyCollection<string>? tables = null, CancellationToken cancellation = default) =>
        DiscoverAsync(SyncFilter.Only(tables), cancellation);

    public Task<IReadOnlyList<TableSchema>> DiscoverAsync(SyncFilter filter, CancellationToken cancellation = default) =>
        Task.Run<IReadOnlyList<TableSchema>>(() =>
        {
            using var connection = Open();
            var names = new List<string>();
            using (var command = connection.CreateCommand())
            {
                // ActorSync's own bookkeeping (_actorsync_*) and SQLite's internal tables are never data.
                command.CommandText = """
                    SELECT name FROM sqlite_schema WHERE type = 'table'
                    AND name NOT LIKE 'sqlite\_%' ESCAPE '\' AND name NOT LIKE '\_actorsync%' ESCAPE '\'
                    """;
                using var reader = command.ExecuteReader();
                while (reader.Read()) names.Add(reader.GetString(0));
            }
            return filter.Select(names, Name).Select(name => DescribeTable(connection, name, filter)).ToList();
        }, cancellation);

    private static TableSchema DescribeTable(SqliteConnection connection, string table, SyncFilter filter)
    {
        var columns = new List<ColumnSchema>();
        var keyed = new List<(int Position, int Ordinal)>();
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT name, type, \"notnull\", pk FROM pragma_table_info(@table) ORDER BY cid";
            command.Parameters.AddWithValue("@table", table);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                string name = reader.GetString(0);
                int pk = reader.GetInt32(3);
                if (filter.ExcludesColumn(table, name))
                {
                    if (pk > 0) throw new DataEdgeException($"table '{table}', column '{name}': it is part of the primary key and cannot be left out (exclude-columns).");
                    continue;
                }
                // A key column is NOT NULL in MySQL; SQLite allows NULL in a non-INTEGER key unless declared otherwise.
                columns.Add(MapDeclared(table, name, reader.GetString(1), nullable: reader.GetInt32(2) == 0 && pk == 0));
                if (pk > 0) keyed.Add((pk, columns.Count - 1));
            }
        }
        string[] watermarkNames = ["updated_at", "modified_at", "last_modified", "updated", "modified"];
        var watermark = watermarkNames
            .Select(n => columns.FindIndex(c => c.Kind == ColumnKind.DateTime && c.Name.Equals(n, StringComparison.OrdinalIgnoreCase)))
            .FirstOrDefault(i => i >= 0, -1);
        return new TableSchema(table, columns, keyed.OrderBy(k => k.Position).Select(k => k.Ordinal).ToList(), watermark);
    }

    /// <summary>A declared column type → canonical kind, as MySQL would map it; anything else is refused by name.</summary>
    internal static ColumnSchema MapDeclared(string table, string column, string declared, bool nullable)
    {
        var match = DeclaredType().Match(declared.Trim().ToLowerInvariant());
        if (!match.Success)
            throw new DataEdgeException($"table '{table}', column '{column}': a SQLite source column needs a declared MySQL type (INT, VARCHAR(n), DECIMAL(p,s), DATETIME …), not '{declared}'.");
        var type = match.Groups["type"].Value;
        var arguments = match.Groups["args"].Success
            ? match.Groups["args"].Value.Split(',').Select(a => int.TryParse(a.Trim(), CultureInfo.InvariantCulture, out var v) ? v : 0).ToArray()
            : [];
        int First(int fallback) => arguments.Length > 0 ? arguments[0] : fallback;
        return type switch
        {
            // SQLite's own INTEGER holds 64 bits.
            "integer" when !declared.Contains("unsigned", StringComparison.OrdinalIgnoreCase)
                => new ColumnSchema(column, ColumnKind.SignedInteger, nullable, declared, Bits: 64),
            "decimal" or "numeric" => MySqlSource.Map(table, column, type, declared, nullable, First(10), arguments.Length > 1 ? arguments[1] : 0, 0),
            "datetime" or "timestamp" or "time" => MySqlSource.Map(table, column, type, declared, nullable, 0, 0, First(0)),
            "bit" => MySqlSource.Map(table, column, type, declared, nullable, First(1), 0, 0),
            _ => MySqlSource.Map(table, column, type, declared, nullable, 0, 0, 0),
        };
    }

    public Task<long> ReadAsync(TableSchema table, Action<ReadOnlySpan<byte>> onRow, CancellationToken cancellation = default) =>
        Task.Run(() => Read(table, onRow, withWatermark: false, cancellation).Rows, cancellation);

    public Task<(long Rows, string? Watermark)> ReadWithWatermarkAsync(TableSchema table, Action<ReadOnlySpan<byte>> onRow, CancellationToken cancellation = default,
        Func<ValueTask>? afterRow = null) =>
        Task.Run(() => Read(table, onRow, withWatermark: true, cancellation, afterRow), cancellation);

    private (long Rows, string? Watermark) Read(TableSchema table, Action<ReadOnlySpan<byte>> onRow, bool withWatermark, CancellationToken cancellation,
        Func<ValueTask>? afterRow = null)
    {
        using var connection = Open();
        // One read transaction: the watermark and the rows come from the same snapshot.
        using var transaction = connection.BeginTransaction(deferred: true);
        return ReadIn(connection, transaction, table, onRow, withWatermark, cancellation, afterRow);
    }

    public Task<ISourceSnapshot> OpenSnapshotAsync(CancellationToken cancellation = default) => Task.Run<ISourceSnapshot>(() =>
    {
        var connection = Open();
        try
        {
            // A deferred read transaction: its snapshot starts at the first read and holds for every table after it.
            return new Snapshot(this, connection, connection.BeginTransaction(deferred: true));
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }, cancellation);

    private sealed class Snapshot(SqliteSource source, SqliteConnection connection, SqliteTransaction transaction) : ISourceSnapshot
    {
        public Task<(long Rows, string? Watermark)> ReadWithWatermarkAsync(TableSchema table, Action<ReadOnlySpan<byte>> onRow, CancellationToken cancellation = default,
            Func<ValueTask>? afterRow = null) =>
            Task.Run(() => source.ReadIn(connection, transaction, table, onRow, withWatermark: true, cancellation, afterRow), cancellation);

        public Task<string?> ReadWatermarkAsync(TableSchema table, CancellationToken cancellation = default) =>
            Task.Run(() => source.Watermark(connection, transaction, table), cancellation);

        public ValueTask DisposeAsync()
        {
            transaction.Dispose();
            connection.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    private (long Rows, string? Watermark) ReadIn(SqliteConnection connection, SqliteTransaction transaction, TableSchema table, Action<ReadOnlySpan<byte>> onRow,
        bool withWatermark, CancellationToken cancellation, Func<ValueTask>? afterRow)
    {
        var watermark = withWatermark ? Watermark(connection, transaction, table) : null;
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = SelectSql(table, ordered: true);
        var builder = new RowBuilder(table.Columns.Count);
        long rows = 0;
        try
        {
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                cancellation.ThrowIfCancellationRequested();
                Encode(reader, table, builder);
                onRow(builder.Complete());
                rows++;
                // A dedicated read thread: waiting here for the consumer is the back-pressure.
                if (afterRow is not null && afterRow() is var pause && !pause.IsCompletedSuccessfully) pause.AsTask().GetAwaiter().GetResult();
            }
        }
        catch (SqliteException error)
        {
            throw new DataEdgeException($"{Name}: reading table '{table.Name}' failed after {rows} rows: {error.Message}", error);
        }
        return (rows, watermark);
    }

    public Task<string?> ReadWatermarkAsync(TableSchema table, CancellationToken cancellation = default) => Task.Run(() =>
    {
        using var connection = Open();
        return Watermark(connection, null, table);
    }, cancellation);

    private string? Watermark(SqliteConnection connection, SqliteTransaction? transaction, TableSchema table)
    {
        if (table.WatermarkColumn < 0) return null;
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        var column = SqlIdentifier.Sqlite(table.Columns[table.WatermarkColumn].Name);
        command.CommandText = $"SELECT COUNT(*), MAX({column}) FROM {SqlIdentifier.Sqlite(table.Name)}";
        try
        {
            using var reader = command.ExecuteReader();
            reader.Read();
            return $"{reader.GetInt64(0)}|{(reader.IsDBNull(1) ? "" : Convert.ToString(reader.GetValue(1), CultureInfo.InvariantCulture))}";
        }
        catch (SqliteException error)
        {
            throw new DataEdgeException($"{Name}: reading the watermark of table '{table.Name}' failed: {error.Message}", error);
        }
    }

    public Task<byte[]?> ReadRowAsync(TableSchema table, byte[] key, CancellationToken cancellation = default) => Task.Run(() =>
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"{SelectSql(table, ordered: false)} WHERE {KeyPredicate(table, command, key)}";
        try
        {
            using var reader = command.ExecuteReader();
            if (!reader.Read()) return null;
            var row = new RowBuilder(table.Columns.Count);
            Encode(reader, table, row);
            return row.Complete().ToArray();
        }
        catch (SqliteException error)
        {
            throw new DataEdgeException($"{Name}: reading a row of table '{table.Name}' failed: {error.Message}", error);
        }
    }, cancellation);

    public Task<ISourceWriter> BeginWriteAsync(CancellationToken cancellation = default) => Task.Run<ISourceWriter>(() =>
    {
        var connection = Open(write: true);
        try
        {
            return new Writer(this, connection, connection.BeginTransaction());
        }
        catch (SqliteException error)
        {
            connection.Dispose();
            throw new DataEdgeException($"{Name}: starting the reverse-sync transaction failed: {error.Message}", error);
        }
    }, cancellation);

    /// <summary>A reverse-sync transaction on the SQLite stand-in: it holds the write lock from the first write to the commit.</summary>
    private sealed class Writer(SqliteSource source, SqliteConnection connection, SqliteTransaction transaction) : ISourceWriter
    {
        private bool _committed;

        public int Written { get; private set; }

        public Task<IReadOnlyList<byte[]?>> ReadRowsAsync(TableSchema table, IReadOnlyList<byte[]> keys, CancellationToken cancellation = default)
        {
            var rows = new byte[]?[keys.Count];
            var row = new RowBuilder(table.Columns.Count);
            try
            {
                for (int k = 0; k < keys.Count; k++)
                {
                    using var command = connection.CreateCommand();
                    command.Transaction = transaction;
                    command.CommandText = $"{SelectSql(table, ordered: false)} WHERE {KeyPredicate(table, command, keys[k])}";
                    using var reader = command.ExecuteReader();
                    if (!reader.Read()) continue;
                    source.Encode(reader, table, row);
                    rows[k] = row.Complete().ToArray();
                }
            }
            catch (SqliteException error)
            {
                throw new DataEdgeException($"{source.Name}: reading rows of table '{table.Name}' for reverse sync failed: {error.Message} Nothing was written.", error);
            }
            return Task.FromResult<IReadOnlyList<byte[]?>>(rows);
        }

        public Task WriteAsync(TableSchema table, byte[] key, byte[]? row, CancellationToken cancellation = default)
        {
            try
            {
                using var command = connection.CreateCommand();
                command.Transaction = transaction;
                if (row is null)
                    command.CommandText = $"DELETE FROM {SqlIdentifier.Sqlite(table.Name)} WHERE {KeyPredicate(table, command, key)}";
                else
                {
                    var reader = new RowReader(row, table.Columns.Count);
                    for (int i = 0; i < table.Columns.Count; i++)
                        command.Parameters.AddWithValue($"@c{i}", SqliteTypeMap.ToParameter(table.Columns[i], reader.IsNull(i), ref reader));
                    var columns = string.Join(", ", table.Columns.Select(c => SqlIdentifier.Sqlite(c.Name)));
                    command.CommandText = $"INSERT OR REPLACE INTO {SqlIdentifier.Sqlite(table.Name)} ({columns}) VALUES ({string.Join(", ", table.Columns.Select((_, i) => $"@c{i}"))})";
                }
                command.ExecuteNonQuery();
                Written++;
            }
            catch (SqliteException error)
            {
                throw new DataEdgeException($"{source.Name}: writing back to table '{table.Name}' failed: {error.Message} Nothing was written.", error);
            }
            return Task.CompletedTask;
        }

        public Task CommitAsync(CancellationToken cancellation = default)
        {
            try
            {
                transaction.Commit();
                _committed = true;
            }
            catch (SqliteException error)
            {
                throw new DataEdgeException($"{source.Name}: committing the reverse sync failed: {error.Message} Nothing was written.", error);
            }
            return Task.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            if (!_committed) transaction.Rollback();
            transaction.Dispose();
            connection.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    private static string KeyPredicate(TableSchema table, SqliteCommand command, byte[] key)
    {
        var reader = new RowReader(key, table.PrimaryKey.Count);
        var parts = new List<string>();
        int index = 0;
        foreach (var column in table.KeyColumns)
        {
            command.Parameters.AddWithValue($"@k{index}", SqliteTypeMap.ToParameter(column, reader.IsNull(index), ref reader));
            parts.Add($"{SqlIdentifier.Sqlite(column.Name)} IS @k{index++}");
        }
        return string.Join(" AND ", parts);
    }

    private static string SelectSql(TableSchema table, bool ordered)
    {
        var columns = string.Join(", ", table.Columns.Select(c => SqlIdentifier.Sqlite(c.Name)));
        var order = ordered && table.HasPrimaryKey ? " ORDER BY " + string.Join(", ", table.KeyColumns.Select(c => SqlIdentifier.Sqlite(c.Name))) : "";
        return $"SELECT {columns} FROM {SqlIdentifier.Sqlite(table.Name)}{order}";
    }

    private void Encode(SqliteDataReader reader, TableSchema table, RowBuilder row)
    {
        row.Begin();
        for (int i = 0; i < table.Columns.Count; i++)
        {
            var column = table.Columns[i];
            var value = reader.GetValue(i);
            try
            {
                SqliteTypeMap.Append(Stored(value, column), column, row);
            }
            catch (Exception error) when (error is FormatException or OverflowException or InvalidCastException)
            {
                throw new DataEdgeException($"{Name}: table '{table.Name}', column '{column.Name}' ({column.SourceType}): the stored value '{value}' is not a valid {column.Kind}.", error);
            }
        }
    }

    /// <summary>
    /// SQLite's affinities may store a declared DECIMAL as REAL or INTEGER, or an ENUM holding "1" as INTEGER: bring
    /// each value to the storage form <see cref="SqliteTypeMap.Append"/> reads. A value that cannot be throws.
    /// </summary>
    private static object Stored(object value, ColumnSchema column) => (column.Kind, value) switch
    {
        (ColumnKind.Decimal, long whole) => whole.ToString(CultureInfo.InvariantCulture),
        // A REAL in a DECIMAL(p,s) column: the nearest value at the column's scale, as MySQL would store it.
        (ColumnKind.Decimal, double real) => Math.Round((decimal)real, column.Scale, MidpointRounding.AwayFromZero).ToString(CultureInfo.InvariantCulture),
        (ColumnKind.Text, long or double) => Convert.ToString(value, CultureInfo.InvariantCulture)!,
        (ColumnKind.UnsignedInteger, long whole) when column.Bits >= 64 => whole.ToString(CultureInfo.InvariantCulture),
        (ColumnKind.SignedInteger or ColumnKind.UnsignedInteger, string text) when column.Bits < 64 || column.Kind == ColumnKind.SignedInteger
            => long.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture),
        (ColumnKind.Float or ColumnKind.Double, string text) => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
        (ColumnKind.SignedInteger or ColumnKind.UnsignedInteger, double) => throw new FormatException("a fraction in an integer column"),
        (ColumnKind.Binary, string text) => System.Text.Encoding.UTF8.GetBytes(text),
        _ => value,
    };

    [GeneratedRegex(@"^(?<type>[a-z]+)\s*(\((?<args>[^)]*)\))?")]
    private static partial Regex DeclaredType();
}
