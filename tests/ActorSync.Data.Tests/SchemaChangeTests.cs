using ActorSync.Data.Cdc;
using ActorSync.Data.MySql;
using ActorSync.Data.Schema;
using ActorSync.Data.Sqlite;
using ActorSync.Data.Verify;

namespace ActorSync.Data.Tests;

/// <summary>
/// Schema changes of followed tables, from a real MariaDB binlog into a real SQLite file: carried where SQLite can
/// follow exactly (the destination then equals the source, checked row by row), refused by table and column where it
/// cannot, and then only that table stops.
/// </summary>
public class SchemaChangeTests(BinlogMariaDbServer server) : IClassFixture<BinlogMariaDbServer>, IDisposable
{
    private readonly TempDirectory _temp = new();
    private static uint _serverId = 9200;

    /// <summary>A followed destination: snapshot at a position, then the stream applied batch by batch.</summary>
    private sealed class Follower(MySqlSource source, SqliteDestination destination, MySqlChangeStream stream, SyncFilter filter, string position) : IAsyncDisposable
    {
        private IReadOnlyList<TableSchema> _tables = [];
        private string _at = position;

        public SqliteDestination Destination => destination;

        public MySqlChangeStream Stream => stream;

        public IReadOnlyList<TableSchema> Tables => _tables;

        public static async Task<Follower> StartAsync(string connection, string file, SyncFilter? filter = null)
        {
            filter ??= SyncFilter.Everything;
            var source = new MySqlSource(connection);
            string position;
            await using (var snapshot = await source.OpenSnapshotAsync()) position = await snapshot.ReadLogPositionAsync();
            var destination = new SqliteDestination(file);
            var tables = await source.DiscoverAsync(filter);
            if (tables.Count > 0)
            {
                using var dataset = await Dataset.ReadAsync(source, tables, 2);
                destination.Apply(tables, dataset.Manifest, [0, 1], dataset.ReadBatch);
            }
            destination.StartFollowingAt(position, new DatasetCatalog(tables, []).Encode());
            var stream = await MySqlChangeStream.OpenAsync(connection, tables, filter, position, _serverId++, TimeSpan.FromSeconds(1));
            return new Follower(source, destination, stream, filter, position) { _tables = tables };
        }

        /// <summary>Reads and applies until <paramref name="done"/> holds for what was read, then returns what was read.</summary>
        public async Task<List<CaptureItem>> FollowAsync(Func<List<CaptureItem>, bool> done)
        {
            var items = new List<CaptureItem>();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (!done(items))
            {
                var item = await stream.ReadAsync(timeout.Token);
                items.Add(item);
                var stopped = item.Stopped.Select(t => $"{t}\t{stream.Stopped[t]}").ToArray();
                var batch = new ChangeBatch(items.Count, _at, item.Position, item.Transaction is { } t ? [t] : [], stopped);
                var applied = destination.ApplyChanges(ChangeBatch.Decode(batch.Encode()), _tables);
                if (applied.Tables is { } tables) _tables = tables;
                _tables = _tables.Where(t => !item.Stopped.Contains(t.Name, StringComparer.OrdinalIgnoreCase)).ToArray();
                _at = item.Position;
            }
            return items;
        }

        /// <summary>The destination against the live source, table by table, for the followed tables.</summary>
        public async Task AssertEqualAsync()
        {
            var now = await source.DiscoverAsync(filter);
            var followed = now.Where(t => _tables.Any(f => f.Name == t.Name)).ToArray();
            Assert.Equal(followed.Select(t => t.Shape), _tables.OrderBy(t => t.Name, StringComparer.Ordinal).Select(t => t.Shape));
            foreach (var comparison in await Verifier.CompareAsync(source, destination, followed))
                Assert.True(comparison.Equal, $"{comparison.Table}: {string.Join("; ", comparison.Differences)}; destination: " +
                    string.Join(" | ", Rows(destination, followed.Single(t => t.Name == comparison.Table))));
        }

        private static IEnumerable<string> Rows(SqliteDestination destination, TableSchema table)
        {
            var rows = new List<string>();
            destination.ReadTable(table, row => rows.Add(Encoding.CanonicalRows.DescribeRow(row, table)));
            return rows;
        }

        public async ValueTask DisposeAsync()
        {
            await stream.DisposeAsync();
            destination.Dispose();
        }
    }

    private static bool Saw(List<CaptureItem> items, string marker) =>
        items.Any(i => i.Transaction?.Changes.Any(c => c.Table == "marker" && CanonicalRowsText(c.Data).Contains(marker, StringComparison.Ordinal)) == true);

    private static string CanonicalRowsText(byte[] row) => System.Text.Encoding.UTF8.GetString(row);

    private async Task<string> DatabaseAsync(string name, string ddl)
    {
        var connection = await server.CreateDatabaseAsync(name);
        await server.ExecuteAsync(connection, "CREATE TABLE marker (id INT PRIMARY KEY AUTO_INCREMENT, note VARCHAR(40) NOT NULL); " + ddl);
        return connection;
    }

    /// <summary>Writes a marker row last, so a test knows capture has read everything before it.</summary>
    private Task MarkAsync(string connection, string note) => server.ExecuteAsync(connection, $"INSERT INTO marker (note) VALUES ('{note}')");

    [Fact]
    public async Task Added_columns_reach_sqlite_with_the_values_the_source_gave_existing_rows()
    {
        var connection = await DatabaseAsync("ddl_add", """
            CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(10) NOT NULL);
            INSERT INTO t VALUES (1, 'one'), (2, 'two');
            """);
        await using var follower = await Follower.StartAsync(connection, _temp.File("add.db"));
        // Each statement is read by capture before the next one runs, as when capture keeps up with the source.
        string[] steps =
        [
            "ALTER TABLE t ADD COLUMN n INT NULL",
            "ALTER TABLE t ADD COLUMN d DECIMAL(8,2) NOT NULL DEFAULT 12.50, ADD COLUMN s VARCHAR(20) DEFAULT 'ünï'",
            "INSERT INTO t (id, v, n) VALUES (3, 'three', 33)",
            "ALTER TABLE t ADD COLUMN z INT NOT NULL, ADD COLUMN e ENUM('red','green') NOT NULL, ADD COLUMN dt DATETIME(3) NOT NULL, ADD COLUMN bn BINARY(3) NOT NULL",
            "INSERT INTO t VALUES (4, 'four', NULL, 1.25, NULL, 7, 'green', '2024-01-02 03:04:05.678', 'abc')",
            "UPDATE t SET s = 'changed' WHERE id = 1",
        ];
        var items = new List<CaptureItem>();
        for (int i = 0; i < steps.Length; i++)
        {
            await server.ExecuteAsync(connection, steps[i]);
            await MarkAsync(connection, $"step {i}");
            items.AddRange(await follower.FollowAsync(read => Saw(read, $"step {i}")));
        }

        Assert.True(items.All(i => i.Stopped.Count == 0), string.Join("; ", follower.Stream.Stopped.Select(s => $"{s.Key}: {s.Value}")));
        Assert.Equal(3, items.Count(i => i.Transaction?.Schemas.Count > 0));
        await follower.AssertEqualAsync();
    }

    [Fact]
    public async Task Statements_read_together_are_carried_together_unless_rows_were_written_between_them()
    {
        var connection = await DatabaseAsync("ddl_batch", """
            CREATE TABLE quiet (id INT PRIMARY KEY, v INT);
            CREATE TABLE busy (id INT PRIMARY KEY, v INT);
            INSERT INTO quiet VALUES (1, 1); INSERT INTO busy VALUES (1, 1);
            """);
        await using var follower = await Follower.StartAsync(connection, _temp.File("batch.db"));
        // All of it runs before capture reads the first statement: the source then shows only the final shapes.
        await server.ExecuteAsync(connection, """
            ALTER TABLE quiet ADD COLUMN a INT DEFAULT 5;
            ALTER TABLE quiet ADD COLUMN b VARCHAR(9) DEFAULT 'bee';
            INSERT INTO quiet VALUES (2, 2, 6, 'c');
            ALTER TABLE busy ADD COLUMN a INT DEFAULT 5;
            INSERT INTO busy VALUES (2, 2, 6);
            ALTER TABLE busy ADD COLUMN b VARCHAR(9) DEFAULT 'bee';
            """);
        await MarkAsync(connection, "together");

        var items = await follower.FollowAsync(i => Saw(i, "together"));

        Assert.Equal(["busy"], follower.Stream.Stopped.Keys);
        Assert.Contains("rows written between", follower.Stream.Stopped["busy"]);
        Assert.Single(items, i => i.Transaction?.Schemas.Any(c => c.Table == "quiet") == true);
        await follower.AssertEqualAsync();
    }

    [Fact]
    public async Task Dropped_renamed_and_widened_columns_reach_sqlite_and_keep_their_values()
    {
        var connection = await DatabaseAsync("ddl_alter", """
            CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(10), b INT, c TINYINT UNSIGNED, e ENUM('x','y'), gone TEXT);
            INSERT INTO t VALUES (1, 'aa', 10, 200, 'y', 'bye'), (2, NULL, NULL, NULL, NULL, NULL);
            """);
        await using var follower = await Follower.StartAsync(connection, _temp.File("alter.db"));
        await server.ExecuteAsync(connection, """
            ALTER TABLE t DROP COLUMN gone;
            ALTER TABLE t CHANGE COLUMN b bee INT;
            ALTER TABLE t RENAME COLUMN a TO ay;
            ALTER TABLE t MODIFY ay VARCHAR(200), MODIFY c INT UNSIGNED, MODIFY e ENUM('x','y','z');
            INSERT INTO t VALUES (3, REPEAT('w', 150), 30, 70000, 'z');
            """);
        await MarkAsync(connection, "altered");

        var items = await follower.FollowAsync(i => Saw(i, "altered"));

        Assert.True(items.All(i => i.Stopped.Count == 0), string.Join("; ", follower.Stream.Stopped.Select(s => $"{s.Key}: {s.Value}")));
        await follower.AssertEqualAsync();
    }

    [Fact]
    public async Task Created_truncated_and_dropped_tables_follow_the_source_and_the_filter()
    {
        var connection = await DatabaseAsync("ddl_tables", """
            CREATE TABLE keep (id INT PRIMARY KEY, v INT);
            CREATE TABLE old (id INT PRIMARY KEY);
            INSERT INTO keep VALUES (1, 1); INSERT INTO old VALUES (1);
            """);
        var filter = new SyncFilter([], ["skip_*"], ["fresh.secret"]);
        await using var follower = await Follower.StartAsync(connection, _temp.File("tables.db"), filter);
        await server.ExecuteAsync(connection, """
            CREATE TABLE fresh (id INT PRIMARY KEY, v VARCHAR(10), secret VARCHAR(10));
            INSERT INTO fresh VALUES (1, 'new', 'hidden'), (2, 'newer', 'hidden');
            CREATE TABLE skip_me (id INT PRIMARY KEY);
            INSERT INTO skip_me VALUES (1);
            TRUNCATE TABLE keep;
            INSERT INTO keep VALUES (2, 2);
            DROP TABLE old;
            """);
        await MarkAsync(connection, "tables");

        var items = await follower.FollowAsync(i => Saw(i, "tables"));

        Assert.True(items.All(i => i.Stopped.Count == 0), string.Join("; ", follower.Stream.Stopped.Select(s => $"{s.Key}: {s.Value}")));
        Assert.Equal(["fresh", "keep", "marker"], follower.Tables.Select(t => t.Name).Order(StringComparer.Ordinal));
        Assert.False(follower.Destination.HasTable("old"));
        Assert.False(follower.Destination.HasTable("skip_me"));
        Assert.DoesNotContain(follower.Tables.Single(t => t.Name == "fresh").Columns, c => c.Name == "secret");
        await follower.AssertEqualAsync();
    }

    [Fact]
    public async Task A_change_that_cannot_be_carried_exactly_stops_that_table_by_name_and_the_others_go_on()
    {
        var connection = await DatabaseAsync("ddl_refused", """
            CREATE TABLE narrow (id INT PRIMARY KEY, v VARCHAR(20));
            CREATE TABLE stamped (id INT PRIMARY KEY, v INT);
            CREATE TABLE other (id INT PRIMARY KEY, v INT);
            INSERT INTO narrow VALUES (1, 'short'); INSERT INTO stamped VALUES (1, 1); INSERT INTO other VALUES (1, 1);
            """);
        await using var follower = await Follower.StartAsync(connection, _temp.File("refused.db"));
        await server.ExecuteAsync(connection, """
            ALTER TABLE narrow MODIFY v VARCHAR(5);
            ALTER TABLE stamped ADD COLUMN at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6);
            INSERT INTO other VALUES (2, 2);
            INSERT INTO narrow VALUES (2, 'x');
            """);
        await MarkAsync(connection, "refused");

        var items = await follower.FollowAsync(i => Saw(i, "refused"));

        Assert.Contains("table 'narrow', column 'v'", follower.Stream.Stopped["narrow"]);
        Assert.Contains("narrowed", follower.Stream.Stopped["narrow"]);
        Assert.Contains("table 'stamped', column 'at'", follower.Stream.Stopped["stamped"]);
        Assert.Contains("expression", follower.Stream.Stopped["stamped"]);
        Assert.Contains("sync start", follower.Stream.Stopped["stamped"]);
        Assert.Equal(["marker", "other"], follower.Tables.Select(t => t.Name).Order(StringComparer.Ordinal));
        Assert.Equal(["narrow", "stamped"], follower.Destination.StoppedTables().Keys.Order(StringComparer.Ordinal));
        Assert.Contains(items, i => i.Transaction?.Changes.Any(c => c.Table == "other") == true);
        await follower.AssertEqualAsync();
    }

    [Fact]
    public void The_planner_refuses_a_changed_key_and_carries_a_plain_widening_as_a_reshape_only()
    {
        var before = new TableSchema("t", [new ColumnSchema("id", ColumnKind.SignedInteger, false, "int(11)", Bits: 32), new ColumnSchema("v", ColumnKind.Text, true, "varchar(10)")], [0]);
        var rekeyed = before with { PrimaryKey = [0, 1] };
        var widened = before with { Columns = [before.Columns[0] with { SourceType = "bigint(20)", Bits = 64 }, before.Columns[1] with { SourceType = "varchar(99)" }] };

        var refused = SchemaEvolution.Plan(before, rekeyed, "ALTER TABLE t ADD PRIMARY KEY (id, v)", _ => ColumnFill.Null);
        var carried = SchemaEvolution.Plan(before, widened, "ALTER TABLE t MODIFY id BIGINT, MODIFY v VARCHAR(99)", _ => ColumnFill.Null);
        var nothing = SchemaEvolution.Plan(before, before, "ALTER TABLE t ADD INDEX (v)", _ => ColumnFill.Null);

        Assert.Contains("primary key changed", refused.Refusal);
        Assert.Empty(carried.Change!.Steps);
        Assert.Equal("bigint(20)", carried.Change.After!.Columns[0].SourceType);
        Assert.Equal((null, null), (nothing.Change, nothing.Refusal));
    }

    public void Dispose() => _temp.Dispose();
}
