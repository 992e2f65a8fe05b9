using ActorSync.Cluster.Protocol;
using Akka.Actor;
using Akka.Event;

namespace ActorSync.Cluster.Hubs;

/// <summary>
/// Supervises one hub (Hub B beside MySQL, Hub C beside SQLite): it probes the hub's database every interval
/// (1 s by default) and watches the hub's node actors, and tells <c>reportTo</c> (the orchestrator) about every
/// change: DatabaseDown/DatabaseUp on a state change, NodeDown when a watched node dies, NodeUp when it is back.
/// The probe is a plain async function from the database edge; a probe that outlives the interval counts as a failure.
/// Every <c>restateEvery</c> probes it repeats the current database state even without a change, so an orchestrator
/// that has just taken over (a singleton handover) learns it; the orchestrator treats repeats as no-ops.
/// </summary>
public sealed class HubSupervisor : ReceiveActor, IWithTimers
{
    private readonly string _hub;
    private readonly string _database;
    private readonly Func<CancellationToken, Task> _probe;
    private readonly TimeSpan _interval;
    private readonly IActorRef _reportTo;
    private readonly IActorRef? _worker;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<IActorRef, int> _watched = new();
    private readonly SortedSet<int> _down = new();
    private bool? _healthy;
    private string _lastError = "";
    private bool _probing;
    private readonly int _restateEvery;
    private int _probesSinceReport;

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="worker">The hub's database worker (<see cref="SourceHub"/> or <see cref="DestinationHub"/>), announced to
    /// <paramref name="reportTo"/> with <see cref="RegisterHub"/> at start and with every restatement.</param>
    public static Props Props(string hub, string database, Func<CancellationToken, Task> probe, TimeSpan interval, IActorRef reportTo,
        int restateEvery = 10, IActorRef? worker = null) =>
        Akka.Actor.Props.Create(() => new HubSupervisor(hub, database, probe, interval, reportTo, restateEvery, worker));

    public HubSupervisor(string hub, string database, Func<CancellationToken, Task> probe, TimeSpan interval, IActorRef reportTo,
        int restateEvery, IActorRef? worker)
    {
        if (interval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(interval), interval, "actorsync.hub.health-interval must be positive.");
        if (restateEvery < 1) throw new ArgumentOutOfRangeException(nameof(restateEvery), restateEvery, "actorsync.hub.restate-every must be at least 1.");
        _restateEvery = restateEvery;
        _hub = hub;
        _database = database;
        _probe = probe;
        _interval = interval;
        _reportTo = reportTo;
        _worker = worker;

        Receive<ProbeNow>(_ => Probe());
        Receive<ProbeResult>(Judge);
        Receive<WatchNode>(watch =>
        {
            if (_watched.ContainsKey(watch.Ref)) return;
            // A new actor for a watched node: it restarted before its old actor was seen dead (a fast restart on
            // the same address). It may have come back without its journal, so it counts as a return.
            var replaced = _watched.Where(w => w.Value == watch.Node).Select(w => w.Key).ToArray();
            foreach (var old in replaced)
            {
                _watched.Remove(old);
                Context.Unwatch(old);
            }
            Context.Watch(watch.Ref);
            _watched[watch.Ref] = watch.Node;
            if (_down.Remove(watch.Node) || replaced.Length > 0)
            {
                _log.Info("hub {0}: node {1} is back{2}", _hub, watch.Node + 1, replaced.Length > 0 ? " (restarted before it was seen down)" : "");
                _reportTo.Tell(new NodeUp(_hub, watch.Node));
            }
        });
        Receive<Terminated>(terminated =>
        {
            if (!_watched.Remove(terminated.ActorRef, out int node)) return;
            _down.Add(node);
            var reason = terminated.AddressTerminated ? "its member became unreachable" : "its actor stopped";
            _log.Warning("hub {0}: node {1} is down ({2})", _hub, node + 1, reason);
            _reportTo.Tell(new NodeDown(_hub, node, reason, terminated.ActorRef));
        });
        Receive<GetHubStatus>(_ => Sender.Tell(new HubStatus(_hub, _database, _healthy == true, _lastError,
            _watched.Values.Order().ToArray(), _down.ToArray())));
    }

    protected override void PreStart()
    {
        Register();
        Timers.StartPeriodicTimer("probe", ProbeNow.Instance, TimeSpan.Zero, _interval);
    }

    private void Register()
    {
        if (_worker is not null) _reportTo.Tell(new RegisterHub(_hub, Self, _worker));
    }

    private void Probe()
    {
        if (_probing) return; // the last probe is still out: its own timeout will judge it
        _probing = true;
        RunProbe().PipeTo(Self);
    }

    private async Task<ProbeResult> RunProbe()
    {
        using var timeout = new CancellationTokenSource(_interval);
        var cancellation = timeout.Token;
        try
        {
            await _probe(cancellation).WaitAsync(cancellation);
            return new ProbeResult(true, "");
        }
        catch (OperationCanceledException)
        {
            return new ProbeResult(false, $"no answer within {_interval.TotalMilliseconds:0} ms");
        }
        catch (Exception error)
        {
            return new ProbeResult(false, error.Message);
        }
    }

    private void Judge(ProbeResult result)
    {
        _probing = false;
        if (!result.Healthy) _lastError = result.Error;
        bool changed = _healthy != result.Healthy;
        if (!changed && ++_probesSinceReport < _restateEvery) return;
        _probesSinceReport = 0;
        _healthy = result.Healthy;
        if (changed && result.Healthy) _log.Info("hub {0}: database {1} is up", _hub, _database);
        if (changed && !result.Healthy) _log.Warning("hub {0}: database {1} is down: {2}", _hub, _database, result.Error);
        _reportTo.Tell(result.Healthy ? new DatabaseUp(_hub, _database) : new DatabaseDown(_hub, _database, result.Error));
        Register();
    }

    private sealed record ProbeNow : INoSerializationVerificationNeeded
    {
        public static readonly ProbeNow Instance = new();
    }

    private sealed record ProbeResult(bool Healthy, string Error) : INoSerializationVerificationNeeded;
}
