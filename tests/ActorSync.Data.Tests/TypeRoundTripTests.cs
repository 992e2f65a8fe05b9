using ActorSync.Data.MySql;
using ActorSync.Data.Schema;
using ActorSync.Data.Sqlite;
using Microsoft.Data.Sqlite;

namespace ActorSync.Data.Tests;

[Collection(MariaDbCollection.Name)]
public class TypeRoundTripTests(MariaDbServer server) : IDisposable
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

    [Fact]
    public async Task Every_type_round_trips_exactly_including_nulls_extremes_and_4_byte_utf8()
    {
        var connection = await server.CreateDatabaseAsync("types");
        await server.ExecuteAsync(connection, AllTypes);
        await server.ExecuteAsync(connection, Rows);
        var source = new MySqlSource(connection);
        using var destination = new SqliteDestination(_temp.File("types.db"));

        var report = await DirectSync.RunAsync(source, destination, batchCount: 3);

        var table = Assert.Single(report.Verification);
        Assert.True(table.Equal, string.Join("; ", table.Differences));
        Assert.Equal(3, table.DestinationRows);

        using var sqlite = new SqliteConnection($"Data Source={_temp.File("types.db")}");
        sqlite.Open();
        string Text(string column, int id) => Scalar<string>(sqlite, $"SELECT \"{column}\" FROM all_types WHERE id = {id}");
        Assert.Equal("99999999999999999999999999999999999.999999999999999999999999999999", Text("d_wide", 1));
        Assert.Equal("-0.000000000000000000000000000001", Text("d_wide", 2));
        Assert.Equal("18446744073709551615", Text("u64", 1));
        Assert.Equal("😀 emoji 𝄞 and ü", Text("t", 1));
        Assert.Equal("", Text("vc", 1));
        Assert.Equal(0L, Scalar<long>(sqlite, "SELECT length(vb) FROM all_types WHERE id = 1 AND vb IS NOT NULL"));
        Assert.Equal("9999-12-31 23:59:59.999999", Text("dtm", 1));
        Assert.Equal("0000-00-00", Text("dt", 2));
        Assert.Equal("2038-01-19 03:14:07.999", Text("ts", 1));
        Assert.Equal("-838:59:59.000000", Text("tm", 1));
        Assert.Equal(-1.7976931348623157e308, Scalar<double>(sqlite, "SELECT dbl FROM all_types WHERE id = 1"));
        Assert.Equal(1L, Scalar<long>(sqlite, "SELECT COUNT(*) FROM all_types WHERE id = 3 AND i64 IS NULL AND dtm IS NULL AND bl IS NULL"));
    }

    [Fact]
    public async Task Hostile_identifiers_are_quoted_everywhere()
    {
        var connection = await server.CreateDatabaseAsync("hostile");
        await server.ExecuteAsync(connection, """
            CREATE TABLE `we``ird "table"; DROP TABLE x; --` (`key col` INT PRIMARY KEY, `"quoted"` VARCHAR(10), `ünï cödé ∑` TEXT, `select` INT);
            INSERT INTO `we``ird "table"; DROP TABLE x; --` VALUES (1, 'a', 'b', 2), (2, NULL, 'c', NULL);
            """);
        using var destination = new SqliteDestination(_temp.File("hostile.db"));

        var report = await DirectSync.RunAsync(new MySqlSource(connection), destination, batchCount: 2);

        Assert.True(report.Verified);
        Assert.True(destination.HasTable("we`ird \"table\"; DROP TABLE x; --"));
        Assert.Equal(2, report.SourceRows["we`ird \"table\"; DROP TABLE x; --"]);
    }

    [Fact]
    public async Task An_unsupported_type_is_refused_naming_table_and_column()
    {
        var connection = await server.CreateDatabaseAsync("unsupported");
        await server.ExecuteAsync(connection, "CREATE TABLE places (id INT PRIMARY KEY, spot POINT)");

        var error = await Assert.ThrowsAsync<DataEdgeException>(() => new MySqlSource(connection).DiscoverAsync());

        Assert.Contains("'places'", error.Message);
        Assert.Contains("'spot'", error.Message);
        Assert.Contains("point", error.Message);
    }

    public void Dispose() => _temp.Dispose();

    private static T Scalar<T>(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (T)Convert.ChangeType(command.ExecuteScalar()!, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }
}
