using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using ActorSync.Data;
using MySqlConnector;

namespace ActorSync.Tooling;

/// <summary>
/// A throwaway mariadbd on a temp datadir and a free loopback port, with its own user and random password; stopped
/// and deleted on dispose. Used by `actorsync-lab demo` and the tests. Fails with how to install it when it is missing.
/// </summary>
public sealed class LocalMariaDb : IAsyncDisposable
{
    private const string InstallHint =
        "mariadbd was not found. Install MariaDB 10.11 first: `apt-get update && apt-get install -y mariadb-server` (bash .ci/run does this).";

    private readonly string _root = Path.Combine(Path.GetTempPath(), "actorsync-mariadb-" + Guid.NewGuid().ToString("N")[..12]);
    private Process? _server;
    private string _mariadbd = "";
    private string _data = "";
    private string _tmp = "";

    public int Port { get; private set; }
    public string User => "actorsync";
    public string Password { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
    public string Socket => Path.Combine(_root, "mysqld.sock");

    /// <summary>A connection string for a database on this server (the database must exist unless it is empty).</summary>
    public string ConnectionString(string database = "") => new MySqlConnectionStringBuilder
    {
        Server = "127.0.0.1",
        Port = (uint)Port,
        UserID = User,
        Password = Password,
        Database = database,
    }.ConnectionString;

    /// <summary>Whether mariadbd and mariadb-install-db are installed here.</summary>
    public static bool IsInstalled => Find("mariadbd", "/usr/sbin/mariadbd") is not null && Find("mariadb-install-db", "/usr/bin/mariadb-install-db") is not null;

    /// <summary>Whether the server writes a ROW-format binlog with full images (for change capture).</summary>
    public bool BinaryLog { get; private init; }

    public static async Task<LocalMariaDb> StartNewAsync(bool binaryLog = false)
    {
        var server = new LocalMariaDb { BinaryLog = binaryLog };
        try
        {
            await server.InitializeAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    private async Task InitializeAsync()
    {
        var mariadbd = Find("mariadbd", "/usr/sbin/mariadbd") ?? throw new DataEdgeException(InstallHint);
        var installDb = Find("mariadb-install-db", "/usr/bin/mariadb-install-db") ?? throw new DataEdgeException(InstallHint);
        Directory.CreateDirectory(_root);
        Directory.CreateDirectory(Path.Combine(_root, "binlog"));
        var data = Path.Combine(_root, "data");

        // A private tmpdir: the bootstrap's temporary tables must not meet another instance's, or a /tmp cleaner.
        var tmp = Path.Combine(_root, "tmp");
        Directory.CreateDirectory(tmp);
        var install = await InstallAsync(installDb, data, tmp);
        if (install.ExitCode != 0)
        {
            // One retry on a fresh datadir: a bootstrap on a loaded machine has been seen to fail once and then pass.
            Directory.Delete(data, recursive: true);
            install = await InstallAsync(installDb, data, tmp);
        }
        if (install.ExitCode != 0) throw new InvalidOperationException($"mariadb-install-db failed ({install.ExitCode}): {install.Output}");
        _tmp = tmp;

        Port = ActorSync.Control.LocalPorts.Free();
        _mariadbd = mariadbd;
        _data = data;
        await StartAsync();
        await RootExecuteAsync($"CREATE USER '{User}'@'127.0.0.1' IDENTIFIED BY '{Password}'; GRANT ALL ON *.* TO '{User}'@'127.0.0.1'; FLUSH PRIVILEGES;");
    }

    private static Task<(int ExitCode, string Output)> InstallAsync(string installDb, string data, string tmp) =>
        RunAsync(installDb, $"--no-defaults --datadir={data} --tmpdir={tmp} --auth-root-authentication-method=normal --skip-test-db --user=root");

    /// <summary>Kills the server as a crash would (the datadir stays), and waits until it has exited.</summary>
    public async Task StopAsync()
    {
        if (_server is not { HasExited: false }) return;
        _server.Kill(entireProcessTree: true);
        await _server.WaitForExitAsync();
    }

    /// <summary>Starts (or restarts) the server on the same datadir and port, and waits until it answers.</summary>
    public async Task StartAsync()
    {
        _server?.Dispose();
        _server = Process.Start(new ProcessStartInfo(_mariadbd,
            $"--no-defaults --datadir={_data} --tmpdir={_tmp} --port={Port} --bind-address=127.0.0.1 --socket={Socket} --user=root " +
            (BinaryLog ? $"--log-bin={Path.Combine(_root, "binlog", "mariadb-bin")} --server-id=1 --binlog-format=ROW --binlog-row-image=FULL "
                : "--skip-log-bin ") + $"--innodb-buffer-pool-size=128M --innodb-log-file-size=64M --log-error={Path.Combine(_root, "error.log")} " +
            "--character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci") { RedirectStandardOutput = true, RedirectStandardError = true })!;
        // Its log goes to error.log; the few lines before that is open are drained here, not shown on our console.
        _server.OutputDataReceived += (_, _) => { };
        _server.ErrorDataReceived += (_, _) => { };
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();
        await RootExecuteAsync("SELECT 1");
    }

    private async Task RootExecuteAsync(string sql)
    {
        var root = new MySqlConnectionStringBuilder { Server = Socket, ConnectionProtocol = MySqlConnectionProtocol.UnixSocket, UserID = "root" }.ConnectionString;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                await using var connection = new MySqlConnection(root);
                await connection.OpenAsync();
                await using var command = connection.CreateCommand();
                command.CommandText = sql;
                await command.ExecuteNonQueryAsync();
                return;
            }
            catch (MySqlException) when (DateTime.UtcNow < deadline && _server is { HasExited: false })
            {
                await Task.Delay(200);
            }
            catch (MySqlException error)
            {
                var log = Path.Combine(_root, "error.log");
                throw new InvalidOperationException($"mariadbd did not start: {error.Message}\n{(File.Exists(log) ? File.ReadAllText(log) : "")}");
            }
        }
    }

    /// <summary>Creates a fresh database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        await using var connection = new MySqlConnection(ConnectionString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"DROP DATABASE IF EXISTS `{name}`; CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci";
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    public async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new MySqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is { HasExited: false })
        {
            _server.Kill(entireProcessTree: true);
            await _server.WaitForExitAsync();
        }
        _server?.Dispose();
        Scratch.TryDelete(_root);
    }

    private static string? Find(string name, string fallback)
    {
        if (File.Exists(fallback)) return fallback;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
            if (File.Exists(Path.Combine(dir, name))) return Path.Combine(dir, name);
        return null;
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await error);
    }
}
