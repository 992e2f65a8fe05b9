using ActorSync.Cli;
using ActorSync.Data;
using ActorSync.Data.MySql;
using ActorSync.Tooling;

namespace ActorSync.Lab;

/// <summary>
/// The source for `demo` and `eval` on this machine: --mysql, a throwaway mariadbd, or a SQLite file standing in for
/// MySQL; and how to stop it as a crash would and bring it back.
/// </summary>
public sealed class LocalSource : IAsyncDisposable
{
    private LocalMariaDb? _server;
    private string? _sqliteFile;

    public required SourceChoice Choice { get; init; }
    public required string Description { get; init; }
    public required string Label { get; init; }
    public bool CanStop => _server is not null || _sqliteFile is not null;
    public string StoppedHow => _server is not null ? "mariadbd was killed" : "the source file was taken away";

    public static async Task<LocalSource> StartAsync(string? mysql, string kind, string work, bool binaryLog = false)
    {
        if (mysql is not null)
            return new LocalSource { Choice = new SourceChoice(mysql, null), Description = $"{new MySqlSource(mysql).Name} (--mysql)", Label = "MySQL" };
        if (kind == "mariadb" || (kind == "auto" && LocalMariaDb.IsInstalled))
        {
            if (!LocalMariaDb.IsInstalled)
                throw new DataEdgeException("--source mariadb: mariadbd is not installed (`apt-get install -y mariadb-server`); use --source sqlite or --mysql CONN.");
            var server = await LocalMariaDb.StartNewAsync(binaryLog);
            return new LocalSource
            {
                _server = server,
                Choice = new SourceChoice(await server.CreateDatabaseAsync("bank"), null),
                Description = "a throwaway MariaDB (mariadbd on a temp datadir, 127.0.0.1 only)",
                Label = "MySQL",
            };
        }
        var file = Path.Combine(work, "source.db");
        return new LocalSource
        {
            _sqliteFile = file,
            Choice = new SourceChoice(null, file),
            Description = $"a SQLite file standing in for MySQL ({file}) — " +
                          (kind == "sqlite" ? "--source sqlite" : "mariadbd is not installed; install MariaDB or give --mysql CONN to use real MySQL"),
            Label = "SQLite-as-MySQL",
        };
    }

    /// <summary>Runs a statement on the source (both dialects accept plain UPDATE … SET … WHERE …).</summary>
    public async Task ExecuteAsync(string sql)
    {
        if (Choice.MySql is { } mysql)
        {
            await using var connection = new MySqlConnector.MySqlConnection(mysql);
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            command.CommandTimeout = 0; // the lab's bulk edits (every row of 10M changed) run past the 30 s default
            await command.ExecuteNonQueryAsync();
        }
        else
        {
            await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Choice.SqliteFile};Pooling=False");
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync();
        }
    }

    /// <summary>Kills mariadbd as a crash would, or takes the SQLite source file away: either way hub-b's probe fails.</summary>
    public async Task StopAsync()
    {
        if (_server is not null) await _server.StopAsync();
        else if (_sqliteFile is not null) File.Move(_sqliteFile, _sqliteFile + ".stopped");
    }

    public async Task StartAsync()
    {
        if (_server is not null) await _server.StartAsync();
        else if (_sqliteFile is not null && File.Exists(_sqliteFile + ".stopped")) File.Move(_sqliteFile + ".stopped", _sqliteFile);
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }
}
