using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using ActorSync.Control;

namespace ActorSync.Cli;

/// <summary>
/// The docker-compose topology as local processes (`actorsync cluster up`, `actorsync-lab demo`): a seed, the
/// orchestrator, hub-b, hub-c and K nodes, each an actorsync-host process configured from the same environment files
/// as compose (docker/cluster.env, docker/.env) plus its own role, ports and data directory. Like compose's
/// `restart: on-failure`, a member that exits non-zero (a crash, kill -9) is started again. Its state (pids,
/// ports, token) is written to a JSON file so other commands and tests can find it.
/// </summary>
public sealed partial class LocalCluster : IAsyncDisposable
{
    public const string DefaultStateDirectory = ".actorsync";
    public const string StateFile = "cluster.json";

    public sealed record MemberState(string Name, string Role, int Node, int Pid, int AkkaPort, int CommandPort, int MetricsPort, string Log, int Restarts);

    public sealed record ClusterState(int LauncherPid, string Token, string ReadToken, string Destination, int Nodes, bool Ready, MemberState[] Members);

    /// <param name="Source">Hub B's source: MySQL, or a SQLite file standing in for it.</param>
    /// <param name="EnvFiles">KEY=VALUE files, later ones winning (docker/cluster.env, then docker/.env).</param>
    /// <param name="Settings">ACTORSYNC_* settings above the files, e.g. ACTORSYNC_K.</param>
    public sealed record Options(string StateDirectory, SourceChoice Source, string? Destination, IReadOnlyList<string> EnvFiles,
        IReadOnlyDictionary<string, string> Settings, string? HostDll = null);

    private sealed class Member(string name, string role, int node, int akkaPort, int commandPort, int metricsPort, string log)
    {
        public string Name { get; } = name;
        public string Role { get; } = role;
        public int Node { get; } = node;
        public int AkkaPort { get; } = akkaPort;
        public int CommandPort { get; } = commandPort;
        public int MetricsPort { get; } = metricsPort;
        public string Log { get; } = log;
        public Process? Process { get; set; }
        public int Restarts { get; set; }
        public Task? Watch { get; set; }
    }

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
    private readonly Options _options;
    private readonly Action<string> _say;
    private readonly List<Member> _members = [];
    private readonly Dictionary<string, string> _environment;
    private readonly string _hostDll;
    private readonly CancellationTokenSource _stopping = new();
    private readonly object _gate = new();
    private readonly Dictionary<string, Dictionary<string, string>> _overrides = new();
    private int _seedPort;

    public string Token { get; }
    public string ReadToken { get; }
    public string Destination { get; }
    public int Nodes { get; }
    public string StateDirectory => _options.StateDirectory;
    public string HostDll => _hostDll;
    public string OrchestratorEndpoint => $"127.0.0.1:{_members.Single(m => m.Role == "orchestrator").CommandPort}";

    private LocalCluster(Options options, Action<string> say)
    {
        _options = options;
        _say = say;
        _environment = ReadEnvironment(options);
        Token = TokenOrNew("ACTORSYNC_TOKEN");
        ReadToken = TokenOrNew("ACTORSYNC_READ_TOKEN");
        Nodes = _environment.TryGetValue("ACTORSYNC_K", out var k) && int.TryParse(k, out int nodes) ? nodes : 4;
        if (Nodes is < 2 or > 16) throw new ArgumentException($"ACTORSYNC_K = {Nodes}: K must be 2 to 16.");
        Destination = Path.GetFullPath(options.Destination ?? Path.Combine(options.StateDirectory, "hubc.db"));
        _hostDll = options.HostDll ?? DefaultHostDll;
        if (!File.Exists(_hostDll)) throw new FileNotFoundException($"the member host {_hostDll} is missing; build the solution first (dotnet build -c Release).");
    }

    /// <summary>
    /// The member host beside this program: the precompiled member image (member/, made by the build) when there is one,
    /// else the plain actorsync-host.dll.
    /// </summary>
    public static string DefaultHostDll
    {
        get
        {
            var image = Path.Combine(AppContext.BaseDirectory, "member", "actorsync-host.dll");
            return File.Exists(image) ? image : Path.Combine(AppContext.BaseDirectory, "actorsync-host.dll");
        }
    }

    /// <summary>The token the settings give, or a new random one (48 hex characters).</summary>
    private string TokenOrNew(string variable) =>
        _environment.TryGetValue(variable, out var token) && token.Length > 0 ? token : Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    /// <summary>Starts every member and waits until the cluster has formed and every node has registered.</summary>
    public static async Task<LocalCluster> StartAsync(Options options, Action<string> say, TimeSpan formTimeout, CancellationToken cancellation = default)
    {
        if (ReadState(options.StateDirectory) is { } running && IsAlive(running.LauncherPid))
            throw new InvalidOperationException($"a local cluster already runs from {Path.GetFullPath(options.StateDirectory)} (launcher pid {running.LauncherPid}); " +
                "`actorsync cluster stop` stops it.");
        Directory.CreateDirectory(Path.Combine(options.StateDirectory, "logs"));
        var cluster = new LocalCluster(options, say);
        lock (Live) Live.Add(cluster);
        try
        {
            cluster.Launch();
            await cluster.WaitFormedAsync(formTimeout, cancellation);
            cluster.WriteState(ready: true);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private void Launch()
    {
        int seedPort = _seedPort = LocalPorts.Free();
        string logs = Path.Combine(_options.StateDirectory, "logs");
        _members.Add(new Member("seed", "seed", 0, seedPort, LocalPorts.Free(), LocalPorts.Free(), Path.Combine(logs, "seed.log")));
        foreach (var role in new[] { "orchestrator", "hub-b", "hub-c" })
            _members.Add(new Member(role, role, 0, 0, LocalPorts.Free(), LocalPorts.Free(), Path.Combine(logs, role + ".log")));
        for (int node = 1; node <= Nodes; node++)
            _members.Add(new Member($"node-{node}", "node", node, 0, LocalPorts.Free(), LocalPorts.Free(), Path.Combine(logs, $"node-{node}.log")));
        foreach (var member in _members) Start(member, seedPort);
        WriteState(ready: false);
    }

    private void Start(Member member, int seedPort)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(_hostDll);
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("ACTORSYNC", StringComparison.Ordinal)).ToArray()) start.Environment.Remove(key);
        // Each member gets ActorSync's settings only: the files may hold other services' secrets (MariaDB's passwords).
        foreach (var (key, value) in _environment.Where(e => e.Key.StartsWith("ACTORSYNC_", StringComparison.Ordinal))) start.Environment[key] = value;
        var own = new Dictionary<string, string>
        {
            ["ACTORSYNC_ROLE"] = member.Role,
            ["ACTORSYNC_NODE"] = member.Node.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["ACTORSYNC_HOSTNAME"] = "127.0.0.1",
            ["ACTORSYNC_PORT"] = member.AkkaPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["ACTORSYNC_SEEDS"] = $"akka.tcp://actorsync@127.0.0.1:{seedPort}",
            ["ACTORSYNC_COMMAND_HOST"] = "127.0.0.1",
            ["ACTORSYNC_COMMAND_PORT"] = member.CommandPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["ACTORSYNC_METRICS_HOST"] = "127.0.0.1",
            ["ACTORSYNC_METRICS_PORT"] = member.MetricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["ACTORSYNC_TOKEN"] = Token,
            ["ACTORSYNC_READ_TOKEN"] = ReadToken,
            ["ACTORSYNC_DATA_DIR"] = Path.GetFullPath(Path.Combine(_options.StateDirectory, "data", member.Name)),
            ["ACTORSYNC_SQLITE"] = Destination,
        };
        foreach (var (key, value) in own.Concat(_options.Source.Variables)) start.Environment[key] = value;
        // W^X (write-xor-execute pages for generated code) cost members a quarter of their CPU in a 1M-row sync
        // (docs/EVALUATION.md); the image turns it off too. An operator's own DOTNET_EnableWriteXorExecute wins.
        if (!start.Environment.ContainsKey("DOTNET_EnableWriteXorExecute")) start.Environment["DOTNET_EnableWriteXorExecute"] = "0";
        lock (_gate)
            if (_overrides.TryGetValue(member.Name, out var extra))
                foreach (var (key, value) in extra) start.Environment[key] = value;

        var log = new StreamWriter(member.Log, append: true) { AutoFlush = true };
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Append(log, e.Data);
        process.ErrorDataReceived += (_, e) => Append(log, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        lock (_gate) member.Process = process;
        member.Watch = WatchAsync(member, process, log, seedPort);
    }

    private static void Append(StreamWriter log, string? line)
    {
        if (line is null) return;
        try
        {
            lock (log) log.WriteLine(line);
        }
        catch (ObjectDisposedException)
        {
            // a last line after the member's exit was recorded: nothing to keep it in
        }
    }

    /// <summary>restart: on-failure. A member that exits non-zero while the cluster is up is started again.</summary>
    private async Task WatchAsync(Member member, Process process, StreamWriter log, int seedPort)
    {
        await process.WaitForExitAsync();
        int code = process.ExitCode;
        lock (log) log.WriteLine($"# actorsync launcher: {member.Name} (pid {process.Id}) exited with code {code}");
        await Task.Delay(100); // let the output handlers drain before the writer closes
        lock (log) log.Dispose();
        if (_stopping.IsCancellationRequested || code == 0) return;
        if (code == 2)
        {
            _say($"{member.Name} refused to start (exit 2): see {member.Log}");
            return;
        }
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(1), _stopping.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        member.Restarts++;
        _say($"{member.Name} exited with code {code}; restarting it (restart {member.Restarts}, on-failure)");
        Start(member, seedPort);
        WriteState(ready: true);
    }

    /// <summary>A setting for the member's next start only (chaos tests, e.g. a node armed with packet faults); null removes it.</summary>
    public void OverrideNextStart(string name, string variable, string? value)
    {
        lock (_gate)
        {
            var extra = _overrides.TryGetValue(name, out var existing) ? existing : _overrides[name] = new();
            if (value is null) extra.Remove(variable);
            else extra[variable] = value;
        }
    }

    /// <summary>A graceful restart (SIGTERM: the member leaves the cluster), then the member is started again.</summary>
    public async Task RestartAsync(string name, TimeSpan grace)
    {
        var member = _members.Single(m => m.Name == name);
        Process? process;
        lock (_gate) process = member.Process;
        if (process is not null && !process.HasExited)
        {
            Signal(process.Id, Sigterm);
            using var timeout = new CancellationTokenSource(grace);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        if (member.Watch is not null) await member.Watch;
        if (_stopping.IsCancellationRequested) return;
        lock (_gate)
            if (member.Process != process) return; // the on-failure watcher already started it again
        member.Restarts++;
        _say($"{name} restarted (graceful, restart {member.Restarts})");
        Start(member, _seedPort);
        WriteState(ready: true);
    }

    /// <summary>The member's command endpoint, host:port.</summary>
    public string EndpointOf(string name) => $"127.0.0.1:{_members.Single(m => m.Name == name).CommandPort}";

    public IReadOnlyList<string> MemberNames => _members.Select(m => m.Name).ToArray();

    /// <summary>The pid of a member's current process (for fault tests).</summary>
    public int PidOf(string name)
    {
        lock (_gate) return _members.Single(m => m.Name == name).Process?.Id ?? 0;
    }

    /// <summary>
    /// Waits until every member is Up, no earlier incarnation of a member is still listed (a killed one leaves only
    /// once it is downed and removed), every node and both hubs have registered with the orchestrator, and the node
    /// members are exactly the registered nodes' addresses: in the seconds before a killed node is even seen as
    /// unreachable, its restarted incarnation may have registered while the old one still looks Up.
    /// </summary>
    public async Task WaitFormedAsync(TimeSpan timeout, CancellationToken cancellation = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        string last = "no answer from the orchestrator's command endpoint yet";
        while (DateTime.UtcNow < deadline)
        {
            cancellation.ThrowIfCancellationRequested();
            var exited = _members.FirstOrDefault(m => m.Process is { HasExited: true, ExitCode: 2 });
            if (exited is not null)
                throw new InvalidOperationException($"{exited.Name} refused to start: {Tail(exited.Log)}");
            try
            {
                var members = (await DocumentAsync(["cluster", "show"], cancellation)).GetProperty("members").EnumerateArray().ToArray();
                int up = members.Count(m => m.GetProperty("status").GetString() == "Up" && m.GetProperty("reachable").GetBoolean());
                int listed = members.Length;
                last = $"{up} of {_members.Count} members up" + (listed > _members.Count ? $", {listed - _members.Count} earlier incarnation(s) not yet removed" : "");
                if (up == _members.Count && listed == _members.Count)
                {
                    var nodes = (await DocumentAsync(["node", "list"], cancellation)).GetProperty("nodes").EnumerateArray().ToArray();
                    static bool Alive(JsonElement node) => node.GetProperty("state").GetString() == "alive";
                    int alive = nodes.Count(Alive);
                    var missing = nodes.Where(n => !Alive(n)).Select(n => $"{n.GetProperty("node").GetString()} {n.GetProperty("state").GetString()}");
                    last = $"all members up; {alive} of {Nodes} nodes registered and answering ({string.Join(", ", missing)})";
                    var registered = nodes.Where(Alive).Select(n => n.GetProperty("address").GetString()).ToHashSet(StringComparer.Ordinal);
                    var stale = members.Where(m => m.GetProperty("roles").EnumerateArray().Any(r => r.GetString() == "node") && !registered.Contains(m.GetProperty("address").GetString()))
                        .Select(m => m.GetProperty("address").GetString()).ToList();
                    if (alive == Nodes && stale.Count > 0)
                        last = $"all members up, all nodes registered; node member(s) {string.Join(", ", stale)} are earlier incarnations not yet seen as gone";
                    else if (alive == Nodes)
                    {
                        // A sync started before hub-b registered would fail at once ("no source hub has registered").
                        var hubs = (await DocumentAsync(["db", "status"], cancellation)).GetProperty("databases").EnumerateArray();
                        var absent = hubs.Where(h => h.GetProperty("health").GetString() is "hubNotAnswering" or "hubNotRegistered")
                            .Select(h => $"{h.GetProperty("hub").GetString()} {h.GetProperty("health").GetString()}").ToList();
                        last = $"all members up, all nodes registered; {string.Join(", ", absent)}";
                        if (absent.Count == 0) return;
                    }
                }
            }
            catch (Exception error) when (error is IOException or SocketException or InvalidOperationException)
            {
                last = error.Message;
            }
            await Task.Delay(500, cancellation);
        }
        throw new TimeoutException($"the local cluster did not form within {timeout.TotalSeconds:0} s: {last}. Logs: {Path.GetFullPath(Path.Combine(_options.StateDirectory, "logs"))}");
    }

    /// <summary>
    /// Runs one endpoint command at the orchestrator and returns its document (the `--json` answer; README, "JSON
    /// replies"). Throws the command's error, or if it answers with no document.
    /// </summary>
    public async Task<JsonElement> DocumentAsync(string[] words, CancellationToken cancellation = default)
    {
        await using var client = await CommandClient.ConnectAsync(OrchestratorEndpoint, Token, TimeSpan.FromSeconds(3), cancellation);
        JsonElement? document = null;
        await foreach (var reply in client.RunAsync([.. words, "--json"], cancellation))
        {
            if (reply.Kind == ReplyKind.Error) throw new InvalidOperationException(reply.Text);
            if (reply.Kind == ReplyKind.Data) document = reply.Data;
        }
        return document ?? throw new InvalidOperationException($"`{string.Join(' ', words)}` answered with no document.");
    }

    /// <summary>
    /// Runs one endpoint command at the orchestrator and returns its first table, or the one titled
    /// <paramref name="title"/>; an empty table if there is none. Throws the command's error.
    /// </summary>
    public async Task<Reply> QueryAsync(string[] words, CancellationToken cancellation = default, string? title = null)
    {
        await using var client = await CommandClient.ConnectAsync(OrchestratorEndpoint, Token, TimeSpan.FromSeconds(3), cancellation);
        Reply? table = null;
        await foreach (var reply in client.RunAsync(words, cancellation))
        {
            if (reply.Kind == ReplyKind.Error) throw new InvalidOperationException(reply.Text);
            table ??= reply.Kind == ReplyKind.Table && (title is null || reply.Text == title) ? reply : null;
        }
        return table ?? new Reply(ReplyKind.Table, Rows: []);
    }

    public ClusterState State()
    {
        lock (_gate)
            return new ClusterState(Environment.ProcessId, Token, ReadToken, Destination, Nodes, false, _members.Select(m => new MemberState(m.Name, m.Role, m.Node,
                m.Process?.Id ?? 0, m.AkkaPort, m.CommandPort, m.MetricsPort, Path.GetFullPath(m.Log), m.Restarts)).ToArray());
    }

    private void WriteState(bool ready)
    {
        var path = Path.Combine(_options.StateDirectory, StateFile);
        var temp = path + ".tmp";
        lock (_gate)
        {
            // It holds the command token: readable by its owner only, from its first byte.
            File.Delete(temp);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using (var file = new FileStream(temp, options)) JsonSerializer.Serialize(file, State() with { Ready = ready }, Json);
            File.Move(temp, path, overwrite: true);
        }
    }

    public static ClusterState? ReadState(string stateDirectory)
    {
        var path = Path.Combine(stateDirectory, StateFile);
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<ClusterState>(File.ReadAllText(path), Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static readonly List<LocalCluster> Live = [];
    private static PosixSignalRegistration[]? _interrupts;

    /// <summary>
    /// For `demo` and `eval`: Ctrl+C or SIGTERM kills the members of every cluster this process started, then the
    /// process ends as it would have. (`cluster up` handles the signals itself and stops its members gracefully.)
    /// </summary>
    public static void KillMembersOnInterrupt()
    {
        lock (Live)
            _interrupts ??= [PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupted), PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupted)];
    }

    private static void Interrupted(PosixSignalContext context)
    {
        LocalCluster[] clusters;
        lock (Live) clusters = [.. Live];
        foreach (var cluster in clusters) cluster.KillMembers();
    }

    private void KillMembers()
    {
        if (_stopping.IsCancellationRequested) return;
        _stopping.Cancel();
        lock (_gate)
            foreach (var process in _members.Select(m => m.Process).OfType<Process>().Where(p => !p.HasExited))
                Signal(process.Id, Sigkill);
    }

    /// <summary>Stops every member gracefully (SIGTERM: each leaves the cluster), nodes first, killing any that overstays.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested) return;
        lock (Live) Live.Remove(this);
        await _stopping.CancelAsync();
        foreach (var group in new[] { new[] { "node" }, ["hub-b", "hub-c"], ["orchestrator"], ["seed"] })
        {
            Process[] processes;
            lock (_gate) processes = _members.Where(m => group.Contains(m.Role)).Select(m => m.Process).OfType<Process>().Where(p => !p.HasExited).ToArray();
            foreach (var process in processes) Signal(process.Id, Sigterm);
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            foreach (var process in processes)
            {
                try
                {
                    await process.WaitForExitAsync(grace.Token);
                }
                catch (OperationCanceledException)
                {
                    process.Kill(entireProcessTree: true);
                }
            }
        }
        foreach (var member in _members.Where(m => m.Watch is not null)) await member.Watch!;
        var state = Path.Combine(_options.StateDirectory, StateFile);
        if (File.Exists(state)) File.Delete(state);
        _stopping.Dispose();
    }

    public const int Sigterm = 15;
    public const int Sigkill = 9;
    /// <summary>SIGSTOP and SIGCONT (Linux numbers): a frozen member neither sends nor answers, as if cut off.</summary>
    public const int Sigstop = 19;
    public const int Sigcont = 18;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SysKill(int pid, int signal);

    /// <summary>Sends a POSIX signal (SIGTERM for a graceful stop, SIGKILL for a crash).</summary>
    public static bool Signal(int pid, int signal) => pid > 0 && SysKill(pid, signal) == 0;

    public static bool IsAlive(int pid)
    {
        if (pid <= 0) return false;
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static Dictionary<string, string> ReadEnvironment(Options options)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in options.EnvFiles)
        {
            if (!File.Exists(file)) throw new FileNotFoundException($"environment file {file} does not exist.");
            int number = 0;
            foreach (var raw in File.ReadLines(file))
            {
                number++;
                var line = raw.Trim();
                if (line.Length == 0 || line.StartsWith('#')) continue;
                int equals = line.IndexOf('=');
                if (equals <= 0) throw new FormatException($"{file}:{number}: '{line}' is not KEY=VALUE.");
                values[line[..equals].Trim()] = line[(equals + 1)..].Trim().Trim('"');
            }
        }
        foreach (var (key, value) in options.Settings) values[key] = value;
        return values;
    }

    private static string Tail(string log) =>
        File.Exists(log) ? string.Join(" | ", File.ReadLines(log).TakeLast(3)) : "(no log)";
}
