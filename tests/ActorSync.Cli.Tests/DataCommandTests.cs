namespace ActorSync.Cli.Tests;

/// <summary>The data commands, run as the built executable against a real MariaDB and real SQLite files.</summary>
[Collection(MariaDbCollection.Name)]
public class DataCommandTests(MariaDbServer server) : IDisposable
{
    private readonly TempDirectory _temp = new();

    [Fact]
    public async Task Seed_sync_and_verify_the_bank_csv_end_to_end()
    {
        var mysql = await server.CreateDatabaseAsync("cli_bank");
        var dest = _temp.File("hubc.db");

        var seed = CliRunner.Lab("seed", "--mysql", mysql, "--csv", RepoData.File("bank.csv"));
        var sync = CliRunner.Run("sync", "--mysql", mysql, "--dest", dest, "--batches", "6");
        var resync = CliRunner.Run("sync", "--mysql", mysql, "--dest", dest, "--batches", "6");
        var verify = CliRunner.Run("verify", "--mysql", mysql, "--dest", dest);

        Assert.Equal(0, seed.ExitCode);
        Assert.Contains("loaded 4521 rows", seed.Stdout);
        Assert.Equal(0, sync.ExitCode);
        Assert.Contains("6 of 6 batches shipped", sync.Stdout);
        Assert.Contains("0 of 6 batches shipped", resync.Stdout);
        Assert.Equal(0, verify.ExitCode);
        Assert.Contains("equal", verify.Stdout);
    }

    [Fact]
    public void A_SQLite_file_standing_in_for_MySQL_seeds_syncs_and_verifies_and_a_missing_one_is_named()
    {
        var source = _temp.File("source.db");
        var dest = _temp.File("from-sqlite.db");

        var seed = CliRunner.Lab("seed", "--source-sqlite", source, "--csv", RepoData.File("bank.csv"));
        var again = CliRunner.Lab("seed", "--source-sqlite", source, "--csv", RepoData.File("bank.csv"), "--if-missing");
        var sync = CliRunner.Run("sync", "--source-sqlite", source, "--dest", dest, "--batches", "6");
        var verify = CliRunner.Run("verify", "--source-sqlite", source, "--dest", dest);
        var missing = CliRunner.Run("verify", "--source-sqlite", _temp.File("nowhere.db"), "--dest", dest);

        Assert.Equal(0, seed.ExitCode);
        Assert.Contains($"loaded 4521 rows into SQLite source {source}", seed.Stdout);
        Assert.Contains("exists; left as it is", again.Stdout);
        Assert.Equal(0, sync.ExitCode);
        Assert.Contains("6 of 6 batches shipped", sync.Stdout);
        Assert.Equal(0, verify.ExitCode);
        Assert.Contains("equal", verify.Stdout);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("nowhere.db: the file does not exist", missing.Stderr);
    }

    [Fact]
    public async Task Verify_exits_1_and_names_the_key_when_the_destination_differs()
    {
        var mysql = await server.CreateDatabaseAsync("cli_diff");
        var dest = _temp.File("diff.db");
        CliRunner.Lab("seed", "--mysql", mysql, "--synthetic", "300");
        CliRunner.Run("sync", "--mysql", mysql, "--dest", dest);
        using (var sqlite = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={dest};Pooling=False"))
        {
            sqlite.Open();
            using var command = sqlite.CreateCommand();
            command.CommandText = "UPDATE bank SET age = 99 WHERE id = 123";
            command.ExecuteNonQuery();
        }

        var verify = CliRunner.Run("verify", "--mysql", mysql, "--dest", dest);

        Assert.Equal(1, verify.ExitCode);
        Assert.Contains("different", verify.Stdout);
        Assert.Contains("id=123", verify.Stdout);
    }

    [Fact]
    public void Missing_connection_and_bad_options_get_one_line_and_exit_2()
    {
        var noConnection = CliRunner.Run("verify", "--dest", _temp.File("x.db"));
        var bothSources = CliRunner.Lab("seed", "--mysql", server.ConnectionString("x"), "--csv", "a.csv", "--synthetic", "5");
        var twoDatabases = CliRunner.Run("verify", "--mysql", server.ConnectionString("x"), "--source-sqlite", _temp.File("s.db"), "--dest", _temp.File("x.db"));

        Assert.Equal(2, noConnection.ExitCode);
        Assert.Contains("--mysql CONNECTION or --source-sqlite FILE is required (or set ACTORSYNC_MYSQL or ACTORSYNC_SOURCE_SQLITE)", noConnection.Stderr);
        Assert.Equal(2, bothSources.ExitCode);
        Assert.Contains("not both", bothSources.Stderr);
        Assert.Equal(2, twoDatabases.ExitCode);
        Assert.Contains("give --mysql or --source-sqlite, not both", twoDatabases.Stderr);
        Assert.DoesNotContain("   at ", noConnection.Stderr + bothSources.Stderr + twoDatabases.Stderr);
    }

    public void Dispose() => _temp.Dispose();
}
