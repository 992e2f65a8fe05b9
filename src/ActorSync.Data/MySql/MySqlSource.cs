using System.Data;
using ActorSync.Data.Encoding;
using ActorSync.Data.Schema;
using MySqlConnector;

namespace ActorSync.Data.MySql;

/// <summary>
/// The MySQL/MariaDB side: schema discovery from information_schema and streaming, typed reads into the canonical
/// row encoding. Connection options are pinned so values arrive exactly (no tinyint-as-bool, no GUID guessing,
/// zero dates allowed, TIMESTAMP in UTC).
/// </summary>
public sealed class MySqlSource(string connectionString) : ISyncSource
{
    private readonly string _connectionString = Harden(connectionString);

    public string Kind => "mysql";

    /// <summary>The connection string, hardened (see <see cref="Harden"/>).</summary>
    public string ConnectionString => _connectionString;

    public string Name => $"MySQL {Describe()}";

    public static string Harden(string connectionString)
    {
        MySqlConnectionStringBuilder builder;
        try { builder = new MySqlConnectionStringBuilder(connectionString); }
        catch (ArgumentException error) { throw new DataEdgeException($"the MySQL connection string is not valid: {error.Message}", error); }
        builder.AllowZeroDateTime = true;
        builder.ConvertZeroDateTime = false;
        builder.TreatTinyAsBoolean = false;
        builder.GuidFormat = MySqlGuidFormat.None;
        builder.CharacterSet = "utf8mb4";
        builder.AllowUserVariables = false;
        // A server that vanishes mid-scan (power, network) is noticed by TCP keepalive, not after the OS's 2 hours.
        if (builder.Keepalive == 0) builder.Keepalive = 30;
        return builder.ConnectionString;
    }

    /// <summary>How long one table scan may take, back-pressure included, before it is cancelled on the server.</summary>
    public TimeSpan ScanTimeout { get; init; } = TimeSpan.FromHours(1);

    public string Describe()
    {
        var b = new MySqlConnectionStringBuilder(_connectionString);
        return $"{b.UserID}@{b.Server}:{b.Port}/{b.Database}";
    }

    public Task<MySqlConnection> OpenAsync(CancellationToken cancellation = default) => OpenAsync(cancellation, setup: null);

    /// <param name="setup">Statements run right after the session settings, e.g. starting a snapshot.</param>
    private async Task<MySqlConnection> OpenAsync(CancellationToken cancellation, string? setup)
    {
        var connection = new MySqlConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellation);
            if (string.IsNullOrEmpty(connection.Database))
                throw new DataEdgeException($"MySQL {Describe()}: the connection string names no database.");
            await using var command = connection.CreateCommand();
            command.CommandText = "SET time_zone = '+00:00'" + (setup is null ? "" : "; " + setup);
            await command.ExecuteNonQueryAsync(cancellation);
            return connection;
        }
        catch (Exception error)
        {
            await connection.DisposeAsync();
            if (error is MySqlException mysql) throw new DataEdgeException($"MySQL {Describe()}: {Explain(mysql)}", mysql);
            throw;
        }
    }

    /// <summary>A health check: connect and run SELECT 1. Throws <see cref="DataEdgeException"/> saying what failed.</summary>
    public async Task PingAsync(CancellationToken cancellation = default)
    {
        await using var connection = await OpenAsync(cancellation);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT 1";
        try { await command.ExecuteScalarAsync(cancellation); }
        catch (MySqlException error) { throw new DataEdgeException($"MySQL {Describe()}: {Explain(error)}", error); }
    }

    /// <summary>The tables to sync, in name order: all base tables, or those named (each must exist).</summary>
    public Task<IReadOnlyList<TableSchema>> DiscoverAsync(IReadOnlyCollection<string>? tables = null, CancellationToken cancellation = default) =>
        DiscoverAsync(SyncFilter.Only(tables), cancellation);

    public async Task<IReadOnlyList<TableSchema>> DiscoverAsync(SyncFilter filter, CancellationToken cancellation = default)
    {
        await using var connection = await OpenAsync(cancellation);
        var names = new List<string>();
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME";
            await using var reader = await command.ExecuteReaderAsync(cancellation);
            while (await reader.ReadAsync(cancellation)) names.Add(reader.GetString(0));
        }
        var result = new List<TableSchema>();
        foreach (var name in filter.Select(names, Name))
            result.Add(await DescribeTableAsync(connection, name, filter, cancellation));
        return result;
    }

    /// <summary>One table as it is now (null if it no longer exists), with the filter's columns left out.</summary>
    public async Task<TableSchema?> DescribeAsync(string table, SyncFilter filter, CancellationToken cancellation = default)
    {
        await using var connection = await OpenAsync(cancellation);
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' AND TABLE_NAME = @table";
            command.Parameters.AddWithValue("@table", table);
            if (Convert.ToInt64(await command.ExecuteScalarAsync(cancellation)) == 0) return null;
        }
        return await DescribeTableAsync(connection, table, filter, cancellation);
    }

    private async Task<TableSchema> DescribeTableAsync(MySqlConnection connection, string table, SyncFilter filter, CancellationToken cancellation)
    {
        var columns = new List<ColumnSchema>();
        var watermarkCandidates = new List<(int Ordinal, bool OnUpdate, string Name)>();
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = """
                SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, NUMERIC_PRECISION, NUMERIC_SCALE, DATETIME_PRECISION, EXTRA
                FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = @table ORDER BY ORDINAL_POSITION
                """;
            command.Parameters.AddWithValue("@table", table);
            await using var reader = await command.ExecuteReaderAsync(cancellation);
            while (await reader.ReadAsync(cancellation))
            {
                string name = reader.GetString(0), dataType = reader.GetString(1).ToLowerInvariant(), columnType = reader.GetString(2);
                if (filter.ExcludesColumn(table, name)) continue;
                int precision = reader.IsDBNull(4) ? 0 : Convert.ToInt32(reader.GetValue(4));
                int scale = reader.IsDBNull(5) ? 0 : Convert.ToInt32(reader.GetValue(5));
                int fsp = reader.IsDBNull(6) ? 0 : Convert.ToInt32(reader.GetValue(6));
                var column = Map(table, name, dataType, columnType, reader.GetString(3) == "YES", precision, scale, fsp);
                columns.Add(column);
                if (column.Kind == ColumnKind.DateTime)
                    watermarkCandidates.Add((columns.Count - 1, reader.GetString(7).Contains("on update", StringComparison.OrdinalIgnoreCase), name));
            }
        }

        var key = new List<int>();
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = """
                SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE
                WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = @table AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION
                """;
            command.Parameters.AddWithValue("@table", table);
            await using var reader = await command.ExecuteReaderAsync(cancellation);
            while (await reader.ReadAsync(cancellation))
            {
                int ordinal = columns.FindIndex(c => c.Name == reader.GetString(0));
                if (ordinal < 0) throw new DataEdgeException($"table '{table}', column '{reader.GetString(0)}': it is part of the primary key and cannot be left out (exclude-columns).");
                key.Add(ordinal);
            }
        }

        // The watermark: a column the server updates itself (ON UPDATE) first, else one with a conventional name.
        string[] watermarkNames = ["updated_at", "modified_at", "last_modified", "updated", "modified"];
        int NameRank(string name) => Array.FindIndex(watermarkNames, n => n.Equals(name, StringComparison.OrdinalIgnoreCase)) is var i and >= 0 ? i : int.MaxValue;
        var watermark = watermarkCandidates
            .Where(c => c.OnUpdate || NameRank(c.Name) != int.MaxValue)
            .OrderByDescending(c => c.OnUpdate).ThenBy(c => NameRank(c.Name))
            .Select(c => c.Ordinal).DefaultIfEmpty(-1).First();
        return new TableSchema(table, columns, key, watermark);
    }

    /// <summary>MySQL type → canonical kind. Anything else is refused by name rather than copied lossily.</summary>
    internal static ColumnSchema Map(string table, string column, string dataType, string columnType, bool nullable, int precision, int scale, int fsp)
    {
        bool unsigned = columnType.Contains("unsigned", StringComparison.OrdinalIgnoreCase);
        ColumnSchema Integer(int bits) => new(column, unsigned ? ColumnKind.UnsignedInteger : ColumnKind.SignedInteger, nullable, columnType, Bits: bits);
        return dataType switch
        {
            "tinyint" => Integer(8),
            "smallint" => Integer(16),
            "mediumint" => Integer(24),
            "int" or "integer" => Integer(32),
            "bigint" => Integer(64),
            "year" => new(column, ColumnKind.SignedInteger, nullable, columnType, Bits: 16),
            "bit" => new(column, ColumnKind.UnsignedInteger, nullable, columnType, Bits: precision),
            "decimal" or "numeric" => new(column, ColumnKind.Decimal, nullable, columnType, Scale: scale),
            "float" => new(column, ColumnKind.Float, nullable, columnType),
            "double" or "real" => new(column, ColumnKind.Double, nullable, columnType),
            "char" or "varchar" or "tinytext" or "text" or "mediumtext" or "longtext" or "enum" or "set" or "json"
                => new(column, ColumnKind.Text, nullable, columnType),
            "binary" or "varbinary" or "tinyblob" or "blob" or "mediumblob" or "longblob"
                => new(column, ColumnKind.Binary, nullable, columnType),
            "date" => new(column, ColumnKind.Date, nullable, columnType),
            "datetime" or "timestamp" => new(column, ColumnKind.DateTime, nullable, columnType, Scale: fsp),
            "time" => new(column, ColumnKind.Time, nullable, columnType, Scale: fsp),
            _ => throw new DataEdgeException($"table '{table}', column '{column}': type {columnType} is not supported; ActorSync copies only types it can round-trip exactly (see docs/DATA.md)."),
        };
    }

    /// <summary>
    /// Streams a table's rows in primary-key order (InnoDB reads them off the clustered index, no sort) inside one
    /// consistent-snapshot transaction; the row handed to <paramref name="onRow"/> is only valid during the call.
    /// A table without a primary key is read in storage order; see docs/DATA.md for how it is synced.
    /// </summary>
    public async Task<long> ReadAsync(TableSchema table, Action<ReadOnlySpan<byte>> onRow, CancellationToken cancellation = default) =>
        (await ReadCoreAsync(table, onRow, withWatermark: false, cancellation)).Rows;

    /// <summary>
    /// Reads the table like <see cref="ReadAsync"/> and, for a table with an updated_at-style column, its watermark
    /// "count|max(updated_at)" from the same snapshot: if it is the same at the next sync, no row was inserted,
    /// deleted or updated since (updates move the column forward).
    /// </summary>
    public Task<(long Rows, string? Watermark)> ReadWithWatermarkAsync(TableSchema table, Action<ReadOnlySpan<byte>> onRow, CancellationToken cancellation = default,
        Func<ValueTask>? afterRow = null) =>
        ReadCoreAsync(table, onRow, withWatermark: true, cancellation, afterRow);

    private async Task<(long Rows, string? Watermark)> ReadCoreAsync(TableSchema table, Action<ReadOnlySpan<byte>> onRow, bool withWatermark, CancellationToken cancellation,
        Func<ValueTask>? afterRow = null)
    {
        await using var snapshot = new Snapshot(this, await BeginSnapshotAsync(cancellation)); // ends its transaction
        return await snapshot.ScanAsync(table, onRow, withWatermark, cancellation, afterRow);
    }

    public async Task<ISourceSnapshot> OpenSnapshotAsync(CancellationToken cancellation = default) =>
        new Snapshot(this, await BeginSnapshotAsync(cancellation));

    /// <summary>A connection inside a read-only transaction with a consistent snapshot.</summary>
    private Task<MySqlConnection> BeginSnapshotAsync(CancellationToken cancellation) =>
        OpenAsync(cancellation, "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ; START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");

    private sealed class Snapshot(MySqlSource source, MySqlConnection connection) : ISourceSnapshot
    {
        public Task<(long Rows, string? Watermark)> ReadWithWatermarkAsync(TableSchema table, Action<ReadOnlySpan<byte>> onRow, CancellationToken cancellation = default,
            Func<ValueTask>? afterRow = null) => ScanAsync(table, onRow, withWatermark: true, cancellation, afterRow);

        public Task<(long Rows, string? Watermark)> ScanAsync(TableSchema table, Action<ReadOnlySpan<byte>> onRow, bool withWatermark, CancellationToken cancellation,
            Func<ValueTask>? afterRow) => source.TimedScanAsync(connection, table, onRow, withWatermark, cancellation, afterRow);

        public Task<string?> ReadWatermarkAsync(TableSchema table, CancellationToken cancellation = default) => source.WatermarkAsync(connection, table, cancellation);

        /// <summary>MariaDB reports the binlog position consistent with a WITH CONSISTENT SNAPSHOT transaction.</summary>
        public async Task<string> ReadLogPositionAsync(CancellationToken cancellation = default)
        {
            await using var command = new MySqlCommand("SHOW STATUS LIKE 'binlog_snapshot_%'", connection);
            await using var reader = await command.ExecuteReaderAsync(cancellation);
            string file = "", position = "";
            while (await reader.ReadAsync(cancellation))
            {
                if (reader.GetString(0).Equals("binlog_snapshot_file", StringComparison.OrdinalIgnoreCase)) file = reader.GetString(1);
                else if (reader.GetString(0).Equals("binlog_snapshot_position", StringComparison.OrdinalIgnoreCase)) position = reader.GetString(1);
            }
            return file.Length > 0 && position.Length > 0 ? $"{file}:{position}" : "";
        }

        /// <summary>Ends the read-only transaction before the connection goes back to the pool: MySqlConnector resets a
        /// pooled connection only when it is handed out again, and until then the open transaction would hold the
        /// tables' metadata locks, so an ALTER on the source would wait behind an idle connection.</summary>
        public async ValueTask DisposeAsync()
        {
            try
            {
                if (connection.State == ConnectionState.Open)
                {
                    await using var commit = new MySqlCommand("COMMIT", connection);
                    await commit.ExecuteNonQueryAsync();
                }
            }
            catch (MySqlException)
            {
                MySqlConnection.ClearPool(connection); // a broken connection: never handed out again
            }
            finally
            {
                await connection.DisposeAsync();
            }
        }
    }

    private async Task<(long Rows, string? Watermark)> TimedScanAsync(MySqlConnection connection, TableSchema table, Action<ReadOnlySpan<byte>> onRow, bool withWatermark,
        CancellationToken cancellation, Func<ValueTask>? afterRow)
    {
        using var scan = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        scan.CancelAfter(ScanTimeout);
        try
        {
            return await ScanAsync(connection, table, onRow, withWatermark, scan.Token, afterRow);
        }
        // Cancelled by the timeout: seen as a cancellation, or as the server's error for the killed query.
        catch (Exception error) when (error is OperationCanceledException or DataEdgeException && scan.IsCancellationRequested && !cancellation.IsCancellationRequested)
        {
            throw new DataEdgeException($"MySQL {Describe()}: reading table '{table.Name}' took longer than the scan timeout of {ScanTimeout} (actorsync.hub.scan-timeout); it was cancelled.", error);
        }
    }

    private async Task<(long Rows, string? Watermark)> ScanAsync(MySqlConnection connection, TableSchema table, Action<ReadOnlySpan<byte>> onRow, bool withWatermark,
        CancellationToken cancellation, Func<ValueTask>? afterRow)
    {
        var watermark = withWatermark ? await WatermarkAsync(connection, table, cancellation) : null;
        await using var command = connection.CreateCommand();
        command.CommandText = SelectSql(table);
        command.CommandTimeout = 0;
        var builder = new RowBuilder(table.Columns.Count);
        long rows = 0;
        try
        {
            await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellation);
            while (await reader.ReadAsync(cancellation))
            {
                Encode(reader, table, builder);
                onRow(builder.Complete());
                rows++;
                if (afterRow is not null && afterRow() is var pause && !pause.IsCompletedSuccessfully) await pause;
                cancellation.ThrowIfCancellationRequested(); // rows already buffered are read without looking at the token
            }
        }
        catch (MySqlException error)
        {
            throw new DataEdgeException($"MySQL {Describe()}: reading table '{table.Name}' failed after {rows} rows: {Explain(error)}", error);
        }
        return (rows, watermark);
    }

    /// <summary>The table's current watermark, or null if it has no updated_at-style column.</summary>
    public async Task<string?> ReadWatermarkAsync(TableSchema table, CancellationToken cancellation = default)
    {
        await using var connection = await OpenAsync(cancellation);
        return await WatermarkAsync(connection, table, cancellation);
    }

    private async Task<string?> WatermarkAsync(MySqlConnection connection, TableSchema table, CancellationToken cancellation)
    {
        if (table.WatermarkColumn < 0) return null;
        await using var command = connection.CreateCommand();
        var column = SqlIdentifier.MySql(table.Columns[table.WatermarkColumn].Name);
        command.CommandText = $"SELECT COUNT(*), CAST(MAX({column}) AS CHAR) FROM {SqlIdentifier.MySql(table.Name)}";
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellation);
            await reader.ReadAsync(cancellation);
            return $"{reader.GetInt64(0)}|{(reader.IsDBNull(1) ? "" : reader.GetString(1))}";
        }
        catch (MySqlException error)
        {
            throw new DataEdgeException($"MySQL {Describe()}: reading the watermark of table '{table.Name}' failed: {Explain(error)}", error);
        }
    }

    /// <summary>The source's current row with this canonical key, or null.</summary>
    public async Task<byte[]?> ReadRowAsync(TableSchema table, byte[] key, CancellationToken cancellation = default)
    {
        await using var connection = await OpenAsync(cancellation);
        await using var command = connection.CreateCommand();
        command.CommandText = $"{SelectSql(table, ordered: false)} WHERE {KeyPredicate(table, command, key)}";
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellation);
            if (!await reader.ReadAsync(cancellation)) return null;
            var row = new RowBuilder(table.Columns.Count);
            Encode(reader, table, row);
            return row.Complete().ToArray();
        }
        catch (MySqlException error)
        {
            throw new DataEdgeException($"MySQL {Describe()}: reading a row of table '{table.Name}' failed: {Explain(error)}", error);
        }
    }

    public async Task<ISourceWriter> BeginWriteAsync(CancellationToken cancellation = default)
    {
        var connection = await OpenAsync(cancellation);
        try
        {
            var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellation);
            return new MySqlSourceWriter(this, connection, transaction);
        }
        catch (MySqlException error)
        {
            await connection.DisposeAsync();
            throw new DataEdgeException($"MySQL {Describe()}: starting the reverse-sync transaction failed: {Explain(error)}", error);
        }
    }

    /// <summary>"a &lt;=&gt; @k0 AND b &lt;=&gt; @k1" for a canonical key, its parameters added under <paramref name="prefix"/>.</summary>
    internal static string KeyPredicate(TableSchema table, MySqlCommand command, byte[] key, string prefix = "k")
    {
        var reader = new RowReader(key, table.PrimaryKey.Count);
        var parts = new List<string>();
        int index = 0;
        foreach (var column in table.KeyColumns)
        {
            command.Parameters.AddWithValue($"@{prefix}{index}", CanonicalRows.ToValue(column, reader.IsNull(index), ref reader));
            parts.Add($"{SqlIdentifier.MySql(column.Name)} <=> @{prefix}{index++}");
        }
        return string.Join(" AND ", parts);
    }

    /// <summary>
    /// The value a column added by ALTER TABLE gave the table's existing rows, for continuous sync to carry the change
    /// (<see cref="Cdc.SchemaEvolution"/>): NULL, its literal default as the server stores it (read back with
    /// DEFAULT(), so in the column's own type), or the type's implicit default for a NOT NULL column without one. A
    /// generated column, or a default the server evaluates (CURRENT_TIMESTAMP, a function), is refused: the value
    /// it gave each existing row is in no log.
    /// </summary>
    public async Task<Cdc.ColumnFill> AddedColumnFillAsync(string table, ColumnSchema column, CancellationToken cancellation = default)
    {
        await using var connection = await OpenAsync(cancellation);
        string? defaultText;
        bool generated;
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT COLUMN_DEFAULT, IS_GENERATED FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = @table AND COLUMN_NAME = @column";
            command.Parameters.AddWithValue("@table", table);
            command.Parameters.AddWithValue("@column", column.Name);
            await using var reader = await command.ExecuteReaderAsync(cancellation);
            if (!await reader.ReadAsync(cancellation)) return Cdc.ColumnFill.Refused("it is gone again from the source");
            defaultText = reader.IsDBNull(0) ? null : reader.GetString(0);
            generated = string.Equals(reader.GetString(1), "ALWAYS", StringComparison.OrdinalIgnoreCase);
        }
        if (generated) return Cdc.ColumnFill.Refused("it is generated from other columns, whose values for existing rows are in no log");
        if (defaultText is null) return column.Nullable ? Cdc.ColumnFill.Null : new Cdc.ColumnFill(ImplicitDefault(column));
        if (string.Equals(defaultText, "NULL", StringComparison.OrdinalIgnoreCase)) return Cdc.ColumnFill.Null;
        if (!IsLiteral(defaultText))
            return Cdc.ColumnFill.Refused($"its default is an expression ({defaultText}) that the server evaluated for each existing row, and the binlog does not say what it gave them");
        var single = new TableSchema(table, [column], []);
        await using (var command = connection.CreateCommand())
        {
            var name = SqlIdentifier.MySql(column.Name);
            var value = column.Kind == ColumnKind.Float ? $"CAST(DEFAULT({name}) AS DOUBLE)" : $"DEFAULT({name})";
            command.CommandText = $"SELECT {value} AS {name} FROM {SqlIdentifier.MySql(table)} LIMIT 1";
            await using var reader = await command.ExecuteReaderAsync(cancellation);
            // No row now: every row the column was added to is deleted later in the binlog, so no value survives.
            if (!await reader.ReadAsync(cancellation)) return column.Nullable ? Cdc.ColumnFill.Null : new Cdc.ColumnFill(ImplicitDefault(column));
            var row = new RowBuilder(1);
            Encode(reader, single, row);
            return new Cdc.ColumnFill(row.Complete().ToArray());
        }
    }

    /// <summary>A default MariaDB shows as a constant: a quoted string, a number, or a bit or hex literal.</summary>
    private static bool IsLiteral(string text) =>
        System.Text.RegularExpressions.Regex.IsMatch(text, @"^(?:'(?:[^']|'')*'|-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?|b'[01]*'|0x[0-9A-Fa-f]+|[xX]'[0-9A-Fa-f]*')$",
            System.Text.RegularExpressions.RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    /// <summary>What MariaDB gives a NOT NULL column added without a default: zero, the empty string, the first ENUM label, the zero date.</summary>
    internal static byte[] ImplicitDefault(ColumnSchema column)
    {
        var row = new RowBuilder(1);
        row.Begin();
        switch (column.Kind)
        {
            case ColumnKind.SignedInteger: row.Signed(0); break;
            case ColumnKind.UnsignedInteger: row.Unsigned(0); break;
            case ColumnKind.Decimal: row.Decimal(System.Numerics.BigInteger.Zero); break;
            case ColumnKind.Float: row.Float(0); break;
            case ColumnKind.Double: row.Double(0); break;
            case ColumnKind.Text:
                row.Text(column.SourceType.StartsWith("enum(", StringComparison.OrdinalIgnoreCase) ? Cdc.BinlogRowMapper.ParseLabels(column.SourceType).FirstOrDefault() ?? "" : "");
                break;
            case ColumnKind.Binary:
                row.Bytes(column.SourceType.StartsWith("binary(", StringComparison.OrdinalIgnoreCase)
                    ? new byte[int.Parse(column.SourceType.AsSpan(7, column.SourceType.IndexOf(')') - 7), System.Globalization.CultureInfo.InvariantCulture)]
                    : []);
                break;
            case ColumnKind.Date: row.Date(0, 0, 0); break;
            case ColumnKind.DateTime: row.DateTime(0, 0, 0, 0, 0, 0, 0); break;
            case ColumnKind.Time: row.Time(0); break;
        }
        return row.Complete().ToArray();
    }

    internal static string SelectSql(TableSchema table, bool ordered = true)
    {
        // FLOAT through the text protocol comes rounded to 6 digits; as a DOUBLE it comes exact, as the binlog has it.
        var columns = string.Join(", ", table.Columns.Select(c => c.Kind == ColumnKind.Float
            ? $"CAST({SqlIdentifier.MySql(c.Name)} AS DOUBLE) AS {SqlIdentifier.MySql(c.Name)}" : SqlIdentifier.MySql(c.Name)));
        var order = ordered && table.HasPrimaryKey ? " ORDER BY " + string.Join(", ", table.KeyColumns.Select(c => SqlIdentifier.MySql(c.Name))) : "";
        return $"SELECT {columns} FROM {SqlIdentifier.MySql(table.Name)}{order}";
    }

    internal static void Encode(MySqlDataReader reader, TableSchema table, RowBuilder row)
    {
        row.Begin();
        for (int i = 0; i < table.Columns.Count; i++)
        {
            if (reader.IsDBNull(i)) { row.Null(); continue; }
            var column = table.Columns[i];
            switch (column.Kind)
            {
                case ColumnKind.SignedInteger: row.Signed(reader.GetInt64(i)); break;
                case ColumnKind.UnsignedInteger: row.Unsigned(reader.GetUInt64(i)); break;
                case ColumnKind.Decimal: row.Decimal(DecimalText.Parse(reader.GetMySqlDecimal(i).ToString(), column.Scale)); break;
                case ColumnKind.Float: row.Float((float)reader.GetDouble(i)); break;
                case ColumnKind.Double: row.Double(reader.GetDouble(i)); break;
                case ColumnKind.Text: row.Text(reader.GetString(i)); break;
                case ColumnKind.Binary: row.Bytes(reader.GetFieldValue<byte[]>(i)); break;
                case ColumnKind.Date:
                    var date = reader.GetMySqlDateTime(i);
                    row.Date(date.Year, date.Month, date.Day);
                    break;
                case ColumnKind.DateTime:
                    var stamp = reader.GetMySqlDateTime(i);
                    row.DateTime(stamp.Year, stamp.Month, stamp.Day, stamp.Hour, stamp.Minute, stamp.Second, stamp.Microsecond);
                    break;
                case ColumnKind.Time: row.Time(reader.GetTimeSpan(i).Ticks / 10); break;
                default: throw new InvalidOperationException($"unhandled kind {column.Kind}");
            }
        }
    }

    /// <summary>A MySQL error in words an operator can act on.</summary>
    public static string Explain(MySqlException error) => error.ErrorCode switch
    {
        MySqlErrorCode.UnableToConnectToHost => "the server is unreachable (is it running, and are host and port right?).",
        MySqlErrorCode.AccessDenied => "access denied: check the user name and password.",
        MySqlErrorCode.UnknownDatabase => $"the database does not exist ({error.Message}).",
        _ => error.Message,
    };
}
