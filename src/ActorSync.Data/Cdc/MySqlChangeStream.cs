using ActorSync.Binlog;
using ActorSync.Data.MySql;
using ActorSync.Data.Schema;
using MySqlConnector;

namespace ActorSync.Data.Cdc;

/// <summary>
/// Follows a MySQL/MariaDB source's binlog from a position and yields its committed changes to the synced tables as
/// canonical <see cref="CaptureItem"/>s. Checks first that the server logs what capture needs (log_bin, ROW format,
/// full row images) and says which setting is wrong. The replication user needs REPLICATION SLAVE and
/// REPLICATION CLIENT (docs/CDC.md).
/// </summary>
public sealed class MySqlChangeStream : IAsyncDisposable
{
    private readonly BinlogClient _client;
    private readonly TransactionAssembler _assembler;
    private readonly MySqlSource _source;
    private readonly SyncFilter _filter;
    private readonly Queue<BinlogEvent> _lookahead = new();
    private readonly Dictionary<string, (TableSchema? Before, List<string> Statements)> _deferred = new(StringComparer.OrdinalIgnoreCase);

    private MySqlChangeStream(BinlogClient client, TransactionAssembler assembler, MySqlSource source, SyncFilter filter)
    {
        _client = client;
        _assembler = assembler;
        _source = source;
        _filter = filter;
    }

    public IReadOnlyDictionary<string, string> Stopped => _assembler.Stopped;

    /// <param name="tables">The followed tables as the durable offset knows them (the filter's columns left out).</param>
    /// <param name="filter">What is synced: tables created later are followed if it selects them.</param>
    /// <param name="stopped">Tables whose capture stopped earlier (table → reason): they stay stopped.</param>
    public static async Task<MySqlChangeStream> OpenAsync(string connectionString, IReadOnlyList<TableSchema> tables, SyncFilter filter, string from, uint serverId,
        TimeSpan heartbeat, IEnumerable<KeyValuePair<string, string>>? stopped = null, CancellationToken cancellation = default)
    {
        var builder = new MySqlConnectionStringBuilder(MySqlSource.Harden(connectionString));
        bool checksummed;
        Dictionary<string, List<(string Name, string? Charset)>> columns;
        await using (var connection = new MySqlConnection(builder.ConnectionString))
        {
            try { await connection.OpenAsync(cancellation); }
            catch (MySqlException error) { throw new DataEdgeException($"MySQL {builder.UserID}@{builder.Server}:{builder.Port}: {error.Message}", error); }
            var settings = await VariablesAsync(connection, cancellation);
            Require(settings, "log_bin", "ON", "start the server with --log-bin");
            Require(settings, "binlog_format", "ROW", "SET GLOBAL binlog_format = 'ROW' (and in my.cnf)");
            Require(settings, "binlog_row_image", "FULL", "SET GLOBAL binlog_row_image = 'FULL' (and in my.cnf)");
            checksummed = settings.GetValueOrDefault("binlog_checksum", "NONE") != "NONE";
            columns = await SourceColumnsAsync(connection, null, cancellation);
        }
        var stoppedTables = (stopped ?? []).ToList();
        var mappers = new List<BinlogRowMapper>();
        foreach (var table in tables)
        {
            if (stoppedTables.Any(s => string.Equals(s.Key, table.Name, StringComparison.OrdinalIgnoreCase))) continue;
            try
            {
                mappers.Add(Mapper(table, columns.GetValueOrDefault(table.Name.ToLowerInvariant()) ?? []));
            }
            catch (DataEdgeException error)
            {
                stoppedTables.Add(new(table.Name, error.Message));
            }
        }
        var client = await BinlogClient.ConnectAsync(new BinlogOptions(builder.Server, (int)builder.Port, builder.UserID, builder.Password, serverId, checksummed, heartbeat), cancellation);
        try
        {
            await client.StartAsync(BinlogPosition.Parse(from), cancellation);
            return new MySqlChangeStream(client, new TransactionAssembler(builder.Database, mappers, stoppedTables), new MySqlSource(connectionString), filter);
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// A mapper for a followed table: where each of its columns is in the source's rows (the binlog logs them whole,
    /// the filter's columns too) and each column's character set. A column the source no longer has is refused.
    /// </summary>
    private static BinlogRowMapper Mapper(TableSchema table, IReadOnlyList<(string Name, string? Charset)> source)
    {
        var ordinals = new int[table.Columns.Count];
        var charsets = new string?[table.Columns.Count];
        for (int i = 0; i < ordinals.Length; i++)
        {
            var name = table.Columns[i].Name;
            ordinals[i] = source.ToList().FindIndex(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase));
            if (ordinals[i] < 0) throw new DataEdgeException($"table '{table.Name}', column '{name}': the source no longer has it; its shape changed since the snapshot.");
            charsets[i] = source[ordinals[i]].Charset;
        }
        return new BinlogRowMapper(table, charsets, ordinals, source.Count);
    }

    /// <summary>Every column of the database's tables (or of one), in order, with its character set; keyed by lower-case table name.</summary>
    private static async Task<Dictionary<string, List<(string Name, string? Charset)>>> SourceColumnsAsync(MySqlConnection connection, string? table, CancellationToken cancellation)
    {
        var columns = new Dictionary<string, List<(string, string?)>>();
        await using var command = new MySqlCommand(
            "SELECT TABLE_NAME, COLUMN_NAME, CHARACTER_SET_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()" +
            (table is null ? "" : " AND TABLE_NAME = @table") + " ORDER BY TABLE_NAME, ORDINAL_POSITION", connection);
        if (table is not null) command.Parameters.AddWithValue("@table", table);
        await using var reader = await command.ExecuteReaderAsync(cancellation);
        while (await reader.ReadAsync(cancellation))
        {
            var key = reader.GetString(0).ToLowerInvariant();
            if (!columns.TryGetValue(key, out var list)) columns[key] = list = [];
            list.Add((reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2)));
        }
        return columns;
    }

    /// <summary>The source's current binlog position (SHOW MASTER STATUS), or throws if it writes none.</summary>
    public static async Task<string> CurrentPositionAsync(string connectionString, CancellationToken cancellation = default)
    {
        await using var connection = new MySqlConnection(MySqlSource.Harden(connectionString));
        await connection.OpenAsync(cancellation);
        await using var command = new MySqlCommand("SHOW MASTER STATUS", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellation);
        if (!await reader.ReadAsync(cancellation)) throw new DataEdgeException("the source writes no binlog (SHOW MASTER STATUS is empty): start it with --log-bin for continuous sync.");
        return new BinlogPosition(reader.GetString(0), reader.GetInt64(1)).ToString();
    }

    /// <summary>The next item: waits while the source is idle (heartbeats come as progress items).</summary>
    public async Task<CaptureItem> ReadAsync(CancellationToken cancellation = default)
    {
        while (true)
        {
            var item = _assembler.Add(_lookahead.Count > 0 ? _lookahead.Dequeue() : await _client.ReadAsync(cancellation));
            if (item is null) continue;
            return item.Ddl is { } ddl ? await ResolveAsync(item, ddl, cancellation) : item;
        }
    }

    /// <summary>
    /// The table as it is now, and where the binlog ended when it was read (the same before and after, so no DDL
    /// slipped between); then the binlog read ahead up to there, so the caller can tell whether the table changed
    /// again after the statement being resolved.
    /// </summary>
    private async Task<(TableSchema? Table, IReadOnlyList<(string Name, string? Charset)> Columns, BinlogPosition Tip)> SourceStateAsync(string table, CancellationToken cancellation)
    {
        for (int attempt = 0; ; attempt++)
        {
            var before = BinlogPosition.Parse(await CurrentPositionAsync(_source.ConnectionString, cancellation));
            var schema = await _source.DescribeAsync(table, _filter, cancellation);
            IReadOnlyList<(string, string?)> columns;
            await using (var connection = await _source.OpenAsync(cancellation))
                columns = (await SourceColumnsAsync(connection, table, cancellation)).GetValueOrDefault(table.ToLowerInvariant()) ?? [];
            var after = BinlogPosition.Parse(await CurrentPositionAsync(_source.ConnectionString, cancellation));
            if (before == after || attempt == 5)
            {
                var last = _lookahead.Count > 0 ? _lookahead.Last().Next : default(BinlogPosition?);
                while (last is not { } at || at < after)
                {
                    var ahead = await _client.ReadAsync(cancellation);
                    _lookahead.Enqueue(ahead);
                    last = ahead.Next;
                }
                return (schema, columns, after);
            }
        }
    }

    /// <summary>
    /// A DDL statement of the followed database, turned into what continuous sync does about it: a schema change
    /// carried to SQLite in commit order (<see cref="SchemaEvolution"/>), a newly created table followed, a dropped
    /// one forgotten, or a refusal that stops that table alone. The table's new shape is read from the source now;
    /// if it changed again meanwhile, the rows logged in between do not fit it and stop the table by name.
    /// </summary>
    private async Task<CaptureItem> ResolveAsync(CaptureItem item, PendingDdl ddl, CancellationToken cancellation)
    {
        var changes = new List<SchemaChange>();
        var stopped = new List<string>();
        foreach (var table in ddl.Tables)
        {
            var (before, statements) = _deferred.Remove(table, out var deferred) ? deferred : (_assembler.Followed(table), new List<string>());
            statements.Add(ddl.Statement);
            if (before is null && !_filter.IncludesTable(table)) continue;
            TableSchema? after;
            IReadOnlyList<(string Name, string? Charset)> sourceColumns;
            var fills = new Dictionary<string, ColumnFill>(StringComparer.OrdinalIgnoreCase);
            try
            {
                (after, sourceColumns, _) = await SourceStateAsync(table, cancellation);
                // The source shows the table as of now. If a later statement changed it again, what it shows is that
                // later shape: resolved there instead, all statements at once, when no row of it was written between.
                var later = _lookahead.Select((e, i) => (e, i)).LastOrDefault(x => x.e is QueryEvent query && _assembler.TouchedTables(query).Contains(table, StringComparer.OrdinalIgnoreCase));
                if (later.e is not null)
                {
                    if (_lookahead.Take(later.i).Any(e => _assembler.WritesTo(e, table)))
                    {
                        StopAt(table, $"table '{table}': its definition changed again, with rows written between, before capture read the first change; the shape those rows had is known nowhere", item.Position, stopped);
                        continue;
                    }
                    _deferred[table] = (before, statements);
                    continue;
                }
                foreach (var column in after?.Columns.Where(c => before?.Columns.Any(b => string.Equals(b.Name, c.Name, StringComparison.OrdinalIgnoreCase)) != true) ?? [])
                    fills[column.Name] = await _source.AddedColumnFillAsync(table, column, cancellation);
            }
            catch (DataEdgeException error)
            {
                StopAt(table, error.Message, item.Position, stopped);
                continue;
            }
            var plan = SchemaEvolution.Plan(before, after, string.Join(";\n", statements), column => fills.GetValueOrDefault(column.Name, ColumnFill.Null));
            if (plan.Refusal is { } refusal)
            {
                StopAt(table, refusal, item.Position, stopped);
                continue;
            }
            if (plan.Change is not { } change) continue;
            try
            {
                if (after is null) _assembler.Forget(table);
                else _assembler.Follow(Mapper(after, sourceColumns));
            }
            catch (DataEdgeException error)
            {
                StopAt(table, error.Message, item.Position, stopped);
                continue;
            }
            changes.Add(change);
        }
        // One statement, one position: the tables it changed (DROP TABLE a, b) travel together.
        return new CaptureItem(changes.Count == 0 ? null : new SourceTransaction(item.Position, ddl.Gtid, ddl.CommitUnixMillis, [], changes), item.Position, stopped);
    }

    private void StopAt(string table, string reason, string position, List<string> stopped)
    {
        if (_assembler.Followed(table) is null && !_filter.IncludesTable(table)) return;
        _assembler.Stop(table, $"{reason} (at {position}); continuous sync of it stopped: run `actorsync sync start`, then `actorsync sync follow`, to snapshot it again");
        stopped.Add(table);
    }

    private static async Task<Dictionary<string, string>> VariablesAsync(MySqlConnection connection, CancellationToken cancellation)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        await using var command = new MySqlCommand("SHOW GLOBAL VARIABLES WHERE Variable_name IN ('log_bin', 'binlog_format', 'binlog_row_image', 'binlog_checksum')", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellation);
        while (await reader.ReadAsync(cancellation)) values[reader.GetString(0)] = reader.GetString(1).ToUpperInvariant();
        return values;
    }

    private static void Require(Dictionary<string, string> settings, string name, string value, string fix)
    {
        var actual = settings.GetValueOrDefault(name, "(unset)");
        if (actual != value) throw new DataEdgeException($"continuous sync needs the source's {name} = {value}, but it is {actual}: {fix}.");
    }

    public ValueTask DisposeAsync() => _client.DisposeAsync();
}
