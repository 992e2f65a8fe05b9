using System.Numerics;
using MySqlConnector;

namespace ActorSync.Binlog.Tests;

/// <summary>The reader against a real mariadbd writing a ROW binlog: the handshake, the dump, and every decoded type.</summary>
public class BinlogReaderTests(BinlogMariaDbServer server) : IClassFixture<BinlogMariaDbServer>
{
    private async Task<(BinlogClient Client, string Connection)> FollowAsync(string database)
    {
        var connection = await server.CreateDatabaseAsync(database);
        var start = await CurrentPositionAsync(connection);
        var client = await BinlogClient.ConnectAsync(new BinlogOptions("127.0.0.1", server.Port, server.User, server.Password, 9001, Checksummed: true, TimeSpan.FromSeconds(1)));
        await client.StartAsync(start);
        return (client, connection);
    }

    internal static async Task<BinlogPosition> CurrentPositionAsync(string connection)
    {
        await using var mysql = new MySqlConnection(connection);
        await mysql.OpenAsync();
        await using var command = new MySqlCommand("SHOW MASTER STATUS", mysql);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), "the server has no binlog: start it with --log-bin");
        return new BinlogPosition(reader.GetString(0), reader.GetInt64(1));
    }

    private static async Task<List<BinlogEvent>> ReadUntilAsync(BinlogClient client, Func<List<BinlogEvent>, bool> done)
    {
        var events = new List<BinlogEvent>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!done(events)) events.Add(await client.ReadAsync(timeout.Token));
        return events;
    }

    [Fact]
    public async Task Inserts_updates_and_deletes_arrive_with_full_images_in_commit_order()
    {
        var (client, connection) = await FollowAsync("cdc_dml");
        await using var _ = client;
        await server.ExecuteAsync(connection, "CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(20), n BIGINT UNSIGNED) ENGINE=InnoDB");
        await server.ExecuteAsync(connection, "INSERT INTO t VALUES (1, 'one', 18446744073709551615), (2, 'two', 2)");
        await server.ExecuteAsync(connection, "UPDATE t SET name = 'uno' WHERE id = 1");
        await server.ExecuteAsync(connection, "DELETE FROM t WHERE id = 2");

        var events = await ReadUntilAsync(client, e => e.OfType<RowsEvent>().Count() == 3 && e[^1] is XidEvent);
        Assert.IsType<RotateEvent>(events[0]);
        Assert.Contains(events, e => e is QueryEvent q && q.Sql.Contains("CREATE TABLE t", StringComparison.Ordinal) && q.Database == "cdc_dml");
        var rows = events.OfType<RowsEvent>().ToArray();
        Assert.Equal([RowChangeKind.Insert, RowChangeKind.Update, RowChangeKind.Delete], rows.Select(r => r.Kind));
        Assert.Equal("t", rows[0].Table.Table);
        Assert.Equal(2, rows[0].Rows.Count);
        Assert.Equal(new object?[] { 1L, "one"u8.ToArray(), -1L }, rows[0].Rows[0].After);
        Assert.Equal("one"u8.ToArray(), (byte[])rows[1].Rows[0].Before![1]!);
        Assert.Equal("uno"u8.ToArray(), (byte[])rows[1].Rows[0].After![1]!);
        Assert.Null(rows[2].Rows[0].After);
        Assert.Equal(2L, rows[2].Rows[0].Before![0]);
        // Each transaction is announced by a GTID and ends with its commit; positions only grow.
        Assert.Equal(4, events.OfType<GtidEvent>().Count());
        var positions = events.Skip(1).Select(e => e.Next).ToArray();
        Assert.Equal(positions.Order(), positions);
        Assert.Equal(await CurrentPositionAsync(connection), events[^1].Next);
    }

    [Fact]
    public async Task Every_snapshot_type_decodes_exactly_including_nulls_and_extremes()
    {
        var (client, connection) = await FollowAsync("cdc_types");
        await using var _ = client;
        await server.ExecuteAsync(connection, """
            CREATE TABLE v (id INT PRIMARY KEY, d1 DECIMAL(12,2), d2 DECIMAL(65,30), d3 DECIMAL(20,0), b1 BIT(1), b64 BIT(64), b10 BIT(10),
              j JSON, tm TIME(6), tm0 TIME, tm3 TIME(3), ts TIMESTAMP(6) NULL, dt DATETIME(6), d DATE, yr YEAR, e ENUM('small','medium','large'),
              s SET('a','b','c'), c CHAR(5), u TEXT, f FLOAT, db DOUBLE, i24 MEDIUMINT, u24 MEDIUMINT UNSIGNED, bin BINARY(3), vb VARBINARY(300))
            """);
        await server.ExecuteAsync(connection, """
            INSERT INTO v VALUES
            (1, -9999999999.99, 99999999999999999999999999999999999.999999999999999999999999999999, -99999999999999999999, b'1',
             b'1111111111111111111111111111111111111111111111111111111111111111', b'1000000001', '{"k": [1, 2.5, "ü"]}',
             '-838:59:59.000000', '12:34:56', '-00:00:00.500', '2038-01-19 03:14:07.999999', '9999-12-31 23:59:59.999999', '1000-01-01', 2155,
             'large', 'a,c', 'ab', '😀 𝄞 ü', -3.5, 1.7976931348623157e308, -8388608, 16777215, X'00FF01', REPEAT('x', 300)),
            (2, 0.05, -0.000000000000000000000000000001, 0, b'0', b'0', b'0', NULL, '838:59:59.999999', '-01:00:00', '00:00:00.001',
             '1970-01-01 00:00:01.000001', '0000-00-00 00:00:00.000000', '0000-00-00', 0, 'small', '', '', '', 0, 0, 0, 0, X'000000', X''),
            (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
            """);

        var events = await ReadUntilAsync(client, e => e.OfType<RowsEvent>().Any() && e[^1] is XidEvent);
        var rows = events.OfType<RowsEvent>().Single().Rows.Select(r => r.After!).ToArray();
        var first = rows[0];
        Assert.Equal(new DecimalCell(-999999999999, 2), first[1]);
        Assert.Equal(new DecimalCell(BigInteger.Parse("99999999999999999999999999999999999999999999999999999999999999999"), 30), first[2]);
        Assert.Equal(new DecimalCell(BigInteger.Parse("-99999999999999999999"), 0), first[3]);
        Assert.Equal(1UL, first[4]);
        Assert.Equal(ulong.MaxValue, first[5]);
        Assert.Equal(513UL, first[6]);
        Assert.Equal("{\"k\": [1, 2.5, \"ü\"]}", System.Text.Encoding.UTF8.GetString((byte[])first[7]!));
        Assert.Equal(new TimeCell(-((838 * 3600L + 59 * 60 + 59) * 1_000_000)), first[8]);
        Assert.Equal(new TimeCell((12 * 3600L + 34 * 60 + 56) * 1_000_000), first[9]);
        Assert.Equal(new TimeCell(-500_000), first[10]);
        Assert.Equal(new TimestampCell(2147483647, 999999), first[11]);
        Assert.Equal(new DateTimeCell(9999, 12, 31, 23, 59, 59, 999999), first[12]);
        Assert.Equal(new DateTimeCell(1000, 1, 1, 0, 0, 0, 0), first[13]);
        Assert.Equal(2155, first[14]);
        Assert.Equal(new EnumCell(3), first[15]);
        Assert.Equal(new SetCell(0b101), first[16]);
        Assert.Equal("ab"u8.ToArray(), first[17]);
        Assert.Equal("😀 𝄞 ü", System.Text.Encoding.UTF8.GetString((byte[])first[18]!));
        Assert.Equal(-3.5f, first[19]);
        Assert.Equal(1.7976931348623157e308, first[20]);
        Assert.Equal(-8388608L, first[21]);
        Assert.Equal(-1L, first[22]); // 16777215 read as signed 24-bit: mask to the width for UNSIGNED
        Assert.Equal(new byte[] { 0, 0xFF, 1 }, first[23]);
        Assert.Equal(300, ((byte[])first[24]!).Length);

        var second = rows[1];
        Assert.Equal(new DecimalCell(5, 2), second[1]);
        Assert.Equal(new DecimalCell(-1, 30), second[2]);
        Assert.Equal(new TimeCell((838 * 3600L + 59 * 60 + 59) * 1_000_000 + 999999), second[8]);
        Assert.Equal(new TimeCell(-3600L * 1_000_000), second[9]);
        Assert.Equal(new TimeCell(1000), second[10]);
        Assert.Equal(new TimestampCell(1, 1), second[11]);
        Assert.Equal(new DateTimeCell(0, 0, 0, 0, 0, 0, 0), second[12]);
        Assert.Equal(0, second[14]);
        Assert.Equal(new SetCell(0), second[16]);
        Assert.Equal(Array.Empty<byte>(), second[24]);

        Assert.All(rows[2].Skip(1), Assert.Null);
    }

    [Fact]
    public async Task A_purged_position_is_reported_as_purged()
    {
        await using var client = await BinlogClient.ConnectAsync(new BinlogOptions("127.0.0.1", server.Port, server.User, server.Password, 9002, true, TimeSpan.FromSeconds(1)));
        await client.StartAsync(new BinlogPosition("mariadb-bin.999999", 4));
        await Assert.ThrowsAsync<BinlogPurgedException>(() => client.ReadAsync());
    }

    [Fact]
    public async Task A_wrong_password_is_refused_with_the_servers_reason()
    {
        var error = await Assert.ThrowsAsync<BinlogException>(() =>
            BinlogClient.ConnectAsync(new BinlogOptions("127.0.0.1", server.Port, server.User, "wrong", 9003, true, TimeSpan.FromSeconds(1))));
        Assert.Contains("Access denied", error.Message);
    }

    [Fact]
    public async Task An_idle_server_sends_heartbeats_at_the_current_position()
    {
        var (client, connection) = await FollowAsync("cdc_idle");
        await using var _ = client;
        var events = await ReadUntilAsync(client, e => e.Count > 0 && e[^1] is HeartbeatEvent);
        Assert.Equal(await CurrentPositionAsync(connection), events[^1].Next);
    }
}
