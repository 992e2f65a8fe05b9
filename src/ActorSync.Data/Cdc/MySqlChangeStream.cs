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

    private MySqlChangeStream(BinlogClient client, TransactionAssembler assembler)
    {
        _client = client;
        _assembler = assembler;
    }

    public IReadOnlyDictionary<string, string> Stopped => _assembler.Stopped;

    /// <param name="stopped">Tables whose capture stopped earlier (table → reason): they stay stopped.</param>
    public static async Task<MySqlChangeStream> OpenAsync(string connectionString, IReadOnlyList<TableSchema> tables, string from, uint serverId,
        TimeSpan heartbeat, IEnumerable<KeyValuePair<string, string>>? stopped = null, CancellationToken cancellation = default)
    {
        var builder = new MySqlConnectionStringBuilder(MySqlSource.Harden(connectionString));
        bool checksummed;
        var charsets = new Dictionary<(string, string), string?>();
        await using (var connection = new MySqlConnection(builder.ConnectionString))
        {
            try { await connection.OpenAsync(cancellation); }
            catch (MySqlException error) { throw new DataEdgeException($"MySQL {builder.UserID}@{builder.Server}:{builder.Port}: {error.Message}", error); }
            var settings = await VariablesAsync(connection, cancellation);
            Require(settings, "log_bin", "ON", "start the server with --log-bin");
            Require(settings, "binlog_format", "ROW", "SET GLOBAL binlog_format = 'ROW' (and in my.cnf)");
            Require(settings, "binlog_row_image", "FULL", "SET GLOBAL binlog_row_image = 'FULL' (and in my.cnf)");
            checksummed = settings.GetValueOrDefault("binlog_checksum", "NONE") != "NONE";
            await using var command = new MySqlCommand("SELECT TABLE_NAME, COLUMN_NAME, CHARACTER_SET_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()", connection);
            await using var reader = await command.ExecuteReaderAsync(cancellation);
            while (await reader.ReadAsync(cancellation))
                charsets[(reader.GetString(0).ToLowerInvariant(), reader.GetString(1).ToLowerInvariant())] = reader.IsDBNull(2) ? null : reader.GetString(2);
        }
        var stoppedTables = (stopped ?? []).ToList();
        var mappers = new List<BinlogRowMapper>();
        foreach (var table in tables)
        {
            if (stoppedTables.Any(s => string.Equals(s.Key, table.Name, StringComparison.OrdinalIgnoreCase))) continue;
            try
            {
                mappers.Add(new BinlogRowMapper(table, table.Columns.Select(c => charsets.GetValueOrDefault((table.Name.ToLowerInvariant(), c.Name.ToLowerInvariant()))).ToArray()));
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
            return new MySqlChangeStream(client, new TransactionAssembler(builder.Database, mappers, stoppedTables));
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
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
            var item = _assembler.Add(await _client.ReadAsync(cancellation));
            if (item is not null) return item;
        }
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
