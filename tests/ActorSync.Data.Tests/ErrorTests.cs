using ActorSync.Data.MySql;
using ActorSync.Tooling;
using ActorSync.Data.Sqlite;
using MySqlConnector;

namespace ActorSync.Data.Tests;

[Collection(MariaDbCollection.Name)]
public class ErrorTests(MariaDbServer server) : IDisposable
{
    private readonly TempDirectory _temp = new();

    [Fact]
    public async Task An_unreachable_server_is_named_with_its_host_and_port()
    {
        var closed = new MySqlConnectionStringBuilder(server.ConnectionString("x")) { Port = 1, ConnectionTimeout = 3 }.ConnectionString;

        var error = await Assert.ThrowsAsync<DataEdgeException>(() => new MySqlSource(closed).DiscoverAsync());

        Assert.Contains("127.0.0.1:1", error.Message);
        Assert.Contains("unreachable", error.Message);
    }

    [Fact]
    public async Task A_scan_slowed_past_the_scan_timeout_is_cancelled_and_named()
    {
        var (connection, _, table) = await SeededBankAsync("slow_scan");
        var slow = new MySqlSource(connection) { ScanTimeout = TimeSpan.FromSeconds(1) };
        long rows = 0;

        // A consumer that never catches up (back-pressure from a stalled node): the scan must not wait forever.
        var error = await Assert.ThrowsAsync<DataEdgeException>(() => slow.ReadWithWatermarkAsync(table, _ => rows++, afterRow: async () => await Task.Delay(5)));

        Assert.Contains("reading table 'bank' took longer than the scan timeout", error.Message);
        Assert.Contains("actorsync.hub.scan-timeout", error.Message);
        Assert.InRange(rows, 1, 4520);
    }

    [Fact]
    public void Connections_get_TCP_keepalive_and_keep_the_operator_s_TLS_mode()
    {
        var hardened = new MySqlConnectionStringBuilder(MySqlSource.Harden("Server=db;Database=x;SslMode=VerifyFull"));
        var chosen = new MySqlConnectionStringBuilder(MySqlSource.Harden("Server=db;Database=x;Keepalive=5"));

        Assert.Equal(30u, hardened.Keepalive);
        Assert.Equal(MySqlSslMode.VerifyFull, hardened.SslMode);
        Assert.Equal(5u, chosen.Keepalive);
    }

    [Fact]
    public async Task A_source_write_made_while_reverse_sync_decides_a_row_waits_for_it_and_is_never_overwritten_unseen()
    {
        var (connection, source, table) = await SeededBankAsync("reverse_lock");
        var key = new Encoding.RowBuilder(1);
        key.Begin();
        key.Unsigned(5);
        var id5 = key.Complete().ToArray();

        await using (var writer = await source.BeginWriteAsync())
        {
            var current = Assert.Single(await writer.ReadRowsAsync(table, [id5]));
            Assert.NotNull(current);
            // A concurrent writer at the source: the row is locked by the reverse sync's read, so it waits (here: gives up).
            var blocked = await Assert.ThrowsAsync<MySqlException>(() =>
                server.ExecuteAsync(connection, "SET SESSION innodb_lock_wait_timeout = 1; UPDATE bank SET balance = 999999 WHERE id = 5"));
            Assert.Equal(MySqlErrorCode.LockWaitTimeout, blocked.ErrorCode);
            await writer.WriteAsync(table, id5, current);
            await writer.CommitAsync();
        }
        await server.ExecuteAsync(connection, "UPDATE bank SET balance = 999999 WHERE id = 5"); // free once the reverse sync committed

        Assert.Contains("balance=999999,", Encoding.CanonicalRows.DescribeRow((await source.ReadRowAsync(table, id5))!, table));
    }

    [Fact]
    public async Task Bad_credentials_say_access_denied()
    {
        await server.CreateDatabaseAsync("creds");
        var wrong = new MySqlConnectionStringBuilder(server.ConnectionString("creds")) { Password = "not-the-password" }.ConnectionString;

        var error = await Assert.ThrowsAsync<DataEdgeException>(() => new MySqlSource(wrong).DiscoverAsync());

        Assert.Contains("access denied", error.Message);
        Assert.DoesNotContain("not-the-password", error.Message);
    }

    [Fact]
    public async Task A_missing_database_or_table_is_named()
    {
        var missingDb = await Assert.ThrowsAsync<DataEdgeException>(() => new MySqlSource(server.ConnectionString("no_such_db")).DiscoverAsync());
        var connection = await server.CreateDatabaseAsync("tables");
        await server.ExecuteAsync(connection, "CREATE TABLE present (id INT PRIMARY KEY)");
        var missingTable = await Assert.ThrowsAsync<DataEdgeException>(() => new MySqlSource(connection).DiscoverAsync(["present", "absent"]));

        Assert.Contains("no_such_db", missingDb.Message);
        Assert.Contains("'absent'", missingTable.Message);
        Assert.DoesNotContain("'present'", missingTable.Message);
    }

    [Fact]
    public void A_destination_that_cannot_be_written_is_named()
    {
        var inMissingDir = Assert.Throws<DataEdgeException>(() => new SqliteDestination(_temp.File("no/such/dir/x.db")));
        File.WriteAllText(_temp.File("not-a-db"), "this is not a database file, it is text that goes on long enough to be read as a header");
        var notDb = Assert.Throws<DataEdgeException>(() => new SqliteDestination(_temp.File("not-a-db")));

        Assert.Contains("no/such/dir", inMissingDir.Message);
        Assert.Contains("not-a-db", notDb.Message);
    }

    [Fact]
    public async Task A_destination_table_not_made_by_ActorSync_is_left_alone()
    {
        var connection = await server.CreateDatabaseAsync("clash");
        await BankSeeder.SeedAsync(new MySqlSource(connection), "bank", BankRow.Generate(10), replace: false);
        using var destination = new SqliteDestination(_temp.File("clash.db"));
        destination.Execute("CREATE TABLE bank (mine TEXT); INSERT INTO bank VALUES ('keep me')");

        var error = await Assert.ThrowsAsync<DataEdgeException>(() => DirectSync.RunAsync(new MySqlSource(connection), destination, 2));

        Assert.Contains("'bank' already exists and was not created by ActorSync", error.Message);
        Assert.Equal(1, destination.Execute("UPDATE bank SET mine = mine WHERE mine = 'keep me'"));
    }

    [Fact]
    public void A_malformed_csv_line_is_named()
    {
        var csv = _temp.File("bad.csv");
        File.WriteAllLines(csv, [string.Join(",", BankRow.Columns), "30,admin.,married,primary,no,1787,no,no,cellular,19,oct,79,1,-1,0,unknown,no", "31,admin.,married"]);

        var error = Assert.Throws<DataEdgeException>(() => BankRow.ReadCsv(csv).ToList());

        Assert.Contains("line 3", error.Message);
    }

    private async Task<(string Connection, MySqlSource Source, Schema.TableSchema Table)> SeededBankAsync(string database)
    {
        var connection = await server.CreateDatabaseAsync(database);
        var source = new MySqlSource(connection);
        await BankSeeder.SeedAsync(source, "bank", BankRow.ReadCsv(RepoData.File("bank.csv")), replace: false);
        return (connection, source, (await source.DiscoverAsync(["bank"]))[0]);
    }

    public void Dispose() => _temp.Dispose();
}
