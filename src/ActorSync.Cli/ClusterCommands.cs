using System.CommandLine;
using System.Diagnostics;
using ActorSync.Data;

namespace ActorSync.Cli;

/// <summary>`cluster up` and `cluster stop` (the local launcher), and the endpoint's membership commands.</summary>
public static class ClusterCommands
{
    public static readonly string[] DefaultEnvFiles = ["docker/cluster.env", "docker/.env"];

    public static Command Create()
    {
        var address = () => new Option<string>("-a", "--address") { Description = "a member address, akka.tcp://actorsync@host:port", Required = true };
        var leaveAddress = address();
        var downAddress = address();
        var count = new Option<int?>("--count") { Description = "stop after this many events" };
        return new Command("cluster", "The cluster: start it locally, or ask a member about its membership")
        {
            Up(),
            Stop(),
            RemoteCommands.Create("show", "Members, their status, roles and reachability", "cluster", "show"),
            RemoteCommands.Create("leader", "The current leader", "cluster", "leader"),
            RemoteCommands.Create("unreachable", "Members that cannot be reached", "cluster", "unreachable"),
            RemoteCommands.Create("leave", "The member at ADDR leaves the cluster gracefully", p => ["cluster", "leave", "-a", p.GetValue(leaveAddress)!], leaveAddress),
            RemoteCommands.Create("down", "Marks the member at ADDR down", p => ["cluster", "down", "-a", p.GetValue(downAddress)!], downAddress),
            RemoteCommands.Create("down-unreachable", "Marks every unreachable member down", "cluster", "down-unreachable"),
            RemoteCommands.Create("tail", "Streams membership events (Ctrl+C ends)",
                p => p.GetValue(count) is { } n ? ["cluster", "tail", "--count", n.ToString(System.Globalization.CultureInfo.InvariantCulture)] : ["cluster", "tail"], count),
        };
    }

    private static Command Up()
    {
        var mysql = DataOptions.MySql();
        var sourceSqlite = DataOptions.SourceSqlite();
        var dest = new Option<string?>("--dest") { Description = "Hub C's SQLite file (default: STATE/hubc.db)" };
        var envFiles = new Option<string[]>("--env-file") { Description = "KEY=VALUE settings files, later ones winning (default: docker/cluster.env, docker/.env where present)" };
        var state = RemoteCommands.StateOption();
        var nodes = new Option<int?>("--nodes", "-k") { Description = "K (ACTORSYNC_K)" };
        var redundancy = new Option<int?>("--redundancy", "-r") { Description = "r (ACTORSYNC_R)" };
        var eta = new Option<int?>("--eta") { Description = "η (ACTORSYNC_ETA)" };
        var scheme = new Option<string?>("--scheme") { Description = "leader or thesis-man (ACTORSYNC_SCHEME)" };
        var detach = new Option<bool>("--detach", "-d") { Description = "start in the background and return once the cluster has formed" };
        var timeout = new Option<int>("--timeout") { Description = "seconds to wait for the cluster to form", DefaultValueFactory = _ => 120 };
        var command = new Command("up", "Start the docker-compose topology as local processes, from the same environment files; Ctrl+C stops it")
        {
            mysql, sourceSqlite, dest, envFiles, state, nodes, redundancy, eta, scheme, detach, timeout,
        };
        command.SetAction(parse =>
        {
            var stateDirectory = parse.GetValue(state)!;
            if (parse.GetValue(detach)) return Detach(stateDirectory, parse.GetValue(timeout));
            try
            {
                var settings = new Dictionary<string, string>();
                void Set(string key, object? value) { if (value is not null) settings[key] = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!; }
                Set("ACTORSYNC_K", parse.GetValue(nodes));
                Set("ACTORSYNC_R", parse.GetValue(redundancy));
                Set("ACTORSYNC_ETA", parse.GetValue(eta));
                Set("ACTORSYNC_SCHEME", parse.GetValue(scheme));
                var files = parse.GetValue(envFiles) is { Length: > 0 } given ? given : DefaultEnvFiles.Where(File.Exists).ToArray();
                var options = new LocalCluster.Options(stateDirectory, DataOptions.RequireSource(parse, mysql, sourceSqlite), parse.GetValue(dest), files, settings);
                return RunForeground(options, TimeSpan.FromSeconds(parse.GetValue(timeout))).GetAwaiter().GetResult();
            }
            catch (Exception error) when (error is DataEdgeException or ArgumentException or FileNotFoundException or FormatException or InvalidOperationException or TimeoutException)
            {
                return CliErrors.Fail(error.Message);
            }
        });
        return command;
    }

    private static async Task<int> RunForeground(LocalCluster.Options options, TimeSpan timeout)
    {
        var stop = new TaskCompletionSource();
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; stop.TrySetResult(); });
        using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, c => { c.Cancel = true; stop.TrySetResult(); });
        Console.WriteLine($"starting a local cluster in {Path.GetFullPath(options.StateDirectory)} …");
        await using var cluster = await LocalCluster.StartAsync(options, line => Console.WriteLine(line), timeout);
        Console.WriteLine($"cluster up: {cluster.State().Members.Length} members, K = {cluster.Nodes}; orchestrator endpoint {cluster.OrchestratorEndpoint}");
        foreach (var m in cluster.State().Members)
            Console.WriteLine($"  {m.Name,-13} pid {m.Pid,-7} commands 127.0.0.1:{m.CommandPort,-5}  metrics http://127.0.0.1:{m.MetricsPort}/metrics  log {m.Log}");
        Console.WriteLine("ready. Commands such as `actorsync node list` find this cluster from its state; Ctrl+C stops it.");
        await stop.Task;
        Console.WriteLine("stopping: each member leaves the cluster …");
        return 0;
    }

    /// <summary>Runs `cluster up` again in the background, and returns once its state says ready.</summary>
    private static int Detach(string stateDirectory, int timeoutSeconds)
    {
        var args = Environment.GetCommandLineArgs().Skip(1).Where(a => a is not ("--detach" or "-d")).ToArray();
        Directory.CreateDirectory(stateDirectory);
        var log = Path.Combine(stateDirectory, "launcher.log");
        var start = new ProcessStartInfo("bash") { UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("exec setsid \"$0\" \"$@\" > \"$ACTORSYNC_LAUNCHER_LOG\" 2>&1 < /dev/null");
        start.ArgumentList.Add(Environment.ProcessPath!);
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") start.ArgumentList.Add(typeof(ClusterCommands).Assembly.Location);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment["ACTORSYNC_LAUNCHER_LOG"] = log;
        using var launcher = Process.Start(start)!;
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds + 30);
        while (DateTime.UtcNow < deadline)
        {
            if (LocalCluster.ReadState(stateDirectory) is { Ready: true } state)
            {
                Console.WriteLine($"cluster up in the background (launcher pid {state.LauncherPid}); `actorsync cluster stop` stops it. Log: {log}");
                return 0;
            }
            if (launcher.HasExited) return CliErrors.Fail($"the launcher exited early: {string.Join(" | ", File.ReadLines(log).TakeLast(3))}");
            Thread.Sleep(300);
        }
        return CliErrors.Fail($"the cluster did not report ready; see {log}");
    }

    private static Command Stop()
    {
        var state = RemoteCommands.StateOption();
        var command = new Command("stop", "Stop a local cluster started with `cluster up --detach`") { state };
        command.SetAction(parse =>
        {
            var directory = parse.GetValue(state)!;
            if (LocalCluster.ReadState(directory) is not { } running || !LocalCluster.IsAlive(running.LauncherPid))
                return CliErrors.Fail($"no local cluster runs from {Path.GetFullPath(directory)}.");
            LocalCluster.Signal(running.LauncherPid, LocalCluster.Sigterm);
            var deadline = DateTime.UtcNow.AddSeconds(90);
            while (LocalCluster.IsAlive(running.LauncherPid) && DateTime.UtcNow < deadline) Thread.Sleep(200);
            if (LocalCluster.IsAlive(running.LauncherPid)) return CliErrors.Fail($"the launcher (pid {running.LauncherPid}) is still stopping; see {directory}/launcher.log.");
            Console.WriteLine("local cluster stopped");
            return 0;
        });
        return command;
    }
}
