using ActorSync.Cluster.Protocol;
using Akka.Actor;
using Akka.Event;

namespace ActorSync.Cluster.Nodes;

/// <summary>
/// Chaos testing only: an actor in front of a node's inbox streams that damages frames as a <see cref="PacketGremlin"/>
/// says, then passes them on to the node. It stands between the stream and the node with the same acks, so the
/// stream's back-pressure is kept: duplicates go one after the other, and a reordered frame is held back until the
/// next one has gone (or 500 ms have passed, or the stream ends). The node never knows it is there.
/// </summary>
public sealed class PacketGremlinActor : ReceiveActor, IWithTimers
{
    private readonly int _node;
    private readonly PacketGremlin _gremlin;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Queue<object> _toNode = new();
    private IActorRef? _target;
    private IActorRef? _stage;
    private object? _held;
    private bool _inFlight;
    private bool _stageWaiting;

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(int node, string armOnStart = "") => Akka.Actor.Props.Create(() => new PacketGremlinActor(node, armOnStart));

    public PacketGremlinActor(int node, string armOnStart)
    {
        _node = node;
        _gremlin = new PacketGremlin(node);
        if (armOnStart.Length > 0 && _gremlin.Arm(armOnStart) is { } refused)
            throw new ArgumentException($"actorsync.chaos.arm-on-start: {refused}", nameof(armOnStart));

        Receive<InboxFront>(front => _target = front.Node);
        Receive<ArmPacketFault>(Arm);
        Receive<InboxAck>(_ => Delivered());
        Receive<ReleaseHeld>(_ => Release());
        Receive<InboxStarted>(started => FromStage(started));
        Receive<InboxCompleted>(completed => FromStage(completed, last: true));
        Receive<InboxFailed>(failed => FromStage(failed, last: true));
        Receive<IDataFrame>(frame => FromStage(frame));
    }

    private void FromStage(object message, bool last = false)
    {
        _stage = Sender;
        if (message is IDataFrame && _gremlin.Fault is not null)
        {
            var (now, hold) = _gremlin.Pass(message);
            _log.Warning("node {0}: chaos: frame {1} arrives {2}", _node + 1, message.GetType().Name, hold ? "held back" : $"as {now.Count} ({_gremlin.Damaged} damaged so far)");
            if (hold)
            {
                Release();
                _held = message;
                Timers.StartSingleTimer(ReleaseHeld.Instance, ReleaseHeld.Instance, TimeSpan.FromMilliseconds(500));
                _stage.Tell(InboxAck.Instance); // the next frame overtakes this one
                return;
            }
            foreach (var copy in now) _toNode.Enqueue(copy);
        }
        else
        {
            if (last && _held is not null) Release();
            _toNode.Enqueue(message);
        }
        if (_held is not null && message is IDataFrame) Release(); // a reordered frame goes after the one that overtook it
        _stageWaiting = message is not InboxCompleted and not InboxFailed;
        Forward();
    }

    private void Release()
    {
        if (_held is null) return;
        Timers.Cancel(ReleaseHeld.Instance);
        _toNode.Enqueue(_held);
        _held = null;
        Forward();
    }

    private void Forward()
    {
        if (_inFlight || _target is null || !_toNode.TryDequeue(out var next)) return;
        _inFlight = next is not InboxCompleted and not InboxFailed;
        _target.Tell(next, Self);
        if (!_inFlight) Forward();
    }

    private void Delivered()
    {
        _inFlight = false;
        if (_toNode.Count > 0) { Forward(); return; }
        if (!_stageWaiting || _stage is null) return;
        _stageWaiting = false;
        _stage.Tell(InboxAck.Instance);
    }

    private void Arm(ArmPacketFault arm)
    {
        string refused = arm.Count == 0 ? "" : _gremlin.Arm(arm.Fault, arm.Count, arm.Kind) ?? "";
        if (refused.Length == 0 && arm.Count > 0)
            _log.Warning("node {0}: chaos: the next {1} {2} frame(s) will be damaged: {3}", _node + 1, arm.Count, arm.Kind, arm.Fault);
        Sender.Tell(new PacketFaultArmed(_node, _gremlin.Fault ?? "", _gremlin.Remaining, _gremlin.Damaged, refused));
    }

    private sealed record ReleaseHeld : INoSerializationVerificationNeeded
    {
        public static readonly ReleaseHeld Instance = new();
    }
}
