using ActorSync.Data.MySql;
using ActorSync.Data.Schema;
using ActorSync.Data.Sqlite;
using ActorSync.Data.Verify;

namespace ActorSync.Data.Tests;

/// <summary>Which tables and columns are synced: patterns, exclusions, and columns left out of the copy altogether.</summary>
[Collection(MariaDbCollection.Name)]
public class SyncFilterTests(MariaDbServer server) : IDisposable
{
    private readonly TempDirectory _temp = new();

    [Fact]
    public void Patterns_select_tables_and_exclusions_take_them_out_again()
    {
        var filter = new SyncFilter(["sales_*", "bank", "log_202?"], ["sales_old*"], []);
        string[] source = ["bank", "log_2024", "log_20245", "sales_eu", "sales_old", "sales_old_2", "users"];

        Assert.Equal(["bank", "log_2024", "sales_eu"], filter.Select(source, "src"));
        Assert.Equal(source, SyncFilter.Everything.Select(source, "src"));
        var missing = Assert.Throws<DataEdgeException>(() => new SyncFilter(["bank", "absent", "nothing_*"], [], []).Select(source, "MySQL x"));
        Assert.Equal("MySQL x: no table 'absent'.", missing.Message); // a pattern may match nothing; a plain name must exist
    }

    [Fact]
    public void A_left_out_column_is_projected_away_but_a_key_column_is_refused_by_name()
    {
        var table = new TableSchema("users", [
            new ColumnSchema("id", ColumnKind.SignedInteger, false, "int"), new ColumnSchema("ssn", ColumnKind.Text, true, "varchar(11)"),
            new ColumnSchema("name", ColumnKind.Text, true, "varchar(40)"), new ColumnSchema("updated_at", ColumnKind.DateTime, false, "datetime(6)"),
        ], [0], WatermarkColumn: 3);

        var projected = new SyncFilter([], [], ["*.ssn"]).Project(table);
        var refused = Assert.Throws<DataEdgeException>(() => new SyncFilter([], [], ["users.id"]).Project(table));

        Assert.Equal(["id", "name", "updated_at"], projected.Columns.Select(c => c.Name));
        Assert.Equal((0, 2), (projected.PrimaryKey.Single(), projected.WatermarkColumn));
        Assert.Contains("table 'users', column 'id'", refused.Message);
        Assert.Contains("primary key", refused.Message);
    }

    [Fact]
    public void A_malformed_entry_is_refused_naming_the_setting_and_the_filter_round_trips()
    {
        var filter = new SyncFilter(["a*"], ["b"], ["c.d", "*.e"]);
        var bad = Assert.Throws<DataEdgeException>(() => new SyncFilter([], [], ["nodot"]).Validated(columnsSetting: "ACTORSYNC_EXCLUDE_COLUMNS"));

        Assert.Contains("ACTORSYNC_EXCLUDE_COLUMNS", bad.Message);
        Assert.Contains("'nodot'", bad.Message);
        var decoded = SyncFilter.Decode(filter.Encode());
        Assert.Equal(filter.Tables, decoded.Tables);
        Assert.Equal(filter.ExcludeTables, decoded.ExcludeTables);
        Assert.Equal(filter.ExcludeColumns, decoded.ExcludeColumns);
        Assert.Same(SyncFilter.Everything, SyncFilter.Decode([]));
    }

    [Fact]
    public async Task A_snapshot_with_a_column_left_out_never_reads_it_even_when_its_type_is_not_supported()
    {
        var connection = await server.CreateDatabaseAsync("filter_snapshot");
        await server.ExecuteAsync(connection, """
            CREATE TABLE place (id INT PRIMARY KEY, name VARCHAR(20), spot POINT, secret VARCHAR(10));
            INSERT INTO place VALUES (1, 'a', POINT(1, 2), 's1'), (2, 'b', NULL, 's2');
            CREATE TABLE skipped (id INT PRIMARY KEY);
            """);
        var source = new MySqlSource(connection);
        var filter = new SyncFilter(["pl*"], [], ["place.spot", "place.secret"]);

        var unfiltered = await Assert.ThrowsAsync<DataEdgeException>(() => source.DiscoverAsync(["place"]));
        var tables = await source.DiscoverAsync(filter);
        using var destination = new SqliteDestination(_temp.File("filtered.db"));
        using (var dataset = await Dataset.ReadAsync(source, tables, 2))
            destination.Apply(tables, dataset.Manifest, [0, 1], dataset.ReadBatch);

        Assert.Contains("spot", unfiltered.Message);
        Assert.Equal(["id", "name"], Assert.Single(tables).Columns.Select(c => c.Name));
        Assert.All(await Verifier.CompareAsync(source, destination, tables), c => Assert.True(c.Equal, string.Join("; ", c.Differences)));
        using var check = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={destination.Path};Mode=ReadOnly;Pooling=False");
        check.Open();
        using var columns = check.CreateCommand();
        columns.CommandText = "SELECT group_concat(name) FROM pragma_table_info('place')";
        Assert.Equal("id,name", columns.ExecuteScalar());
    }

    public void Dispose() => _temp.Dispose();
}
