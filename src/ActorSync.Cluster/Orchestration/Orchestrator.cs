using ActorSync.Cluster.Cdc;
using ActorSync.Cluster.Protocol;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.Singleton;
using Akka.Event;

namespace ActorSync.Cluster.Orchestration;

/// <summary>
/// Hub A, one per cluster (a cluster singleton on the members with the orchestrator role, so losing its member moves
/// it). It owns the mode: <c>normal</c> while the source is healthy; <c>recovery</c> when Hub B reports the source
/// database down, so nodes rebuild from each other; back to <c>normal</c>, with recovery reset, when it returns.
/// Every change is logged and sent to subscribers.
/// It learns the hubs and nodes from their registrations, has Hub B's supervisor watch every node, and runs one
/// <see cref="SyncCycle"/> at a time: on request, on entering recovery, and when a node comes back. It relays
/// B → C and C → B through the cycles, and keeps the last cycle reports.
/// </summary>
public sealed class Orchestrator : ReceiveActor, IWithTimers
{
    public const string Normal = Modes.Normal;
    public const string Recovery = Modes.Recovery;
    public const int HistoryKept = 50;

    private readonly OrchestratorSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly List<ModeChanged> _history = [];
    private readonly List<CycleReport> _reports = [];
    private readonly HashSet<IActorRef> _subscribers = [];
    private readonly SortedSet<int> _nodesDown = [];
    private readonly HashSet<Address> _unreachable = [];
    private readonly Dictionary<int, IActorRef> _nodes = new();
    private readonly Dictionary<int, IActorRef> _everRegistered = new();
    private readonly Dictionary<int, IActorRef> _returnHandled = new();
    private readonly Dictionary<string, (IActorRef Supervisor, IActorRef Worker)> _hubs = new(StringComparer.Ordinal);
    private readonly List<IActorRef> _waiting = [];
    private string _mode = Normal;
    private bool _sourceHealthy = true;
    private bool _destinationHealthy = true;
    private DatasetState? _dataset;
    private IActorRef? _cycle;
    private (string Kind, string Mode, DateTime StartedAt)? _running;
    private string? _cycleCrash;
    private readonly Dictionary<IActorRef, string> _hubWorkers = new();
    private CycleProgress _progress = CycleProgress.Idle;
    private int _cycleNumber;
    private (string Kind, StartSync Request, List<IActorRef> Requesters)? _next;
    private readonly List<IActorRef> _followRequesters = [];
    private bool _followPending;
    private int _followAfterCycle;
    private string? _followArming;
    private bool _following;
    private sealed record RefreshCache;

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(OrchestratorSettings settings) => Akka.Actor.Props.Create(() => new Orchestrator(settings));

    /// <summary>The singleton manager, started on every member with the orchestrator role.</summary>
    public static Props SingletonProps(ActorSystem system, OrchestratorSettings settings) =>
        ClusterSingletonManager.Props(Props(settings), PoisonPill.Instance,
            ClusterSingletonManagerSettings.Create(system).WithRole("orchestrator"));

    /// <summary>A proxy that always reaches the current singleton, from any member.</summary>
    public static Props ProxyProps(ActorSystem system, string managerPath = "/user/orchestrator") =>
        ClusterSingletonProxy.Props(managerPath, ClusterSingletonProxySettings.Create(system).WithRole("orchestrator"));

    public Orchestrator(OrchestratorSettings settings)
    {
        _settings = settings;
        Receive<DatabaseDown>(DatabaseWentDown);
        Receive<DatabaseUp>(DatabaseCameBack);
        Receive<RegisterHub>(Register);
        Receive<RegisterNode>(Register);
        Receive<NodeDown>(NodeWentDown);
        Receive<NodeUp>(up =>
        {
            _nodesDown.Remove(up.Node);
            Returned(up.Node, $"reported by {up.Hub}");
        });
        Receive<ClusterEvent.UnreachableMember>(MemberUnreachable);
        Receive<ClusterEvent.ReachableMember>(reachable =>
        {
            if (!_unreachable.Remove(reachable.Member.Address)) return;
            foreach (var node in NodesAt(reachable.Member.Address)) _log.Info("node {0} is reachable again", node + 1);
        });
        Receive<ClusterEvent.MemberRemoved>(removed => _unreachable.Remove(removed.Member.Address));
        Receive<StartSync>(start => Schedule(CycleKinds.Sync, start, Sender));
        Receive<CycleFinished>(Finished);
        Receive<SubscribeModes>(subscribe =>
        {
            _subscribers.Add(subscribe.Subscriber);
            Context.Watch(subscribe.Subscriber);
        });
        Receive<Terminated>(Watched);
        Receive<GetMode>(_ => Sender.Tell(new ModeStatus(_mode, _sourceHealthy, _destinationHealthy, _nodesDown.ToArray(), _history.ToArray())));
        Receive<GetSyncStatus>(_ => Sender.Tell(new SyncStatus(_cycle is not null, _progress, _reports.ToArray())));
        Receive<CycleProgress>(progress =>
        {
            if (Sender.Equals(_cycle)) _progress = progress;
        });
        Receive<StartFollow>(_ => StartFollowing(Sender));
        Receive<CaptureNeedsSnapshot>(needs =>
        {
            _log.Warning("continuous sync needs a new snapshot: {0}", needs.Reason);
            _following = false;
            StartFollowing(null);
        });
        Receive<FollowReady>(FollowIsReady);
        Receive<CaptureRunning>(CaptureIsRunning);
        Receive<FollowRefused>(refused => RefuseFollow(refused.Reason));
        Receive<StopFollow>(StopFollowing);
        Receive<GetCdcStatus>(status =>
        {
            if (Cdc(_settings.SourceHub, CdcSettings.CaptureName) is { } capture) capture.Tell(status, Sender);
            else Sender.Tell(new CdcStatus(false, "", "", "", 0, 0, 0, 0, 0, [], $"hub {_settings.SourceHub} is not registered"));
        });
        Receive<RefreshCache>(_ =>
        {
            // While following, a fresh dataset lets the nodes compact their change logs into the batch cache.
            if (_following && _cycle is null && _mode == Normal) Schedule(CycleKinds.Sync, StartSync.OneWay, requester: null);
        });
        Receive<GetRoster>(_ => Sender.Tell(new Roster(
            _everRegistered.OrderBy(n => n.Key).Select(n => new RosterNode(n.Key, n.Value, Usable(n.Key))).ToArray(),
            _hubs.OrderBy(h => h.Key, StringComparer.Ordinal).Select(h => new RosterHub(h.Key, h.Value.Supervisor)).ToArray())));
    }

    /// <summary>The failure detector's verdict, seconds before a frozen or cut-off node is downed: the running cycle stops waiting on it now, and no new cycle counts on it while it stays unreachable.</summary>
    private void MemberUnreachable(ClusterEvent.UnreachableMember unreachable)
    {
        _unreachable.Add(unreachable.Member.Address);
        foreach (var node in NodesAt(unreachable.Member.Address))
        {
            _log.Warning("node {0} is unreachable ({1}); the running cycle goes on without it", node + 1, unreachable.Member.Address);
            _cycle?.Tell(new CycleNodeLost(node, "unreachable (the failure detector)"));
        }
    }

    /// <summary>Hub C holds the follow snapshot: capture begins at its position.</summary>
    private void FollowIsReady(FollowReady ready)
    {
        if (_followArming != ready.Position) return; // a reset after a newer snapshot, not a start
        if (Cdc(_settings.SourceHub, CdcSettings.CaptureName) is { } capture) capture.Tell(new BeginCapture(ready.Position, _dataset!.Catalog, _settings.Filter.Encode()));
        else RefuseFollow($"hub {_settings.SourceHub} is not registered");
    }

    /// <summary>`sync stop`: capture ends; its durable offset stays in Hub B's journal.</summary>
    private void StopFollowing(StopFollow stop)
    {
        _following = false;
        if (Cdc(_settings.SourceHub, CdcSettings.CaptureName) is { } capture) capture.Tell(stop, Sender);
        else Sender.Tell(new FollowRefused($"hub {_settings.SourceHub} is not registered; its capture cannot be reached"));
    }

    /// <summary>A hub's database stopped answering: the source's switches to recovery mode.</summary>
    private void DatabaseWentDown(DatabaseDown down)
    {
        if (down.Hub == _settings.SourceHub)
        {
            _sourceHealthy = false;
            // Recover even without a known dataset (a singleton that just moved): the nodes hold its manifest.
            // Not while following: Hub C is then ahead of the batch cache, and the nodes' change logs serve it.
            if (Switch(Recovery, $"source database {down.Database} down: {down.Reason}") && _settings.RecoverWhenSourceDown && _nodes.Count > 0)
            {
                if (_following) _log.Info("continuous sync is on: Hub C is served from the nodes' change logs, not from the older batch cache");
                else Schedule(CycleKinds.Recovery, StartSync.OneWay, requester: null);
            }
        }
        else
        {
            _destinationHealthy = false;
            _log.Warning("destination database {0} at {1} is down: {2}; applies wait until it returns", down.Database, down.Hub, down.Reason);
        }
    }

    /// <summary>A hub's database answers again: the source's switches back to normal mode.</summary>
    private void DatabaseCameBack(DatabaseUp up)
    {
        if (up.Hub == _settings.SourceHub)
        {
            _sourceHealthy = true;
            Switch(Normal, $"source database {up.Database} is back; recovery reset");
        }
        else _destinationHealthy = true;
    }

    /// <summary>A supervisor saw a node go down: the running cycle stops waiting on it.</summary>
    private void NodeWentDown(NodeDown down)
    {
        if (down.Actor is not null && _everRegistered.TryGetValue(down.Node, out var current) && !current.Equals(down.Actor))
        {
            // Its restart registered first: the new incarnation stays, and is not lost from the running cycle.
            _log.Info("node {0}: an earlier incarnation is down ({1}); the one registered now stays", down.Node + 1, down.Reason);
            return;
        }
        _nodesDown.Add(down.Node);
        _returnHandled.Remove(down.Node);
        _nodes.Remove(down.Node);
        _cycle?.Tell(new CycleNodeLost(down.Node, down.Reason)); // the running cycle stops waiting on it
        _log.Warning("node {0} is down ({1}, reported by {2})", down.Node + 1, down.Reason, down.Hub);
    }

    /// <summary>A watched subscriber, hub worker or cycle stopped.</summary>
    private void Watched(Terminated terminated)
    {
        _subscribers.Remove(terminated.ActorRef);
        if (_hubWorkers.Remove(terminated.ActorRef, out var lostHub))
        {
            // A hub's member left (a crash, a kill -9), maybe after its restart already registered again: a
            // step of the running cycle waiting on it fails now, not after the long-step timeout.
            if (_hubs.TryGetValue(lostHub, out var current) && current.Worker.Equals(terminated.ActorRef)) _hubs.Remove(lostHub);
            _log.Warning("hub {0} worker {1} is lost; the running cycle's steps at it fail now", lostHub, terminated.ActorRef.Path);
            _cycle?.Tell(new CycleHubLost(lostHub));
        }
        if (terminated.ActorRef.Equals(_cycle)) Crashed(); // stopped without reporting: it failed, and the next one may run
    }

    /// <summary>Hub B's capture reports its durable offset: continuous sync is on; the first report answers `sync follow`.</summary>
    private void CaptureIsRunning(CaptureRunning running)
    {
        _following = true;
        if (_followArming is null || running.From != _followArming) return;
        _followArming = null;
        foreach (var requester in _followRequesters) requester.Tell(new FollowStarted(running.From));
        _followRequesters.Clear();
    }

    protected override void PreStart()
    {
        Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.UnreachableMember), typeof(ClusterEvent.ReachableMember), typeof(ClusterEvent.MemberRemoved));
        var refresh = Context.System.Settings.Config.GetTimeSpan("actorsync.cdc.refresh-every", TimeSpan.FromMinutes(10));
        Timers.StartPeriodicTimer("refresh-cache", new RefreshCache(), refresh);
    }

    /// <summary>A hub member's continuous-sync actor, by name, or null if the hub is not registered.</summary>
    private ActorSelection? Cdc(string hub, string name) =>
        _hubs.TryGetValue(hub, out var known) ? Context.ActorSelection(new RootActorPath(known.Worker.Path.Address) / "user" / name) : null;

    /// <summary>Continuous sync starts with a verified snapshot cycle at a known binlog position (see <see cref="Finished"/>).</summary>
    private void StartFollowing(IActorRef? requester)
    {
        foreach (var hub in new[] { _settings.SourceHub, _settings.DestinationHub })
            if (!_hubs.ContainsKey(hub))
            {
                requester?.Tell(new FollowRefused($"hub {hub} is not registered; start it first (actorsync cluster show)"));
                return;
            }
        if (_mode == Recovery)
        {
            requester?.Tell(new FollowRefused("the source database is down (recovery mode); continuous sync starts once it is back"));
            return;
        }
        if (requester is not null) _followRequesters.Add(requester);
        if (_followPending) return;
        _followPending = true;
        _followAfterCycle = _cycleNumber;
        Schedule(CycleKinds.Sync, StartSync.OneWay, requester: null);
    }

    private void RefuseFollow(string reason)
    {
        _log.Warning("continuous sync refused: {0}", reason);
        _followArming = null;
        _followPending = false;
        foreach (var requester in _followRequesters) requester.Tell(new FollowRefused(reason));
        _followRequesters.Clear();
    }

    /// <summary>After a cycle: arm continuous sync from its snapshot, or (already following) have Hub C re-apply from it.</summary>
    private void FollowAfter(CycleReport report)
    {
        string position = _dataset?.LogPosition ?? "";
        if (_followPending && report.Cycle > _followAfterCycle && report.Kind == CycleKinds.Sync)
        {
            _followPending = false;
            if (!report.Verified) RefuseFollow($"the first snapshot did not verify: {report.Outcome}");
            else if (position.Length == 0)
                RefuseFollow("the source gave no binlog position for its snapshot: continuous sync needs MariaDB with --log-bin --binlog-format=ROW (docs/CDC.md)");
            else if (Cdc(_settings.DestinationHub, CdcSettings.ApplierName) is { } applier)
            {
                _followArming = position;
                applier.Tell(new FollowFrom(position, _dataset!.Catalog, Fresh: true));
            }
            return;
        }
        // A cycle that wrote batches to Hub C may have put rows back to its snapshot: Hub C re-applies the changes
        // after it, which the nodes keep until the batch cache covers them; and they may now compact up to it.
        if (_following && (report.Verified || report.Kind == CycleKinds.Recovery) && position.Length > 0)
            Cdc(_settings.DestinationHub, CdcSettings.ApplierName)?.Tell(new FollowFrom(position, _dataset!.Catalog, Fresh: false));
    }

    protected override void PostStop() => Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);

    private IEnumerable<int> NodesAt(Address address) =>
        _nodes.Where(n => n.Value.Path.Address.Equals(address)).Select(n => n.Key).ToArray();

    /// <summary>Registered, not reported down, and reachable.</summary>
    private bool Usable(int node) =>
        _nodes.TryGetValue(node, out var actor) && !_nodesDown.Contains(node) && !_unreachable.Contains(actor.Path.Address);

    private void Register(RegisterHub hub)
    {
        if (_hubs.TryGetValue(hub.Hub, out var known) && known.Supervisor.Equals(hub.Supervisor) && known.Worker.Equals(hub.Worker)) return;
        _hubs[hub.Hub] = (hub.Supervisor, hub.Worker);
        _hubWorkers[hub.Worker] = hub.Hub;
        Context.Watch(hub.Worker);
        _log.Info("hub {0} registered ({1})", hub.Hub, hub.Worker.Path);
        if (hub.Hub == _settings.SourceHub)
            foreach (var (node, actor) in _nodes) hub.Supervisor.Tell(new WatchNode(node, actor));
    }

    private void Register(RegisterNode node)
    {
        if (_nodes.TryGetValue(node.Node, out var known) && known.Equals(node.Ref)) return;
        // A new incarnation that nobody reported down: it restarted while Hub B's supervisor, which reports returns,
        // was itself down or restarting (the new supervisor never knew the old actor). It may have lost what it held.
        bool unseenRestart = _everRegistered.TryGetValue(node.Node, out var earlier) && !earlier.Equals(node.Ref) && !_nodesDown.Contains(node.Node);
        if (node.Node >= _settings.Nodes)
            _log.Warning("node {0} registered, but the placement has {1} nodes (actorsync.orchestrator.nodes); it is ignored", node.Node + 1, _settings.Nodes);
        _nodes[node.Node] = node.Ref;
        _everRegistered[node.Node] = node.Ref;
        _log.Info("node {0} registered ({1})", node.Node + 1, node.Ref.Path);
        // Hub B's supervisor owns the node group: it watches each node and reports NodeDown / NodeUp.
        if (_hubs.TryGetValue(_settings.SourceHub, out var source)) source.Supervisor.Tell(new WatchNode(node.Node, node.Ref));
        if (unseenRestart) Returned(node.Node, "a new incarnation registered");
    }

    /// <summary>A node is back: repair it (or recover, with the source down), once per incarnation however many report it.</summary>
    private void Returned(int node, string how)
    {
        if (!_everRegistered.TryGetValue(node, out var incarnation)) return;
        if (_returnHandled.TryGetValue(node, out var handled) && handled.Equals(incarnation)) return;
        _returnHandled[node] = incarnation;
        _log.Info("node {0} is back ({1})", node + 1, how);
        if (_settings.RepairWhenNodeReturns && _dataset is not null)
            Schedule(_mode == Normal ? CycleKinds.Repair : CycleKinds.Recovery, StartSync.OneWay, requester: null);
    }

    /// <summary>Runs a cycle now, or after the running one. Requests made meanwhile share the next cycle.</summary>
    private void Schedule(string kind, StartSync request, IActorRef? requester)
    {
        if (_cycle is null)
        {
            Begin(kind, request, requester is null ? [] : [requester]);
            return;
        }
        // A requested sync outranks an automatic repair or recovery waiting behind the running cycle.
        if (_next is null || kind == CycleKinds.Sync) _next = (kind, request, _next?.Requesters ?? []);
        if (requester is not null) _next.Value.Requesters.Add(requester);
    }

    private void Begin(string kind, StartSync request, List<IActorRef> requesters)
    {
        _cycleNumber++;
        // A requested sync while the source is down serves Hub C from the caches instead.
        if (kind == CycleKinds.Sync && _mode == Recovery) kind = CycleKinds.Recovery;
        var setup = new CycleSetup(_cycleNumber, kind, _mode, request, _settings,
            _nodes.Where(n => Usable(n.Key)).ToDictionary(n => n.Key, n => n.Value),
            _hubs.TryGetValue(_settings.SourceHub, out var source) ? source.Worker : null,
            _hubs.TryGetValue(_settings.DestinationHub, out var destination) ? destination.Worker : null,
            _dataset);
        _log.Info("cycle {0} ({1}) starts in {2} mode with node(s) {3}", _cycleNumber, kind, _mode, string.Join(", ", setup.Nodes.Keys.Order().Select(n => n + 1)));
        _cycle = Context.ActorOf(SyncCycle.Props(setup), $"cycle-{_cycleNumber}");
        _running = (kind, _mode, DateTime.UtcNow);
        _cycleCrash = null;
        _progress = new CycleProgress(_cycleNumber, kind, "starting", 0, 1);
        Context.Watch(_cycle);
        _waiting.Clear();
        _waiting.AddRange(requesters);
    }

    /// <summary>
    /// A cycle that throws is stopped, never restarted: a restart would run its steps again from the start, reverse
    /// writes to the source included. It ends as failed, with the exception named.
    /// </summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(error =>
    {
        _cycleCrash = $"{error.GetType().Name}: {error.Message}"; // its only children are cycles, one at a time
        _log.Error(error, "cycle {0} failed unexpectedly; it is stopped, not run again", _cycleNumber);
        return Directive.Stop;
    });

    private void Crashed()
    {
        var (kind, mode, startedAt) = _running ?? (CycleKinds.Sync, _mode, DateTime.UtcNow);
        var outcome = $"failed: the cycle stopped unexpectedly ({_cycleCrash ?? "no report"}); nothing more was done, and the next cycle starts afresh.";
        Finished(new CycleFinished(CycleReport.Ended(_cycleNumber, kind, mode, Coding.DeliveryCost.NameOf(_settings.Scheme), startedAt.ToString("O"),
            (long)(DateTime.UtcNow - startedAt).TotalMilliseconds, outcome), null));
    }

    private void Finished(CycleFinished finished)
    {
        if (_cycle is not null) Context.Unwatch(_cycle);
        _cycle = null;
        _progress = CycleProgress.Idle;
        _dataset = finished.Dataset ?? _dataset;
        _reports.Add(finished.Report);
        if (_reports.Count > HistoryKept) _reports.RemoveAt(0);
        foreach (var requester in _waiting) requester.Tell(finished.Report);
        _waiting.Clear();
        FollowAfter(finished.Report);
        if (_next is { } next)
        {
            _next = null;
            Begin(next.Kind, next.Request, next.Requesters);
        }
    }

    /// <returns>Whether the mode changed.</returns>
    private bool Switch(string to, string reason)
    {
        if (_mode == to) return false;
        var change = new ModeChanged(_mode, to, reason, DateTime.UtcNow.ToString("O"));
        _mode = to;
        _history.Add(change);
        if (_history.Count > HistoryKept) _history.RemoveAt(0);
        _log.Warning("mode {0} → {1}: {2}", change.From, change.To, reason);
        foreach (var subscriber in _subscribers) subscriber.Tell(change);
        return true;
    }
}
