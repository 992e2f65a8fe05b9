using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using ActorSync.Cluster;
using ActorSync.Cluster.Nodes;
using ActorSync.Cluster.Orchestration;
using ActorSync.Cluster.Protocol;
using ActorSync.Coding;
using ActorSync.Control;
using Akka.Actor;
using Akka.Cluster;

namespace ActorSync.Host;

/// <summary>
/// What the command endpoint can do on this member: cluster membership from this member's view, and the sync state
/// through the orchestrator singleton's proxy. Answers are reply lines; nothing here changes data except `sync start`.
/// </summary>
/// <param name="node">This member's NodeActor, on a node member.</param>
/// <param name="chaos">actorsync.chaos.enabled: `fault inject` works only then.</param>
/// <param name="gremlin">Chaos testing only: the packet gremlin in front of this node's inbox, which takes the faults.</param>
public sealed class CommandHandler(ActorSystem system, IActorRef orchestrator, OrchestratorSettings settings, string member,
    IActorRef? node = null, bool chaos = false, IActorRef? gremlin = null)
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(5);

    public static readonly (string Command, string Help)[] Commands =
    [
        ("cluster show", "members, their status, roles and reachability"),
        ("cluster leader", "the current leader"),
        ("cluster unreachable", "members this one cannot reach"),
        ("cluster leave -a ADDR", "the member at ADDR leaves gracefully"),
        ("cluster down -a ADDR", "marks the member at ADDR down"),
        ("cluster down-unreachable", "marks every unreachable member down"),
        ("cluster tail [--count N]", "streams membership events (until N or the client disconnects)"),
        ("node list", "each node: alive or not, its batches, its journal size"),
        ("batches show", "the placement table: batch, placed on, held by, digest"),
        ("sync start [--bidirectional] [--policy P] [--table-policy T=P]...", "runs a sync cycle, with progress"),
        ("sync status", "the last cycles: kind, mode, bytes per link, duration, verification"),
        ("sync follow [--watch]", "continuous sync: snapshot, then follow the source's binlog; returns once capture runs (--watch: shows the lag until the client leaves)"),
        ("sync stop", "ends continuous sync (the durable offset is kept)"),
        ("sync lag", "continuous sync: the offsets captured, placed on r nodes and applied, and the lag in ms and in row changes"),
        ("recovery status", "the current mode, mode changes and the last recoveries"),
        ("db status", "source and destination health, as the hubs see it"),
        ("log peek [--lines N]", "this member's recent log lines"),
        ("fault inject FAULT [--count N] [--kind K]", "chaos testing on a node member (actorsync.chaos.enabled): damage its next N packets " +
            "of kind K (any, batch, xor, rlnc) by FAULT (flip, truncate, duplicate, reorder, wrong-coefficients), or send N unknown-message to every other node"),
        ("fault status", "chaos testing on a node member: the armed fault and the packets damaged so far"),
        ("help", "this list"),
    ];

    /// <summary>Commands that change the cluster or its databases: only the admin token may run them.</summary>
    private static readonly HashSet<string> AdminCommands = ["cluster leave", "cluster down", "cluster down-unreachable", "sync start", "sync follow", "sync stop", "fault inject"];

    /// <summary>Whether the read-only token may run this command (it only shows).</summary>
    public static bool IsReadOnly(string[] args) => !AdminCommands.Contains(CommandWords(args));

    private static string CommandWords(string[] args) => string.Join(' ', args.TakeWhile(a => !a.StartsWith('-')).Take(2));

    public async IAsyncEnumerable<Reply> RunAsync(string[] args, [EnumeratorCancellation] CancellationToken cancellation)
    {
        var words = CommandWords(args);
        IAsyncEnumerable<Reply> answer = words switch
        {
            "help" or "" => Help(),
            "cluster show" => Many(ClusterShow(), MembersDocument()),
            "cluster leader" => One(Reply.Line($"leader: {Cluster().State.Leader?.ToString() ?? "none yet"}")),
            "cluster unreachable" => One(Unreachable()),
            "cluster leave" => One(Membership(args, "leave")),
            "cluster down" => One(Membership(args, "down")),
            "cluster down-unreachable" => One(DownUnreachable()),
            "cluster tail" => TailAsync(args, cancellation),
            "node list" => NodeListAsync(),
            "batches show" => BatchesAsync(),
            "sync start" => SyncStartAsync(args, cancellation),
            "sync status" => SyncStatusAsync(),
            "sync follow" => SyncFollowAsync(args.Contains("--watch"), cancellation),
            "sync stop" => SyncStopAsync(),
            "sync lag" => SyncLagAsync(),
            "recovery status" => RecoveryStatusAsync(),
            "db status" => DbStatusAsync(),
            "fault inject" => FaultInjectAsync(args),
            "fault status" => FaultInjectAsync(["fault", "inject", "status", "--count", "0"]),
            "log peek" => One(Reply.Grid($"last log lines of {member}", ["line"],
                RecentLog.Last(IntOption(args, "--lines", 20)).Select(l => new[] { l }))),
            _ => One(Reply.Failure($"unknown command '{string.Join(' ', args)}'; `help` lists the commands.")),
        };
        // The document only to a client that asked for it: an older client does not know the reply kind.
        bool json = args.Contains("--json");
        await foreach (var reply in answer.WithCancellation(cancellation))
            if (json || reply.Kind != ReplyKind.Data) yield return reply;
    }

    private static async IAsyncEnumerable<Reply> One(Reply reply)
    {
        await Task.CompletedTask;
        yield return reply;
    }

    private static async IAsyncEnumerable<Reply> Many(params Reply[] replies)
    {
        await Task.CompletedTask;
        foreach (var reply in replies) yield return reply;
    }

    private Reply MembersDocument()
    {
        var state = Cluster().State;
        return Reply.Document(CommandDocuments.Members, new MembersDocument(Cluster().SelfAddress.ToString(),
            state.Members.OrderBy(m => m.Address.ToString(), StringComparer.Ordinal).Select(m => new MemberView(m.Address.ToString(), m.Status.ToString(),
                m.Roles.Order(StringComparer.Ordinal).ToArray(), !state.Unreachable.Contains(m), m.Address.Equals(state.Leader))).ToArray()));
    }

    private static IAsyncEnumerable<Reply> Help() =>
        One(Reply.Grid("commands", ["command", "what it shows or does"], Commands.Select(c => new[] { c.Command, c.Help })));

    private Akka.Cluster.Cluster Cluster() => Akka.Cluster.Cluster.Get(system);

    private Reply ClusterShow()
    {
        var state = Cluster().State;
        var rows = state.Members.OrderBy(m => m.Address.ToString(), StringComparer.Ordinal).Select(m => new[]
        {
            m.Address.ToString(), m.Status.ToString(), string.Join(",", m.Roles.Order(StringComparer.Ordinal)),
            state.Unreachable.Contains(m) ? "unreachable" : "reachable",
            m.Address.Equals(state.Leader) ? "leader" : "",
        });
        return Reply.Grid($"cluster seen from {member} ({Cluster().SelfAddress})", ["address", "status", "roles", "reachability", ""], rows);
    }

    private Reply Unreachable()
    {
        var unreachable = Cluster().State.Unreachable;
        return unreachable.Count == 0 ? Reply.Line("no unreachable members")
            : Reply.Grid("unreachable members", ["address", "status", "roles"],
                unreachable.Select(m => new[] { m.Address.ToString(), m.Status.ToString(), string.Join(",", m.Roles) }));
    }

    private Reply Membership(string[] args, string action)
    {
        var text = StringOption(args, "-a", "--address");
        if (text is null) return Reply.Failure($"cluster {action} needs -a ADDR, e.g. -a akka.tcp://actorsync@127.0.0.1:4053.");
        Address address;
        try
        {
            address = Address.Parse(text);
        }
        catch (Exception error) when (error is UriFormatException or ArgumentException)
        {
            return Reply.Failure($"'{text}' is not a member address ({error.Message}).");
        }
        if (!Cluster().State.Members.Any(m => m.Address.Equals(address)))
            return Reply.Failure($"no member at {address}; `cluster show` lists them.");
        if (action == "leave") Cluster().Leave(address);
        else Cluster().Down(address);
        return Reply.Line($"{action} requested for {address}");
    }

    private Reply DownUnreachable()
    {
        var unreachable = Cluster().State.Unreachable.ToArray();
        foreach (var m in unreachable) Cluster().Down(m.Address);
        return Reply.Line(unreachable.Length == 0 ? "no unreachable members" : $"down requested for {string.Join(", ", unreachable.Select(m => m.Address))}");
    }

    private async IAsyncEnumerable<Reply> TailAsync(string[] args, [EnumeratorCancellation] CancellationToken cancellation)
    {
        int count = IntOption(args, "--count", int.MaxValue);
        var channel = Channel.CreateUnbounded<string>();
        var tail = system.ActorOf(MembershipTail.Props(channel.Writer));
        try
        {
            for (int i = 0; i < count; i++)
            {
                string line;
                try
                {
                    line = await channel.Reader.ReadAsync(cancellation);
                }
                catch (OperationCanceledException)
                {
                    yield break;
                }
                yield return Reply.Line(line);
            }
        }
        finally
        {
            system.Stop(tail);
        }
    }

    private async Task<Roster> RosterAsync() => await orchestrator.Ask<Roster>(GetRoster.Instance, Quick);

    private async IAsyncEnumerable<Reply> NodeListAsync()
    {
        var roster = await RosterAsync();
        var rows = new List<string[]>();
        var views = new List<NodeView>();
        for (int node = 0; node < settings.Nodes; node++)
        {
            var entry = roster.Nodes.FirstOrDefault(n => n.Node == node);
            Holdings? holdings = null;
            if (entry is not null)
                try
                {
                    holdings = await entry.Ref.Ask<Holdings>(GetHoldings.Instance, TimeSpan.FromSeconds(2));
                }
                catch (AskTimeoutException)
                {
                    // not answering: shown as down below
                }
            bool alive = entry is { Alive: true } && holdings is not null;
            views.Add(new NodeView($"node-{node + 1}", entry is null ? NodeState.NeverRegistered : alive ? NodeState.Alive : NodeState.Down,
                entry?.Ref.Path.Address.ToString(), holdings?.Whole.Select(b => b + 1).ToArray() ?? [], holdings?.Dataset,
                holdings is { JournalBytes: >= 0 } ? holdings.JournalBytes : null));
            rows.Add([
                $"node-{node + 1}",
                entry is null ? "never registered" : alive ? "alive" : "down",
                entry?.Ref.Path.Address.ToString() ?? "",
                holdings is null ? "" : holdings.Whole.Length.ToString(CultureInfo.InvariantCulture),
                holdings is null ? "" : string.Join(" ", holdings.Whole.Select(b => $"B{b + 1}")),
                holdings is null ? "" : holdings.Dataset.ToString(CultureInfo.InvariantCulture),
                holdings is null ? "" : holdings.JournalBytes < 0 ? "n/a" : holdings.JournalBytes.ToString(CultureInfo.InvariantCulture),
            ]);
        }
        yield return Reply.Grid($"nodes (K={settings.Nodes}, r={settings.Redundancy}, N={settings.BatchCount})",
            ["node", "state", "address", "batches", "held", "dataset", "journal bytes"], rows);
        yield return Reply.Document(CommandDocuments.Nodes, new NodesDocument(settings.Nodes, settings.Redundancy, settings.BatchCount, views.ToArray()));
    }

    private async IAsyncEnumerable<Reply> BatchesAsync()
    {
        var roster = await RosterAsync();
        var placement = settings.Placement;
        NodeManifest? manifest = null;
        var held = new Dictionary<int, List<int>>();
        foreach (var entry in roster.Nodes.Where(n => n.Alive))
        {
            try
            {
                var holdings = await entry.Ref.Ask<Holdings>(GetHoldings.Instance, TimeSpan.FromSeconds(2));
                foreach (var b in holdings.Whole) (held.TryGetValue(b, out var list) ? list : held[b] = []).Add(entry.Node);
                var candidate = await entry.Ref.Ask<NodeManifest>(GetManifest.Instance, TimeSpan.FromSeconds(2));
                if (candidate.Manifest.Length > 0 && (manifest is null || candidate.Dataset > manifest.Dataset)) manifest = candidate;
            }
            catch (AskTimeoutException)
            {
                // a node that does not answer holds nothing we can show
            }
        }
        var decoded = manifest is null ? null : BatchManifest.Decode(manifest.Manifest);
        var rows = Enumerable.Range(0, placement.BatchCount).Select(b => new[]
        {
            $"B{b + 1}",
            string.Join(" ", Combinatorics.Members(placement.HoldersOf(b)).Select(n => $"node-{n + 1}")),
            string.Join(" ", (held.TryGetValue(b, out var nodes) ? nodes : []).Order().Select(n => $"node-{n + 1}")),
            decoded is null || b >= decoded.BatchCount ? "" : Convert.ToHexStringLower(decoded.BatchDigests[b])[..16],
        });
        yield return Reply.Grid(manifest is null || decoded is null ? "placement (no dataset yet: run `sync start`)"
                : $"placement of dataset {manifest.Dataset} (batches of {decoded.BatchSize} bytes, {decoded.SegmentCount} segments of {decoded.Layout.Size})",
            ["batch", "placed on", "held by", "digest"], rows);
    }

    private async IAsyncEnumerable<Reply> SyncStartAsync(string[] args, [EnumeratorCancellation] CancellationToken cancellation)
    {
        var request = new StartSync(args.Contains("--bidirectional"), StringOption(args, "--policy") ?? "source-wins", ListOption(args, "--table-policy"));
        var answer = orchestrator.Ask<object>(request, settings.LongStepTimeout + settings.LongStepTimeout, cancellation);
        var last = "";
        while (!answer.IsCompleted)
        {
            await Task.WhenAny(answer, Task.Delay(250, cancellation));
            if (answer.IsCompleted) break;
            var status = await orchestrator.Ask<SyncStatus>(GetSyncStatus.Instance, Quick);
            var step = status.Current;
            var text = $"cycle {step.Cycle} ({step.Kind}): {step.Step}";
            if (step.Cycle == 0 || text == last) continue;
            last = text;
            yield return Reply.Step(text, step.Done, step.Total);
        }
        switch (await answer)
        {
            case SyncRefused refused:
                yield return Reply.Failure($"sync refused: {refused.Reason}");
                break;
            case CycleReport report:
                yield return Reply.Step($"cycle {report.Cycle} ({report.Kind}): done", 1, 1);
                yield return Links(report);
                yield return report.Verified ? Reply.Line(Summary(report)) : Reply.Failure(Summary(report));
                yield return Reply.Document(CommandDocuments.Cycle, report);
                break;
            case var other:
                yield return Reply.Failure($"unexpected answer from the orchestrator: {other.GetType().Name}");
                break;
        }
    }

    private async IAsyncEnumerable<Reply> SyncFollowAsync(bool watch, [EnumeratorCancellation] CancellationToken cancellation)
    {
        yield return Reply.Step("continuous sync: snapshot at a known binlog position, then capture", 0, 2);
        var answer = await orchestrator.Ask<object>(StartFollow.Instance, settings.LongStepTimeout + settings.LongStepTimeout, cancellation);
        if (answer is not FollowStarted started)
        {
            yield return Reply.Failure(answer is FollowRefused refused ? $"follow refused: {refused.Reason}" : $"unexpected answer from the orchestrator: {answer.GetType().Name}");
            yield break;
        }
        yield return Reply.Step("continuous sync: capture runs", 2, 2);
        yield return Reply.Line($"following the source's binlog from {started.Position}; `sync lag` shows how far behind SQLite is, `sync stop` ends it.");
        while (watch && !cancellation.IsCancellationRequested)
        {
            await Task.Delay(1000, cancellation);
            var status = await orchestrator.Ask<CdcStatus>(GetCdcStatus.Instance, Quick, cancellation);
            yield return Reply.Line($"{DateTime.UtcNow:HH:mm:ss} lag {status.LagMillis} ms, {status.EventsBehind} row changes behind; applied {status.Applied}, {status.EventsApplied} changes" +
                (status.Error.Length > 0 ? $"; {status.Error}" : ""));
        }
    }

    private async IAsyncEnumerable<Reply> SyncStopAsync()
    {
        var answer = await orchestrator.Ask<object>(StopFollow.Instance, Quick);
        yield return answer switch
        {
            FollowStopped stopped => Reply.Line($"continuous sync stopped; the durable offset {stopped.Position} is kept (`sync follow` snapshots again)."),
            FollowRefused refused => Reply.Failure($"stop refused: {refused.Reason}"),
            var other => Reply.Failure($"unexpected answer from the orchestrator: {other.GetType().Name}"),
        };
    }

    private async IAsyncEnumerable<Reply> SyncLagAsync()
    {
        var status = await orchestrator.Ask<CdcStatus>(GetCdcStatus.Instance, Quick);
        if (!status.Following && status.Placed.Length == 0)
        {
            yield return Reply.Line("continuous sync is off; `sync follow` starts it." + (status.Error.Length > 0 ? $" ({status.Error})" : ""));
            yield return Reply.Document(CommandDocuments.Cdc, status);
            yield break;
        }
        yield return Reply.Grid($"continuous sync ({(status.Following ? "following" : "stopped")})", ["stage", "binlog position", "row changes"],
        [
            ["captured", status.Captured, status.EventsCaptured.ToString(CultureInfo.InvariantCulture)],
            ["placed on r nodes", status.Placed, $"{status.BatchesPlaced} batches"],
            ["applied to SQLite", status.Applied, status.EventsApplied.ToString(CultureInfo.InvariantCulture)],
        ]);
        yield return Reply.Line($"lag: {status.LagMillis} ms, {status.EventsBehind} row changes behind");
        foreach (var stopped in status.Stopped) yield return Reply.Failure($"stopped: {stopped}");
        if (status.Error.Length > 0) yield return Reply.Failure($"capture: {status.Error}");
        yield return Reply.Document(CommandDocuments.Cdc, status);
    }

    public static string Summary(CycleReport r) =>
        $"cycle {r.Cycle} ({r.Kind}, {r.Mode} mode, {r.Scheme} scheme): {r.Outcome} in {r.DurationMillis} ms; dataset {r.Dataset}: {r.BatchCount} batches of {r.BatchSize} B, " +
        $"{r.BatchesPlaced} placed, {r.XorPackets} XOR, {r.UncodedPackets} uncoded, {r.RlncPackets} RLNC, {r.RepairTransfers} repair transfers, " +
        $"{r.BatchesApplied} applied ({r.RowsApplied} rows)" + string.Concat(r.Checks.Select(c => $"; {c.Table}: {c.DestinationRows} rows, {(c.Equal ? "digests equal" : "DIGESTS DIFFER")}"));

    private static Reply Links(CycleReport report) =>
        Reply.Grid($"cycle {report.Cycle}: payload per link", ["link", "packets", "bytes"],
            report.Links.OrderBy(l => l.Link, StringComparer.Ordinal).Select(l => new[]
                { l.Link, l.Packets.ToString(CultureInfo.InvariantCulture), l.Bytes.ToString(CultureInfo.InvariantCulture) }));

    private async IAsyncEnumerable<Reply> SyncStatusAsync()
    {
        var status = await orchestrator.Ask<SyncStatus>(GetSyncStatus.Instance, Quick);
        if (status.Running) yield return Reply.Line($"running: cycle {status.Current.Cycle} ({status.Current.Kind}), {status.Current.Step}");
        var document = Reply.Document(CommandDocuments.Sync, new SyncDocument(status.Running, status.Running ? status.Current : null, status.Recent));
        if (status.Recent.Length == 0)
        {
            yield return Reply.Line("no cycle has run yet; `sync start` runs one.");
            yield return document;
            yield break;
        }
        yield return Reply.Grid("last cycles", ["cycle", "kind", "mode", "started (UTC)", "ms", "source.egress B", "relay B", "peer B (recovery + repair)", "destination.ingress B", "outcome"],
            status.Recent.TakeLast(10).Select(r => new[]
            {
                r.Cycle.ToString(CultureInfo.InvariantCulture), r.Kind, r.Mode, r.StartedAt.Length >= 19 ? r.StartedAt[..19] : r.StartedAt,
                r.DurationMillis.ToString(CultureInfo.InvariantCulture),
                r.BytesOn(LinkCounters.SourceEgress).ToString(CultureInfo.InvariantCulture), r.BytesOn(LinkCounters.Relay).ToString(CultureInfo.InvariantCulture),
                (r.BytesOn(LinkCounters.PeerRecovery) + r.BytesOn(LinkCounters.PeerRepair)).ToString(CultureInfo.InvariantCulture),
                r.BytesOn(LinkCounters.DestinationIngress).ToString(CultureInfo.InvariantCulture), r.Outcome,
            }));
        yield return Links(status.Recent[^1]);
        yield return document;
    }

    private async IAsyncEnumerable<Reply> RecoveryStatusAsync()
    {
        var mode = await orchestrator.Ask<ModeStatus>(GetMode.Instance, Quick);
        var status = await orchestrator.Ask<SyncStatus>(GetSyncStatus.Instance, Quick);
        yield return Reply.Line($"mode: {mode.Mode}; source {(mode.SourceHealthy ? "healthy" : "DOWN")}; destination {(mode.DestinationHealthy ? "healthy" : "DOWN")}; " +
                                $"nodes down: {(mode.NodesDown.Length == 0 ? "none" : string.Join(", ", mode.NodesDown.Select(n => $"node-{n + 1}")))}");
        if (mode.History.Length > 0)
            yield return Reply.Grid("mode changes", ["at (UTC)", "from", "to", "why"], mode.History.Select(c => new[] { c.At, c.From, c.To, c.Reason }));
        var recoveries = status.Recent.Where(r => r.Kind is CycleKinds.Recovery or CycleKinds.Repair).TakeLast(10).ToArray();
        if (recoveries.Length > 0)
            yield return Reply.Grid("last recoveries and repairs", ["cycle", "kind", "ms", "RLNC packets", "peer.recovery B", "repair transfers", "outcome"],
                recoveries.Select(r => new[]
                {
                    r.Cycle.ToString(CultureInfo.InvariantCulture), r.Kind, r.DurationMillis.ToString(CultureInfo.InvariantCulture),
                    r.RlncPackets.ToString(CultureInfo.InvariantCulture), r.BytesOn(LinkCounters.PeerRecovery).ToString(CultureInfo.InvariantCulture),
                    r.RepairTransfers.ToString(CultureInfo.InvariantCulture), r.Outcome,
                }));
        yield return Reply.Document(CommandDocuments.Recovery, new RecoveryDocument(mode.Mode, mode.SourceHealthy, mode.DestinationHealthy,
            mode.NodesDown.Select(n => $"node-{n + 1}").ToArray(), mode.History, recoveries));
    }

    private async IAsyncEnumerable<Reply> DbStatusAsync()
    {
        var roster = await RosterAsync();
        var views = new List<DatabaseView>();
        foreach (var hub in roster.Hubs)
        {
            try
            {
                var status = await hub.Supervisor.Ask<HubStatus>(GetHubStatus.Instance, Quick);
                views.Add(new DatabaseView(status.Hub, status.Database, status.DatabaseHealthy ? DatabaseHealth.Healthy : DatabaseHealth.Down, status.LastError));
            }
            catch (AskTimeoutException)
            {
                views.Add(new DatabaseView(hub.Hub, null, DatabaseHealth.HubNotAnswering, ""));
            }
        }
        foreach (var missing in new[] { settings.SourceHub, settings.DestinationHub }.Where(h => roster.Hubs.All(r => r.Hub != h)))
            views.Add(new DatabaseView(missing, null, DatabaseHealth.HubNotRegistered, ""));
        yield return Reply.Grid("databases", ["hub", "database", "health", "last error"], views.Select(v => new[]
        {
            v.Hub, v.Database ?? "?",
            v.Health switch { DatabaseHealth.Healthy => "healthy", DatabaseHealth.Down => "DOWN", DatabaseHealth.HubNotAnswering => "hub not answering", _ => "hub not registered" },
            v.LastError,
        }));
        yield return Reply.Document(CommandDocuments.Databases, new DatabasesDocument(views.ToArray()));
    }

    private async IAsyncEnumerable<Reply> FaultInjectAsync(string[] args)
    {
        var fault = args.Skip(2).FirstOrDefault(a => !a.StartsWith('-'));
        bool status = fault == "status";
        int count = status ? 0 : IntOption(args, "--count", 1);
        var kind = StringOption(args, "--kind") ?? "any";
        string? refused = !chaos ? $"{member}: fault injection is off (actorsync.chaos.enabled = off; ACTORSYNC_CHAOS=on turns it on, for chaos tests only)."
            : node is null ? $"{member} is not a node: packet faults are injected at a node's endpoint."
            : fault is null ? "fault inject needs a FAULT: " + string.Join(", ", PacketGremlin.Faults.Keys.Append("unknown-message")) + "."
            : null;
        if (refused is not null)
        {
            yield return Reply.Failure(refused);
            yield break;
        }
        if (fault == "unknown-message")
        {
            // Over remoting, to every other node: a message type none of them handles.
            var peers = Cluster().State.Members.Where(m => m.HasRole("node") && !m.Address.Equals(Cluster().SelfAddress)).ToArray();
            for (int i = 0; i < count; i++)
                foreach (var peer in peers)
                    system.ActorSelection($"{peer.Address}/user/node-*").Tell(new ChaosNoise(System.Text.Encoding.UTF8.GetBytes($"noise {i} from {member}")));
            yield return Reply.Line($"{member}: sent {count} unknown message(s) to each of {peers.Length} other nodes");
            yield break;
        }
        var armed = await (gremlin ?? node!).Ask<PacketFaultArmed>(new ArmPacketFault(fault!, count, kind), Quick);
        yield return armed.Refused.Length > 0 ? Reply.Failure($"{member}: {armed.Refused}")
            : status ? Reply.Grid($"packet faults at {member}", ["armed", "remaining", "damaged"],
                [[armed.Fault.Length > 0 ? armed.Fault : "none", armed.Remaining.ToString(CultureInfo.InvariantCulture), armed.Damaged.ToString(CultureInfo.InvariantCulture)]])
            : Reply.Line($"{member}: the next {armed.Remaining} {kind} packet(s) arriving will be damaged: {fault} ({PacketGremlin.Faults[fault!]})");
    }

    private static string? StringOption(string[] args, params string[] names)
    {
        int at = Array.FindIndex(args, a => names.Contains(a));
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
    }

    private static string[] ListOption(string[] args, string name) =>
        args.Select((a, i) => (a, i)).Where(p => p.a == name && p.i + 1 < args.Length).Select(p => args[p.i + 1]).ToArray();

    private static int IntOption(string[] args, string name, int fallback) =>
        StringOption(args, name) is { } text ? int.TryParse(text, CultureInfo.InvariantCulture, out int n) && n > 0 ? n
            : throw new ArgumentException($"{name} needs a positive whole number; got '{text}'.") : fallback;
}
