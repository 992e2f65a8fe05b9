using ActorSync.Data.Cdc;
using ActorSync.Data.MySql;
using ActorSync.Data.Sqlite;
using ActorSync.Data.Verify;

namespace ActorSync.Data.Tests;

/// <summary>Change capture from a real ROW binlog into a real SQLite file: the same bytes as the snapshot, applied exactly once.</summary>
public class ChangeCaptureTests(BinlogMariaDbServer server) : IClassFixture<BinlogMariaDbServer>, IDisposable
{
    private readonly TempDirectory _temp = new();

    private const string AllTypes = """
        CREATE TABLE all_types (
          id INT NOT NULL PRIMARY KEY,
          i8 TINYINT, u8 TINYINT UNSIGNED, i16 SMALLINT, u16 SMALLINT UNSIGNED, i24 MEDIUMINT, u24 MEDIUMINT UNSIGNED,
          i32 INT, u32 INT UNSIGNED, i64 BIGINT, u64 BIGINT UNSIGNED,
          d_money DECIMAL(12,2), d_wide DECIMAL(65,30), d_int DECIMAL(20,0),
          f FLOAT, dbl DOUBLE,
          c CHAR(10), vc VARCHAR(200), t TEXT, lt LONGTEXT,
          bin BINARY(4), vb VARBINARY(50), bl BLOB,
          b1 BIT(1), b64 BIT(64),
          e ENUM('small','medium','large'), s SET('a','b','c'), j JSON,
          dt DATE, dtm DATETIME(6), dts DATETIME, ts TIMESTAMP(3) NULL, tm TIME(6), yr YEAR
        ) ENGINE=InnoDB
        """;

    private const string Rows = """
        INSERT INTO all_types VALUES
        (1, -128, 255, -32768, 65535, -8388608, 16777215, -2147483648, 4294967295, -9223372036854775808, 18446744073709551615,
         -9999999999.99, 99999999999999999999999999999999999.999999999999999999999999999999, -99999999999999999999,
         -3.40282e38, -1.7976931348623157e308,
         'abc', '', '😀 emoji 𝄞 and ü', REPEAT('x', 5000), X'00FF0001', X'', X'DEADBEEF',
         b'1', b'1111111111111111111111111111111111111111111111111111111111111111',
         'large', 'a,c', '{"k": [1, 2.5, "ü"]}',
         '1000-01-01', '9999-12-31 23:59:59.999999', '2024-02-29 12:00:00', '2038-01-19 03:14:07.999', '-838:59:59.000000', 2155),
        (2, 127, 0, 32767, 0, 8388607, 0, 2147483647, 0, 9223372036854775807, 0,
         0.00, -0.000000000000000000000000000001, 0,
         1.17549435e-38, 4.9406564584124654e-324,
         '', 'a', '', '', X'00000000', X'00', X'',
         b'0', b'0',
         'small', '', '[]',
         '0000-00-00', '0000-00-00 00:00:00.000000', '1970-01-01 00:00:01', '1970-01-01 00:00:01.000', '838:59:59.999999', 1901),
        (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
         NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
        """;

    private static async Task<List<CaptureItem>> ReadAsync(MySqlChangeStream stream, Func<List<CaptureItem>, bool> done)
    {
        var items = new List<CaptureItem>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!done(items)) items.Add(await stream.ReadAsync(timeout.Token));
        return items;
    }

    /// <summary>Snapshots the source into the destination at a known position, as `sync follow` does first.</summary>
    private static async Task<(MySqlSource Source, SqliteDestination Destination, string Position, IReadOnlyList<Schema.TableSchema> Tables)> SnapshotAsync(string connection, string file)
    {
        var source = new MySqlSource(connection);
        string position;
        await using (var snapshot = await source.OpenSnapshotAsync()) position = await snapshot.ReadLogPositionAsync();
        var destination = new SqliteDestination(file);
        var report = await DirectSync.RunAsync(source, destination, batchCount: 2);
        Assert.True(report.Verified);
        destination.StartFollowingAt(position);
        return (source, destination, position, await source.DiscoverAsync());
    }

    [Fact]
    public async Task Every_type_captured_from_the_binlog_encodes_exactly_as_the_snapshot_reads_it()
    {
        var connection = await server.CreateDatabaseAsync("cdc_types");
        await server.ExecuteAsync(connection, AllTypes);
        var source = new MySqlSource(connection);
        var tables = await source.DiscoverAsync();
        var start = await MySqlChangeStream.CurrentPositionAsync(connection);
        await using var stream = await MySqlChangeStream.OpenAsync(connection, tables, SyncFilter.Everything, start, 9101, TimeSpan.FromSeconds(1));
        await server.ExecuteAsync(connection, Rows);

        var items = await ReadAsync(stream, i => i.Any(x => x.Transaction is not null));
        var captured = items.Single(i => i.Transaction is not null).Transaction!.Changes;
        var snapshot = new List<byte[]>();
        await source.ReadAsync(tables[0], row => snapshot.Add(row.ToArray()));

        Assert.Equal(3, captured.Count);
        Assert.All(captured, c => Assert.Equal(ChangeKind.Upsert, c.Kind));
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(Encoding.CanonicalRows.DescribeRow(snapshot[i], tables[0]), Encoding.CanonicalRows.DescribeRow(captured[i].Data, tables[0]));
            Assert.Equal(Convert.ToHexString(snapshot[i]), Convert.ToHexString(captured[i].Data));
        }
    }

    [Fact]
    public async Task Changes_after_the_snapshot_position_reach_sqlite_once_even_when_delivered_twice()
    {
        var connection = await server.CreateDatabaseAsync("cdc_apply");
        await server.ExecuteAsync(connection, AllTypes);
        await server.ExecuteAsync(connection, Rows);
        var (source, destination, position, tables) = await SnapshotAsync(connection, _temp.File("apply.db"));
        using var _ = destination;
        await using var stream = await MySqlChangeStream.OpenAsync(connection, tables, SyncFilter.Everything, position, 9102, TimeSpan.FromSeconds(1));
        await server.ExecuteAsync(connection, """
            UPDATE all_types SET vc = 'changed', u64 = 7, d_money = 1.50, ts = '2001-02-03 04:05:06.789' WHERE id = 1;
            DELETE FROM all_types WHERE id = 2;
            UPDATE all_types SET id = 30 WHERE id = 3;
            INSERT INTO all_types (id, t) VALUES (4, '𝄞 new');
            """);

        var items = await ReadAsync(stream, i => i.Count(x => x.Transaction is not null) == 4);
        var transactions = items.Where(i => i.Transaction is not null).Select(i => i.Transaction!).ToArray();
        var batch = new ChangeBatch(1, position, items[^1].Position, transactions, []);
        var decoded = ChangeBatch.Decode(batch.Encode());
        var first = destination.ApplyChanges(decoded, tables);
        var again = destination.ApplyChanges(decoded, tables);

        Assert.Equal((4, 0), (first.Transactions, first.Skipped));
        Assert.Equal((0, 4), (again.Transactions, again.Skipped));
        Assert.Equal(items[^1].Position, destination.ChangePosition);
        // Where the snapshot was stays known across restarts: the nodes must keep the changes after it.
        using (var reopened = new SqliteDestination(_temp.File("apply.db"))) Assert.Equal(position, reopened.FollowSnapshotPosition);
        var comparison = await Verifier.CompareAsync(source, destination, tables);
        Assert.All(comparison, c => Assert.True(c.Equal, string.Join("; ", c.Differences)));
    }

    [Fact]
    public async Task A_source_without_row_binlog_is_refused_naming_the_setting()
    {
        var connection = await server.CreateDatabaseAsync("cdc_statement");
        await using (var mysql = new MySqlConnector.MySqlConnection(connection))
        {
            await mysql.OpenAsync();
            await using var set = new MySqlConnector.MySqlCommand("SET GLOBAL binlog_row_image = 'MINIMAL'", mysql);
            await set.ExecuteNonQueryAsync();
        }
        try
        {
            var error = await Assert.ThrowsAsync<DataEdgeException>(() => MySqlChangeStream.OpenAsync(connection, [], SyncFilter.Everything, "x.000001:4", 9104, TimeSpan.FromSeconds(1)));
            Assert.Contains("binlog_row_image", error.Message);
            Assert.Contains("MINIMAL", error.Message);
        }
        finally
        {
            await server.ExecuteAsync(connection, "SET GLOBAL binlog_row_image = 'FULL'");
        }
    }

    [Fact]
    public async Task A_table_without_a_primary_key_is_refused_by_name()
    {
        var table = new Schema.TableSchema("loose", [new Schema.ColumnSchema("v", Schema.ColumnKind.SignedInteger, true, "int")], []);
        var error = Assert.Throws<DataEdgeException>(() => new BinlogRowMapper(table, [null]));
        Assert.Contains("'loose'", error.Message);
    }

    public void Dispose() => _temp.Dispose();
}
