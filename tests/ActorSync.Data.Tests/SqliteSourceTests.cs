using ActorSync.Data.MySql;
using ActorSync.Data.Schema;
using ActorSync.Tooling;
using ActorSync.Data.Sqlite;
using ActorSync.Data.Verify;
using Microsoft.Data.Sqlite;

namespace ActorSync.Data.Tests;

/// <summary>A SQLite file standing in for MySQL at Hub B: same schema, same digests, same sync behaviour.</summary>
[Collection(MariaDbCollection.Name)]
public class SqliteSourceTests(MariaDbServer server) : IDisposable
{
    private readonly TempDirectory _temp = new();

    [Fact]
    public async Task The_same_bank_data_in_MariaDB_and_in_a_SQLite_source_has_the_same_schema_and_digest()
    {
        var connection = await server.CreateDatabaseAsync("bank_twin");
        var mysql = new MySqlSource(connection);
        await BankSeeder.SeedAsync(mysql, "bank", BankRow.ReadCsv(RepoData.File("bank.csv")), replace: false);
        var sqlite = await SeededAsync("twin.db");

        // Each side stamped updated_at at its own load time: pin it to one instant on both (neither bumps an explicit set).
        await server.ExecuteAsync(connection, "UPDATE bank SET updated_at = '2024-01-01 00:00:00.000000'");
        Execute(sqlite.FilePath, "UPDATE bank SET updated_at = '2024-01-01 00:00:00.000000'");

        var mysqlTable = Assert.Single(await mysql.DiscoverAsync());
        var sqliteTable = Assert.Single(await sqlite.DiscoverAsync());

        Assert.Equal(mysqlTable.Shape, sqliteTable.Shape);
        Assert.Equal(mysqlTable.Columns.Select(c => (c.Kind, c.Bits, c.Scale)), sqliteTable.Columns.Select(c => (c.Kind, c.Bits, c.Scale)));
        Assert.Equal("updated_at", sqliteTable.Columns[sqliteTable.WatermarkColumn].Name);
        Assert.Equal(await DigestAsync(mysql, mysqlTable), await DigestAsync(sqlite, sqliteTable));
        Assert.StartsWith("4521:", await DigestAsync(sqlite, sqliteTable));
    }

    [Fact]
    public async Task A_SQLite_source_syncs_verified_and_an_update_moves_one_batch_and_its_watermark()
    {
        var source = await SeededAsync("source.db");
        using var destination = new SqliteDestination(_temp.File("hubc.db"));

        var first = await DirectSync.RunAsync(source, destination, batchCount: 6, spoolDirectory: _temp.Path);
        var table = Assert.Single(await source.DiscoverAsync());
        var before = await source.ReadWatermarkAsync(table);
        Execute(source.FilePath, "UPDATE bank SET balance = balance + 1 WHERE id = 1000");
        var after = await source.ReadWatermarkAsync(table);
        var second = await DirectSync.RunAsync(source, destination, batchCount: 6);

        Assert.True(first.Verified);
        Assert.Equal(4521, first.Verification.Single().DestinationRows);
        Assert.NotEqual(before, after); // the trigger moved updated_at, as MySQL's ON UPDATE does
        Assert.StartsWith("4521|", after);
        Assert.Equal(1, second.BatchesChanged);
        Assert.True(second.Verified);
    }

    [Fact]
    public async Task Destination_changes_flow_back_into_a_SQLite_source()
    {
        var source = await SeededAsync("bidi.db");
        using var destination = new SqliteDestination(_temp.File("bidi-hubc.db"));
        var policies = ConflictPolicies.Parse("source-wins", []);
        await BidirectionalSync.RunAsync(source, destination, 4, policies);
        destination.Execute("UPDATE bank SET job = 'changed at C' WHERE id = 5; DELETE FROM bank WHERE id = 6;");

        var report = await BidirectionalSync.RunAsync(source, destination, 4, policies);

        Assert.Equal(2, report.Reverse.WrittenToSource);
        Assert.True(report.Forward.Verified);
        var table = Assert.Single(await source.DiscoverAsync());
        var changed = await source.ReadRowAsync(table, Key(table, 5));
        Assert.NotNull(changed);
        Assert.Contains("changed at C", System.Text.Encoding.UTF8.GetString(changed));
        Assert.Null(await source.ReadRowAsync(table, Key(table, 6)));
    }

    [Fact]
    public async Task Declared_types_map_as_in_MySQL_and_affinity_conversions_read_back_exactly()
    {
        var path = _temp.File("types.db");
        Execute(path, """
            CREATE TABLE t (id INTEGER PRIMARY KEY, amount DECIMAL(12,2), label ENUM CHECK (label IN ('1', '2')), big BIGINT UNSIGNED, at DATETIME(3), d DATE);
            INSERT INTO t VALUES (1, '12.50', '1', '9223372036854775807', '2024-02-29 23:59:59.125', '2024-02-29');
            INSERT INTO t VALUES (2, 7, '2', '0', NULL, NULL);
            """, create: true);
        var source = new SqliteSource(path);

        var table = Assert.Single(await source.DiscoverAsync());
        var rows = new List<string>();
        await source.ReadAsync(table, row => rows.Add(Convert.ToHexString(row)));

        Assert.Equal("id SignedInteger, amount Decimal null, label Text null, big UnsignedInteger null, at DateTime null, d Date null; key (id)", table.Shape);
        Assert.Equal(64, table.Columns[0].Bits); // SQLite's INTEGER is 64-bit
        Assert.Equal(2, table.Columns[1].Scale);
        Assert.Equal(3, table.Columns[4].Scale);
        // NUMERIC affinity stored 12.50 as REAL and '1' as INTEGER: both read back as the declared kinds.
        using var destination = new SqliteDestination(_temp.File("types-hubc.db"));
        var report = await DirectSync.RunAsync(source, destination, batchCount: 2);
        Assert.True(report.Verified, string.Join("; ", report.Verification.SelectMany(v => v.Differences)));
        Assert.Equal(2, rows.Count);
        Assert.Equal(["12.50", "7.00"], Strings(destination.Path, "SELECT amount FROM t ORDER BY id"));
        Assert.Equal(["1", "2"], Strings(destination.Path, "SELECT label FROM t ORDER BY id"));

        // Above 2^63-1, SQLite's INTEGER affinity keeps only a REAL approximation: refused by name, never copied lossily.
        Execute(path, "INSERT INTO t VALUES (3, 1, '1', '18446744073709551615', NULL, NULL)");
        var lossy = await Assert.ThrowsAsync<DataEdgeException>(() => source.ReadAsync(table, _ => { }));
        Assert.Contains("table 't', column 'big'", lossy.Message);
    }

    [Theory]
    [InlineData("CREATE TABLE odd (id INTEGER PRIMARY KEY, shape GEOMETRY)", "table 'odd', column 'shape'", "geometry")]
    [InlineData("CREATE TABLE bare (id INTEGER PRIMARY KEY, anything)", "table 'bare', column 'anything'", "declared MySQL type")]
    public async Task A_column_without_a_supported_declared_type_is_refused_by_name(string ddl, string named, string reason)
    {
        var path = _temp.File("refused.db");
        Execute(path, ddl, create: true);

        var error = await Assert.ThrowsAsync<DataEdgeException>(() => new SqliteSource(path).DiscoverAsync());

        Assert.Contains(named, error.Message);
        Assert.Contains(reason, error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_value_that_is_not_its_declared_type_names_the_table_and_column()
    {
        var path = _temp.File("bad-value.db");
        Execute(path, "CREATE TABLE t (id INTEGER PRIMARY KEY, born DATE); INSERT INTO t VALUES (1, 'yesterday');", create: true);
        var source = new SqliteSource(path);
        var table = Assert.Single(await source.DiscoverAsync());

        var error = await Assert.ThrowsAsync<DataEdgeException>(() => source.ReadAsync(table, _ => { }));

        Assert.Contains("table 't', column 'born'", error.Message);
        Assert.Contains("yesterday", error.Message);
    }

    [Fact]
    public async Task A_missing_source_file_is_a_source_that_is_down_and_named()
    {
        var source = await SeededAsync("down.db");
        await source.PingAsync();
        File.Move(source.FilePath, source.FilePath + ".stopped");

        var error = await Assert.ThrowsAsync<DataEdgeException>(() => source.PingAsync());
        File.Move(source.FilePath + ".stopped", source.FilePath);
        await source.PingAsync();

        Assert.Contains(source.FilePath, error.Message);
        Assert.Contains("does not exist", error.Message);
    }

    [Fact]
    public async Task Seeding_refuses_an_existing_table_unless_replaced_and_loads_all_or_nothing()
    {
        var source = await SeededAsync("seed.db");
        var rows = BankRow.ReadCsv(RepoData.File("bank.csv")).Take(10);

        var exists = await Assert.ThrowsAsync<DataEdgeException>(() => BankSeeder.SeedAsync(source, "bank", rows, replace: false));
        long replaced = await BankSeeder.SeedAsync(source, "bank", rows, replace: true);
        var broken = rows.Select((row, i) => i == 5 ? row with { Default = "maybe" } : row); // breaks the ENUM's CHECK
        var failed = await Assert.ThrowsAsync<DataEdgeException>(() => BankSeeder.SeedAsync(source, "bank", broken, replace: true));

        Assert.Contains("table 'bank' already exists", exists.Message);
        Assert.Equal(10, replaced);
        Assert.Contains("Nothing was loaded", failed.Message);
        Assert.Equal(["10"], Strings(source.FilePath, "SELECT COUNT(*) FROM bank"));
        Assert.True(await BankSeeder.TableExistsAsync(source, "bank"));
        Assert.False(await BankSeeder.TableExistsAsync(source, "other"));
    }

    [Theory]
    [InlineData("bank`; DROP TABLE bank; --")]
    [InlineData("bank; DROP TABLE bank")]
    [InlineData("1bank")]
    [InlineData("")]
    public async Task Seeding_refuses_a_hostile_table_name_and_creates_nothing(string name)
    {
        var source = await SeededAsync("hostile.db");

        var error = await Assert.ThrowsAsync<DataEdgeException>(() => BankSeeder.SeedAsync(source, name, BankRow.Generate(3), replace: true));

        Assert.Contains($"table name '{name}' is refused", error.Message);
        Assert.Equal(["bank"], Strings(source.FilePath, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"));
        Assert.Equal(["4521"], Strings(source.FilePath, "SELECT COUNT(*) FROM bank"));
    }

    private async Task<SqliteSource> SeededAsync(string file)
    {
        var source = new SqliteSource(_temp.File(file));
        await BankSeeder.SeedAsync(source, "bank", BankRow.ReadCsv(RepoData.File("bank.csv")), replace: false);
        return source;
    }

    private static async Task<string> DigestAsync(ISyncSource source, TableSchema table)
    {
        var digest = new TableDigest(table);
        await source.ReadAsync(table, digest.Add);
        return $"{digest.Rows}:{digest.Hex}";
    }

    private static byte[] Key(TableSchema table, long id)
    {
        var key = Encoding.CanonicalRows.KeyBuilder(table);
        key.Begin();
        key.Unsigned((ulong)id);
        return key.Complete().ToArray();
    }

    private static string[] Strings(string path, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var values = new List<string>();
        while (reader.Read()) values.Add(Convert.ToString(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture)!);
        return values.ToArray();
    }

    private static void Execute(string path, string sql, bool create = false)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path, Pooling = false, Mode = create ? SqliteOpenMode.ReadWriteCreate : SqliteOpenMode.ReadWrite,
        }.ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public void Dispose() => _temp.Dispose();
}
