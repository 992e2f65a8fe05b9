using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using ActorSync.Cli;
using ActorSync.Cluster.Protocol;
using ActorSync.Control;
using ActorSync.Data.Schema;
using ActorSync.Data.Sqlite;
using ActorSync.Data.Verify;
using ActorSync.Tooling;
using MySqlConnector;

namespace ActorSync.Lab;

/// <summary>What one chaos cell did: the faulted cycle's outcome, rows lost at the end, and the time to a verified sync.</summary>
public sealed record ChaosResult(ChaosScenario Scenario, string Outcome, long RowsLost, double RecoverySeconds, string FaultedCycle, string Detail)
{
    /// <summary>A cell passes when nothing was lost and the destination ended equal to the source, or the input was refused cleanly.</summary>
    public bool Passed => RowsLost == 0 && Outcome is "verified" or "refused";
}

/// <summary>
/// Runs chaos cells against a local multi-process cluster. Each cell changes the data first (rows at the source, or
/// at Hub C for reverse sync), starts a cycle, fires its fault when the cycle reaches the phase, checks that Hub C was
/// left either as it was or complete (nothing half-applied), heals (restarted members, the source back, the node
/// thawed), syncs until verified, and counts the rows lost against the live source.
/// </summary>
public sealed class ChaosRunner(LocalCluster cluster, LocalSource source, IReadOnlyList<TableSchema> tables, int seed, Action<string> say)
{
    private static readonly TimeSpan PartitionHold = TimeSpan.FromSeconds(8);
    private readonly Random _random = new(seed);
    private int _cell;

    public async Task<ChaosResult> RunAsync(ChaosScenario scenario)
    {
        _cell++;
        try
        {
            return scenario.Phase switch
            {
                "operator" => await OperatorAsync(scenario),
                "follow" => await FollowAsync(scenario),
                _ => await FaultAsync(scenario),
            };
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            // The harness itself could not go on (e.g. the cluster never healed): a failure, never a pass. Undo what
            // a fault may have left (a frozen member, the source away) so the next cell starts whole.
            foreach (var member in cluster.MemberNames) LocalCluster.Signal(cluster.PidOf(member), LocalCluster.Sigcont);
            await source.StartAsync();
            return new ChaosResult(scenario, "harness error", 0, 0, "", Short(error.Message));
        }
    }

    // ---- process and packet faults ---------------------------------------------------------------------------

    private sealed class Fired
    {
        public Stopwatch? Clock { get; set; }
        public string Victim { get; set; } = "";
        /// <summary>Members the fault itself stops or restarts; any other member that exits is a failure of the cell.</summary>
        public HashSet<string> Victims { get; } = [];
        public bool SourceStopped { get; set; }
        public int FrozenPid { get; set; }
        public Task Action { get; set; } = Task.CompletedTask;
    }

    private async Task<ChaosResult> FaultAsync(ChaosScenario scenario)
    {
        var nodes = NodeNames();
        string victim = nodes[_random.Next(nodes.Length)];
        bool reverse = scenario.Phase == "reverse";
        var reverseEdits = reverse ? EditDestination() : [];
        if (!reverse) await source.ExecuteAsync($"UPDATE bank SET balance = balance + 1 WHERE id % 97 = {_cell % 97}");
        var fired = new Fired();
        string faulted;
        int damagedBefore = 0; // a restarted node counts from 0
        // Whole states of Hub C: as it was, or equal to the source (after a forward change; or, for reverse, the
        // source before it took Hub C's edits, which would be a loss that ReverseEditsLost counts).
        string? before = DestinationDigest();
        string? expected = await SourceDigestAsync();
        var restartsBefore = cluster.State().Members.ToDictionary(m => m.Name, m => m.Restarts);

        if (scenario.Phase == "recovery") faulted = await RecoveryCellAsync(scenario, victim, fired);
        else
        {
            if (ChaosMatrix.PacketFaults.ContainsKey(scenario.Fault) && scenario.Fault != "unknown-message")
                damagedBefore = await ArmAsync(victim, scenario.Fault, ChaosMatrix.PacketKind(scenario.Phase)!);
            faulted = await CycleWithFaultAsync(scenario, victim, fired, reverse);
        }
        await fired.Action;

        // Nothing half-applied: right after the faulted cycle Hub C is as it was, or equal to the new data.
        string? after = DestinationDigest();
        bool whole = after == before || after == expected;
        string damaged = ChaosMatrix.PacketFaults.ContainsKey(scenario.Fault) && scenario.Fault != "unknown-message"
            ? await DamagedAsync(fired.Victim.Length > 0 ? fired.Victim : victim, damagedBefore) : "";

        await HealAsync(fired);
        var (verified, attempts) = await SyncUntilVerifiedAsync(reverse);
        double seconds = fired.Clock?.Elapsed.TotalSeconds ?? 0;
        long lost = await RowsLostAsync() + ReverseEditsLost(reverseEdits);
        // Losing the faulted members must cost no other: a bystander that exited (e.g. downed by the split-brain
        // resolver) fails the cell even if the data came through.
        var bystanders = cluster.State().Members.Where(m => m.Restarts > restartsBefore.GetValueOrDefault(m.Name) && !fired.Victims.Contains(m.Name))
            .Select(m => m.Name).ToArray();
        string outcome = !whole ? "HALF-APPLIED" : lost > 0 ? "LOSS" : bystanders.Length > 0 ? "MEMBER EXITED" : verified ? "verified" : "not verified";
        string detail = $"{Describe(scenario)} at {fired.Victim}{damaged}; {attempts} sync(s) to verify" +
                        (bystanders.Length > 0 ? $"; also exited: {string.Join(", ", bystanders)}" : "");
        return new ChaosResult(scenario, outcome, lost, Math.Round(seconds, 1), faulted, detail);
    }

    /// <summary>The follow phase: continuous sync runs while the source takes writes, the fault strikes mid-stream, and every committed change must arrive.</summary>
    private async Task<ChaosResult> FollowAsync(ChaosScenario scenario)
    {
        var nodes = NodeNames();
        string victim = nodes[_random.Next(nodes.Length)];
        var fired = new Fired();
        var restartsBefore = cluster.State().Members.ToDictionary(m => m.Name, m => m.Restarts);
        var (committed, seconds, detail) = await new FollowFault(cluster, source, say).RunAsync(
            () => FireAsync(scenario.Fault, victim, fired), () => HealAsync(fired), RowsLostAsync);
        long lost = await RowsLostAsync();
        var bystanders = cluster.State().Members.Where(m => m.Restarts > restartsBefore.GetValueOrDefault(m.Name) && !fired.Victims.Contains(m.Name))
            .Select(m => m.Name).ToArray();
        string outcome = lost > 0 ? "LOSS" : bystanders.Length > 0 ? "MEMBER EXITED" : "verified";
        return new ChaosResult(scenario, outcome, lost, Math.Round(seconds, 1), $"followed {committed} committed change(s)",
            $"{Describe(scenario)} at {fired.Victim} mid-stream; SQLite equal to the source {Seconds(seconds)} s after the heal" +
            (detail.Length > 0 ? $"; {detail}" : "") + (bystanders.Length > 0 ? $"; also exited: {string.Join(", ", bystanders)}" : ""));
    }

    /// <summary>Starts a sync and fires the fault when its progress reaches the phase; returns how the cycle ended.</summary>
    private async Task<string> CycleWithFaultAsync(ChaosScenario scenario, string victim, Fired fired, bool reverse)
    {
        string marker = scenario.Phase switch
        {
            "placement" => "placement",
            "delivery" => "delivery (",
            "apply" => "apply at",
            _ => "reverse sync",
        };
        bool packetFault = ChaosMatrix.PacketFaults.ContainsKey(scenario.Fault) && scenario.Fault != "unknown-message";
        if (packetFault)
        {
            fired.Victim = victim;
            fired.Clock = Stopwatch.StartNew();
        }
        string ending = "no summary";
        // Progress shows whichever cycle runs; ours is a sync started after the last finished one.
        int finished = await ClusterScenarios.LastCycleAsync(cluster);
        bool Ours(string text) =>
            System.Text.RegularExpressions.Regex.Match(text, @"^cycle (\d+) \((sync|recovery)\)") is { Success: true } match &&
            int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) > finished;
        try
        {
            await using var client = await CommandClient.ConnectAsync(cluster.OrchestratorEndpoint, cluster.Token, TimeSpan.FromSeconds(5));
            string[] words = reverse ? ["sync", "start", "--bidirectional"] : ["sync", "start"];
            await foreach (var reply in client.RunAsync(words))
            {
                if (!packetFault && fired.Clock is null && reply.Kind == ReplyKind.Progress && reply.Text is { } text &&
                    text.Contains(marker, StringComparison.Ordinal) && Ours(text))
                    fired.Action = FireAsync(scenario.Fault, victim, fired);
                if (reply.Kind is ReplyKind.Text or ReplyKind.Error) ending = reply.Text ?? ending;
            }
        }
        catch (Exception error) when (error is IOException or System.Net.Sockets.SocketException or InvalidOperationException or TimeoutException)
        {
            ending = $"interrupted: {error.Message}";
        }
        if (fired.Clock is null)
        {
            ending += " (the phase was not reached: fault fired after the cycle)";
            fired.Action = FireAsync(scenario.Fault, victim, fired);
        }
        return Short(ending.Split(';')[0]);
    }

    /// <summary>
    /// Recovery: the source stops, so the cluster switches to recovery; the victim is killed and restarts from its
    /// journal without the batches it had decoded, so peer recovery rebuilds them by RLNC. The fault hits that cycle.
    /// </summary>
    private async Task<string> RecoveryCellAsync(ChaosScenario scenario, string victim, Fired fired)
    {
        var synced = await SyncRunner.StartAsync(cluster, render: false);
        if (!synced.Verified) throw new InvalidOperationException($"the sync before the recovery cell did not verify: {synced.Summary}");
        int cycle = await ClusterScenarios.LastCycleAsync(cluster);
        await source.StopAsync();
        fired.SourceStopped = true;
        await ClusterScenarios.AwaitModeAsync(cluster, Modes.Recovery);
        await ClusterScenarios.AwaitCycleAsync(cluster, cycle, CycleKinds.Recovery);

        bool packetFault = ChaosMatrix.PacketFaults.ContainsKey(scenario.Fault) && scenario.Fault != "unknown-message";
        if (packetFault) cluster.OverrideNextStart(victim, "ACTORSYNC_CHAOS_ARM", $"{scenario.Fault}:2:rlnc");
        cycle = await ClusterScenarios.LastCycleAsync(cluster);
        fired.Victims.Add(victim);
        await ClusterScenarios.CrashAsync(cluster, victim, wipeJournal: false, _ => { });
        cluster.OverrideNextStart(victim, "ACTORSYNC_CHAOS_ARM", null);
        if (packetFault)
        {
            fired.Victim = victim;
            fired.Clock = Stopwatch.StartNew();
        }
        else
        {
            // Another member than the one being rebuilt takes the fault, while the rebuild runs.
            var others = NodeNames(except: victim);
            fired.Action = FireAsync(scenario.Fault, others[_random.Next(others.Length)], fired);
        }
        try
        {
            var recovery = await ClusterScenarios.AwaitCycleAsync(cluster, cycle, CycleKinds.Recovery);
            return $"recovery cycle {recovery.Cycle}: {recovery.Outcome}";
        }
        catch (Exception error) when (error is InvalidOperationException or TimeoutException or IOException)
        {
            return Short(error.Message);
        }
    }

    private Task FireAsync(string fault, string node, Fired fired)
    {
        fired.Clock = Stopwatch.StartNew();
        if (ChaosMatrix.NeedsWideCluster(fault)) return KillTogetherAsync(fault, node, fired);
        fired.Victim = fault switch
        {
            "kill-hub-b" => "hub-b",
            "kill-hub-c" => "hub-c",
            "kill-orchestrator" => "orchestrator",
            "stop-source" => "the source",
            _ => node,
        };
        fired.Victims.Add(fired.Victim);
        say($"  fault: {fault} at {fired.Victim}");
        switch (fault)
        {
            case "kill-node" or "kill-hub-b" or "kill-hub-c" or "kill-orchestrator":
                LocalCluster.Signal(cluster.PidOf(fired.Victim), LocalCluster.Sigkill);
                return Task.CompletedTask;
            case "stop-source":
                fired.SourceStopped = true;
                return source.StopAsync();
            case "partition-node":
                fired.FrozenPid = cluster.PidOf(node);
                LocalCluster.Signal(fired.FrozenPid, LocalCluster.Sigstop);
                return Task.CompletedTask;
            case "restart-node":
                return cluster.RestartAsync(node, TimeSpan.FromSeconds(20));
            case "unknown-message":
                return QueryAtAsync(node, ["fault", "inject", "unknown-message", "--count", "3"]);
            default:
                return Task.CompletedTask; // packet faults were armed before the cycle
        }
    }

    /// <summary>Two members killed with -9, together or a set time apart: two nodes, or a node and the orchestrator.</summary>
    private async Task KillTogetherAsync(string fault, string node, Fired fired)
    {
        var others = NodeNames(except: node);
        string second = fault == "kill-node-and-orchestrator" ? "orchestrator" : others[_random.Next(others.Length)];
        var apart = ChaosMatrix.SecondKillAfter(fault);
        fired.Victim = $"{node}+{second}";
        fired.Victims.UnionWith([node, second]);
        int firstPid = cluster.PidOf(node), secondPid = cluster.PidOf(second);
        say($"  fault: {fault} at {node} and, {apart.TotalSeconds:0.#} s later, {second}");
        LocalCluster.Signal(firstPid, LocalCluster.Sigkill);
        if (apart > TimeSpan.Zero) await Task.Delay(apart);
        LocalCluster.Signal(secondPid, LocalCluster.Sigkill);
    }

    /// <summary>Thaws a frozen node after the hold, brings the source back, and waits until every member is up and the mode is normal.</summary>
    private async Task HealAsync(Fired fired)
    {
        if (fired.FrozenPid > 0)
        {
            var left = PartitionHold - (fired.Clock?.Elapsed ?? TimeSpan.Zero);
            if (left > TimeSpan.Zero) await Task.Delay(left);
            LocalCluster.Signal(fired.FrozenPid, LocalCluster.Sigcont);
        }
        if (fired.SourceStopped) await source.StartAsync();
        await cluster.WaitFormedAsync(TimeSpan.FromMinutes(3));
        await ClusterScenarios.AwaitModeAsync(cluster, Modes.Normal);
    }

    private async Task<(bool Verified, int Attempts)> SyncUntilVerifiedAsync(bool bidirectional)
    {
        for (int attempt = 1; attempt <= 5; attempt++)
        {
            try
            {
                var run = await SyncRunner.StartAsync(cluster, render: false, bidirectional ? ["--bidirectional"] : []);
                if (run.Verified) return (true, attempt);
                say($"  sync {attempt}: {Short(run.Summary)}");
            }
            catch (Exception error) when (error is IOException or System.Net.Sockets.SocketException or InvalidOperationException or TimeoutException)
            {
                say($"  sync {attempt}: {error.Message}");
            }
            await Task.Delay(TimeSpan.FromSeconds(2 * attempt));
        }
        return (false, 5);
    }

    // ---- bad operator input ------------------------------------------------------------------------------------

    private async Task<ChaosResult> OperatorAsync(ChaosScenario scenario)
    {
        var clock = Stopwatch.StartNew();
        var refusals = scenario.Fault switch
        {
            "bad-token" => new[] { await BadTokenAsync() },
            "wrong-seeds" => await Task.WhenAll(
                HostRefusesAsync(new() { ["ACTORSYNC_ROLE"] = "node", ["ACTORSYNC_NODE"] = "1", ["ACTORSYNC_SEEDS"] = "akka.tcp://wrongsystem@127.0.0.1:4053" },
                    2, "ACTORSYNC_SEEDS"),
                HostRefusesAsync(new()
                {
                    ["ACTORSYNC_ROLE"] = "node", ["ACTORSYNC_NODE"] = "1", ["ACTORSYNC_SEEDS"] = $"akka.tcp://actorsync@127.0.0.1:{ClosedPort()}",
                    ["ACTORSYNC__AKKA__CLUSTER__SHUTDOWN_AFTER_UNSUCCESSFUL_JOIN_SEED_NODES"] = "3s",
                }, 3, "could not join the cluster")),
            "out-of-range" => await Task.WhenAll(
                HostRefusesAsync(new() { ["ACTORSYNC_ROLE"] = "orchestrator", ["ACTORSYNC_K"] = "4", ["ACTORSYNC_R"] = "5" }, 2, "actorsync.orchestrator.nodes/redundancy/eta = 4/5/1"),
                HostRefusesAsync(new() { ["ACTORSYNC_ROLE"] = "orchestrator", ["ACTORSYNC_ETA"] = "0" }, 2, "actorsync.orchestrator.nodes/redundancy/eta = 4/2/0"),
                CliRefusesAsync(["plan", "-k", "4", "-r", "5"], "redundancy (r) must be between 1 and K−1 = 3; got 5"),
                CliRefusesAsync(["plan", "-k", "4", "-r", "2", "--eta", "0"], "eta (η) must be at least 1; got 0")),
            "hostile-table" => await Task.WhenAll(
                CliRefusesAsync(["seed", .. SourceArguments(), "--csv", DemoCommand.FindData("bank.csv"), "--replace", "--table", "bank`; DROP TABLE bank; --"],
                    "table name 'bank`; DROP TABLE bank; --' is refused"),
                CliRefusesAsync(["verify", .. SourceArguments(), "--dest", cluster.Destination, "--table", "bank; DROP TABLE bank"], "bank; DROP TABLE bank")),
            "bad-credentials" => new[] { await CliRefusesAsync(["verify", .. SourceArguments(wrongPassword: true), "--dest", cluster.Destination], "access denied") },
            _ => throw new ArgumentException($"unknown operator fault {scenario.Fault}"),
        };
        var failed = refusals.Where(r => !r.Clear).ToArray();
        long lost = await RowsLostAsync();
        string outcome = failed.Length > 0 ? "NOT REFUSED CLEARLY" : lost > 0 ? "LOSS" : "refused";
        string detail = string.Join(" | ", (failed.Length > 0 ? failed : refusals).Select(r => Short(r.Message)));
        return new ChaosResult(scenario, outcome, lost, Math.Round(clock.Elapsed.TotalSeconds, 1), "no cycle", detail);
    }

    private sealed record Refusal(bool Clear, string Message);

    private async Task<Refusal> BadTokenAsync()
    {
        await using var client = await CommandClient.ConnectAsync(cluster.OrchestratorEndpoint, "not-the-token", TimeSpan.FromSeconds(5));
        string text = "";
        await foreach (var reply in client.RunAsync(["sync", "start"]))
            if (reply.Kind == ReplyKind.Error) text = reply.Text ?? "";
        return new Refusal(text.Contains("wrong token", StringComparison.Ordinal), text.Length > 0 ? text : "the command was not refused");
    }

    /// <summary>A member host started with bad settings must exit with the code and say what is wrong.</summary>
    private async Task<Refusal> HostRefusesAsync(Dictionary<string, string> settings, int code, string expected)
    {
        var data = Path.Combine(cluster.StateDirectory, "chaos-host-" + Guid.NewGuid().ToString("N")[..6]);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(cluster.HostDll);
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("ACTORSYNC", StringComparison.Ordinal)).ToArray()) start.Environment.Remove(key);
        start.Environment["ACTORSYNC_PORT"] = "0";
        start.Environment["ACTORSYNC_COMMAND_PORT"] = "0";
        start.Environment["ACTORSYNC_METRICS_PORT"] = "0";
        start.Environment["ACTORSYNC_DATA_DIR"] = data;
        foreach (var (key, value) in settings) start.Environment[key] = value;
        var (exit, output) = await RunAsync(start, TimeSpan.FromSeconds(90));
        bool clear = exit == code && output.Contains(expected, StringComparison.Ordinal);
        return new Refusal(clear, clear ? LastLine(output, expected) : $"host exited {exit}, expected {code} saying '{expected}': {Short(output)}");
    }

    private async Task<Refusal> CliRefusesAsync(string[] arguments, string expected)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // `seed` is the lab's; the rest are the operator's actorsync, which the lab carries beside itself.
        var program = arguments[0] == "seed" ? typeof(SeedCommand).Assembly : typeof(LocalCluster).Assembly;
        start.ArgumentList.Add(program.Location);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        var (exit, output) = await RunAsync(start, TimeSpan.FromSeconds(60));
        bool clear = exit == 2 && output.Contains(expected, StringComparison.Ordinal) && !output.Contains("   at ", StringComparison.Ordinal);
        return new Refusal(clear, clear ? LastLine(output, expected) : $"`{program.GetName().Name} {arguments[0]} …` exited {exit}, expected 2 saying '{expected}': {Short(output)}");
    }

    private string[] SourceArguments(bool wrongPassword = false)
    {
        if (source.Choice.MySql is not { } mysql) return ["--source-sqlite", source.Choice.SqliteFile!];
        var builder = new MySqlConnectionStringBuilder(mysql);
        if (wrongPassword) builder.Password = "not-the-password";
        return ["--mysql", builder.ConnectionString];
    }

    private static async Task<(int Exit, string Output)> RunAsync(ProcessStartInfo start, TimeSpan timeout)
    {
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"still running after {timeout.TotalSeconds:0} s");
        }
        return (process.ExitCode, await stdout + await stderr);
    }

    // ---- data -----------------------------------------------------------------------------------------------------

    /// <summary>Changes some rows at Hub C, for reverse sync to carry back; returns each changed key's new balance.</summary>
    private Dictionary<long, long> EditDestination()
    {
        using var destination = new SqliteDestination(cluster.Destination);
        destination.Execute($"UPDATE bank SET balance = balance - 3 WHERE id % 89 = {_cell % 89}");
        return Balances(destination, $"id % 89 = {_cell % 89}");
    }

    private long ReverseEditsLost(Dictionary<long, long> edits)
    {
        if (edits.Count == 0) return 0;
        using var destination = new SqliteDestination(cluster.Destination);
        var now = Balances(destination, string.Join(" OR ", edits.Keys.Select(k => $"id = {k}")));
        return edits.Count(e => !now.TryGetValue(e.Key, out long balance) || balance != e.Value);
    }

    private static Dictionary<long, long> Balances(SqliteDestination destination, string where)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={destination.Path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT id, balance FROM bank WHERE {where}";
        using var reader = command.ExecuteReader();
        var balances = new Dictionary<long, long>();
        while (reader.Read()) balances[reader.GetInt64(0)] = reader.GetInt64(1);
        return balances;
    }

    private string? DestinationDigest()
    {
        using var destination = new SqliteDestination(cluster.Destination);
        return string.Join(",", tables.Select(t =>
        {
            var digest = new TableDigest(t);
            if (destination.HasTable(t.Name)) destination.ReadTable(t, digest.Add);
            return digest.Hex;
        }));
    }

    private async Task<string> SourceDigestAsync()
    {
        var open = source.Choice.Open();
        var digests = new List<string>();
        foreach (var table in tables)
        {
            var digest = new TableDigest(table);
            await open.ReadAsync(table, digest.Add);
            digests.Add(digest.Hex);
        }
        return string.Join(",", digests);
    }

    /// <summary>Source rows that Hub C lacks or holds differently, against the live source, plus rows only at Hub C.</summary>
    public async Task<long> RowsLostAsync()
    {
        using var destination = new SqliteDestination(cluster.Destination);
        var comparisons = await Verifier.CompareAsync(source.Choice.Open(), destination, tables);
        return comparisons.Sum(c => c.RowsLost + c.RowsExtra);
    }

    // ---- helpers ----------------------------------------------------------------------------------------------------

    /// <summary>Arms the node's gremlin for 2 packets of the kind; returns the packets it had damaged before.</summary>
    private async Task<int> ArmAsync(string node, string fault, string kind)
    {
        int before = await DamagedCountAsync(node);
        var reply = await QueryAtAsync(node, ["fault", "inject", fault, "--count", "2", "--kind", kind]);
        if (!reply.Ok) throw new InvalidOperationException($"{node} would not arm {fault}: {reply.Text}");
        return before;
    }

    private async Task<int> DamagedCountAsync(string node)
    {
        await using var client = await CommandClient.ConnectAsync(cluster.EndpointOf(node), cluster.Token, TimeSpan.FromSeconds(5));
        await foreach (var reply in client.RunAsync(["fault", "status"]))
            if (reply.Kind == ReplyKind.Table && reply.Rows is [[_, _, var damaged]]) return int.Parse(damaged, CultureInfo.InvariantCulture);
        throw new InvalidOperationException($"{node} did not report its packet faults.");
    }

    private async Task<string> DamagedAsync(string node, int before)
    {
        try
        {
            int damaged = await DamagedCountAsync(node) - before;
            return damaged == 0 ? " (no packet reached it while armed)" : $" ({damaged} packet(s) damaged)";
        }
        catch (Exception error) when (error is IOException or System.Net.Sockets.SocketException or TimeoutException or InvalidOperationException)
        {
            return $" (its gremlin did not answer: {error.Message})";
        }
    }

    private async Task<Reply> QueryAtAsync(string member, string[] words)
    {
        await using var client = await CommandClient.ConnectAsync(cluster.EndpointOf(member), cluster.Token, TimeSpan.FromSeconds(5));
        Reply last = Reply.Failure("no answer");
        await foreach (var reply in client.RunAsync(words))
            if (reply.Kind is ReplyKind.Text or ReplyKind.Error) last = reply;
        return last;
    }

    private static string Describe(ChaosScenario scenario) => ChaosMatrix.Describe(scenario.Fault);

    private string[] NodeNames(string? except = null) =>
        Enumerable.Range(1, cluster.Nodes).Select(n => $"node-{n}").Where(n => n != except).ToArray();

    private static int ClosedPort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static string LastLine(string output, string containing) =>
        output.Split('\n').LastOrDefault(l => l.Contains(containing, StringComparison.Ordinal))?.Trim() ?? output.Trim();

    private static string Short(string text)
    {
        var line = text.ReplaceLineEndings(" ").Trim();
        return line.Length <= 200 ? line : line[..197] + "...";
    }

    public static string Seconds(double value) => value.ToString("0.0", CultureInfo.InvariantCulture);
}
