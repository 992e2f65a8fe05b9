using ActorSync.Coding;
using ActorSync.Data.MySql;

namespace ActorSync.Data.Tests;

[Collection(MariaDbCollection.Name)]
public class SnapshotTests(MariaDbServer server)
{
    [Fact]
    public async Task Every_table_of_a_dataset_comes_from_one_snapshot_so_linked_tables_agree()
    {
        var connection = await server.CreateDatabaseAsync("one_snapshot");
        var rows = string.Join(", ", Enumerable.Range(1, 2000).Select(i => $"({i}, 'order number {i} with some text to fill the segments')"));
        await server.ExecuteAsync(connection, $"""
            CREATE TABLE a_orders (id INT PRIMARY KEY, note VARCHAR(100) NOT NULL);
            CREATE TABLE b_lines (id INT PRIMARY KEY, order_id INT NOT NULL, FOREIGN KEY (order_id) REFERENCES a_orders (id));
            INSERT INTO a_orders VALUES {rows};
            INSERT INTO b_lines SELECT id, id FROM a_orders;
            """);
        var source = new MySqlSource(connection);
        var tables = await source.DiscoverAsync();
        bool written = false;

        // While the first table is being read, the source gets a new order and its line, committed together.
        using var dataset = await Dataset.ReadAsync(source, tables, batchCount: 2, layout: new SegmentLayout(4096), onSealed: async (_, _) =>
        {
            if (written) return;
            written = true;
            await server.ExecuteAsync(connection, "INSERT INTO a_orders VALUES (5000, 'late'); INSERT INTO b_lines VALUES (5000, 5000)");
        });

        Assert.True(written);
        Assert.Equal(2000, dataset.RowsPerTable["a_orders"]);
        Assert.Equal(2000, dataset.RowsPerTable["b_lines"]); // not 2001: no line whose order the dataset does not hold
    }

    [Fact]
    public async Task A_finished_snapshot_leaves_no_transaction_open_so_a_schema_change_on_the_source_is_not_blocked()
    {
        var connection = await server.CreateDatabaseAsync("snapshot_released");
        await server.ExecuteAsync(connection, "CREATE TABLE t (id INT PRIMARY KEY, v INT NOT NULL); INSERT INTO t VALUES (1, 1), (2, 2)");
        var source = new MySqlSource(connection);
        var tables = await source.DiscoverAsync();
        using (await Dataset.ReadAsync(source, tables, batchCount: 1)) { }
        await source.ReadAsync(tables[0], _ => { }); // the verifier's read: its own snapshot

        // The snapshot's pooled connection must not keep its transaction (and the table's metadata lock) open:
        // an ALTER would wait for it. lock_wait_timeout makes the server, not a clock here, decide.
        // Another pool (Pooling=false), so the ALTER cannot be handed the snapshot's own connection.
        await server.ExecuteAsync(connection + ";Pooling=false", "SET SESSION lock_wait_timeout = 5; ALTER TABLE t ADD COLUMN w INT NULL");
        Assert.Contains(await source.DiscoverAsync(), table => table.Name == "t" && table.Columns.Any(c => c.Name == "w"));
    }
}
