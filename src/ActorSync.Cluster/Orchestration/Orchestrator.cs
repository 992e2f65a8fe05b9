using ActorSync.Cluster.Protocol;
using Akka.Actor;
using Akka.Cluster.Tools.Singleton;
using Akka.Event;

namespace ActorSync.Cluster.Orchestration;

/// <summary>
/// Hub A, one per cluster (a cluster singleton on the members with the orchestrator role, so losing its member moves
/// it). It owns the mode: <c>normal</c> while the source is healthy; <c>recovery</c> when Hub B reports the source
/// database down, so nodes rebuild from each other; back to <c>normal</c>, with recovery reset, when it returns.
/// Every change is logged and sent to subscribers. It also keeps what the hubs report about Hub C and the nodes.
/// </summary>
public sealed class Orchestrator : ReceiveActor
{
    public const string Normal = "normal";
    public const string Recovery = "recovery";
    public const int HistoryKept = 50;

    private readonly string _sourceHub;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly List<ModeChanged> _history = [];
    private readonly HashSet<IActorRef> _subscribers = [];
    private readonly SortedSet<int> _nodesDown = [];
    private string _mode = Normal;
    private bool _sourceHealthy = true;
    private bool _destinationHealthy = true;

    public static Props Props(string sourceHub = "hub-b") => Akka.Actor.Props.Create(() => new Orchestrator(sourceHub));

    /// <summary>The singleton manager, started on every member with the orchestrator role.</summary>
    public static Props SingletonProps(ActorSystem system, string sourceHub = "hub-b") =>
        ClusterSingletonManager.Props(Props(sourceHub), PoisonPill.Instance,
            ClusterSingletonManagerSettings.Create(system).WithRole("orchestrator"));

    /// <summary>A proxy that always reaches the current singleton, from any member.</summary>
    public static Props ProxyProps(ActorSystem system, string managerPath = "/user/orchestrator") =>
        ClusterSingletonProxy.Props(managerPath, ClusterSingletonProxySettings.Create(system).WithRole("orchestrator"));

    public Orchestrator(string sourceHub)
    {
        _sourceHub = sourceHub;
        Receive<DatabaseDown>(down =>
        {
            if (down.Hub == _sourceHub)
            {
                _sourceHealthy = false;
                Switch(Recovery, $"source database {down.Database} down: {down.Reason}");
            }
            else
            {
                _destinationHealthy = false;
                _log.Warning("destination database {0} at {1} is down: {2}; applies wait until it returns", down.Database, down.Hub, down.Reason);
            }
        });
        Receive<DatabaseUp>(up =>
        {
            if (up.Hub == _sourceHub)
            {
                _sourceHealthy = true;
                Switch(Normal, $"source database {up.Database} is back; recovery reset");
            }
            else _destinationHealthy = true;
        });
        Receive<NodeDown>(down =>
        {
            _nodesDown.Add(down.Node);
            _log.Warning("node {0} is down ({1}, reported by {2})", down.Node + 1, down.Reason, down.Hub);
        });
        Receive<NodeUp>(up =>
        {
            _nodesDown.Remove(up.Node);
            _log.Info("node {0} is back (reported by {1})", up.Node + 1, up.Hub);
        });
        Receive<SubscribeModes>(subscribe =>
        {
            _subscribers.Add(subscribe.Subscriber);
            Context.Watch(subscribe.Subscriber);
        });
        Receive<Terminated>(terminated => _subscribers.Remove(terminated.ActorRef));
        Receive<GetMode>(_ => Sender.Tell(new ModeStatus(_mode, _sourceHealthy, _destinationHealthy, _nodesDown.ToArray(), _history.ToArray())));
    }

    private void Switch(string to, string reason)
    {
        if (_mode == to) return;
        var change = new ModeChanged(_mode, to, reason, DateTime.UtcNow.ToString("O"));
        _mode = to;
        _history.Add(change);
        if (_history.Count > HistoryKept) _history.RemoveAt(0);
        _log.Warning("mode {0} → {1}: {2}", change.From, change.To, reason);
        foreach (var subscriber in _subscribers) subscriber.Tell(change);
    }
}
