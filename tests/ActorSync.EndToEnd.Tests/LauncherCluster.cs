using System.Diagnostics;
using ActorSync.Cli;
using ActorSync.Data.MySql;
using ActorSync.Tooling;

namespace ActorSync.EndToEnd.Tests;

/// <summary>
/// A real MariaDB with the bank data, and `actorsync cluster up` running as its own process: the launcher starts
/// the seed, orchestrator, hub-b, hub-c and four nodes as separate actorsync-host processes. Disposing sends the
/// launcher SIGTERM, which stops every member gracefully.
/// </summary>
public class LauncherCluster : IAsyncLifetime
{
    private MariaDbServer? _server;
    private Process? _launcher;
    private readonly List<string> _output = [];

    public TempDirectory Temp { get; } = new();
    public string StateDirectory => Temp.Path;
    public string MySql { get; private set; } = "";

    /// <summary>Whether the source writes a ROW binlog (continuous sync tests).</summary>
    protected virtual bool BinaryLog => false;

    public MariaDbServer MariaDb => _server ?? throw new InvalidOperationException("the cluster has not started.");

    public async Task InitializeAsync()
    {
        _server = BinaryLog ? new BinlogMariaDbServer() : new MariaDbServer();
        await _server.InitializeAsync();
        MySql = await _server.CreateDatabaseAsync("bank");
        await BankSeeder.SeedAsync(new MySqlSource(MySql), "bank", BankRow.ReadCsv(RepoData.File("bank.csv")), replace: true);

        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("ACTORSYNC", StringComparison.Ordinal)).ToArray()) start.Environment.Remove(key);
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "actorsync.dll"), "cluster", "up", "--state-dir", StateDirectory, "--mysql", MySql,
                     "--env-file", Path.Combine(RepoRoot(), "docker", "cluster.env") })
            start.ArgumentList.Add(arg);
        foreach (var file in await ExtraEnvFilesAsync())
        {
            start.ArgumentList.Add("--env-file");
            start.ArgumentList.Add(file);
        }
        _launcher = Process.Start(start)!;
        _launcher.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.Add(e.Data); };
        _launcher.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.Add(e.Data); };
        _launcher.BeginOutputReadLine();
        _launcher.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (LocalCluster.ReadState(StateDirectory) is not { Ready: true })
        {
            if (_launcher.HasExited || DateTime.UtcNow > deadline)
                throw new InvalidOperationException($"the launcher did not report ready:\n{Output()}");
            await Task.Delay(250);
        }
    }

    /// <summary>More KEY=VALUE files for the launcher, after docker/cluster.env.</summary>
    protected virtual Task<IReadOnlyList<string>> ExtraEnvFilesAsync() => Task.FromResult<IReadOnlyList<string>>([]);

    public LocalCluster.ClusterState State() =>
        LocalCluster.ReadState(StateDirectory) ?? throw new InvalidOperationException($"the launcher's state is gone:\n{Output()}");

    public string Output()
    {
        lock (_output) return string.Join('\n', _output);
    }

    /// <summary>Runs the CLI against this cluster (it finds the endpoint and token from the state directory).</summary>
    public CliRunner.Result Cli(params string[] args) => CliRunner.Run(TimeSpan.FromMinutes(3), [.. args, "--state-dir", StateDirectory]);

    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ActorSync.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"ActorSync.sln not found above {AppContext.BaseDirectory}");
    }

    public virtual async Task DisposeAsync()
    {
        if (_launcher is { HasExited: false })
        {
            LocalCluster.Signal(_launcher.Id, LocalCluster.Sigterm);
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            try
            {
                await _launcher.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                _launcher.Kill(entireProcessTree: true);
            }
        }
        _launcher?.Dispose();
        if (_server is not null) await _server.DisposeAsync();
        Temp.Dispose();
    }
}
