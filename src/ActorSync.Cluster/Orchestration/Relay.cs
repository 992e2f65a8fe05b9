using System.Collections.Concurrent;
using ActorSync.Cluster.Protocol;
using Akka;
using Akka.Streams;
using Akka.Streams.Dsl;

namespace ActorSync.Cluster.Orchestration;

/// <summary>
/// The relay at Hub A, where the scarce source link fans out to the nodes. Each round, every target node opens an
/// inbox (a StreamRefs sink); the relay puts a merge hub in front of each, so any number of incoming streams (the
/// source's, peers') can feed it. Each incoming frame is counted on its links once, then forwarded to each of its
/// recipients' inboxes. Back-pressure runs end to end: the slowest recipient sets the pace, and memory is bounded by
/// the streams' buffers. A node lost mid-stream is cut off alone (<see cref="Drop"/>): the other streams go on, and
/// what it had in flight is refilled later. Not an actor: the cycle drives it and hears of its streams' ends.
/// </summary>
public sealed class Relay(IMaterializer materializer, LinkCounters links)
{
    private const int PerProducerBuffer = 16;
    private readonly ConcurrentDictionary<int, (Sink<IDataFrame, NotUsed> Hub, UniqueKillSwitch Switch)> _inboxes = new();
    private readonly ConcurrentDictionary<(FrameKind Kind, long Packet), byte> _packets = new();
    private readonly ConcurrentDictionary<(FrameKind Kind, long Packet, int Node), byte> _deliveries = new();

    public IReadOnlyCollection<int> Inboxes => _inboxes.Keys.ToArray();

    /// <summary>Distinct batch-sized packets of a kind that crossed the relay.</summary>
    public int Packets(FrameKind kind) => _packets.Keys.Count(k => k.Kind == kind);

    /// <summary>Distinct (packet, node) deliveries of a kind: a batch repaired on two nodes counts two.</summary>
    public int Deliveries(FrameKind kind) => _deliveries.Keys.Count(k => k.Kind == kind);

    public void OpenInbox(int node, ISinkRef<IDataFrame> inbox)
    {
        Drop(node);
        var (hub, killSwitch) = MergeHub.Source<IDataFrame>(PerProducerBuffer)
            .ViaMaterialized(KillSwitches.Single<IDataFrame>(), Keep.Both)
            .To(inbox.Sink)
            .Run(materializer);
        _inboxes[node] = (hub, killSwitch);
    }

    /// <summary>Forwards a stream from <paramref name="origin"/> (a node, or <see cref="Planning.CyclePlanner.Source"/>) to the inboxes.
    /// The task ends when the stream does; it fails if the stream failed.</summary>
    public Task<Done> Run(int origin, ISourceRef<IDataFrame> stream)
    {
        var targets = _inboxes.ToArray();
        string egress = origin < 0 ? LinkCounters.SourceEgress : LinkCounters.NodeEgress(origin);
        var sink = targets.Length == 0 ? Sink.Ignore<Routed>().MapMaterializedValue(_ => NotUsed.Instance) : Sink.FromGraph(GraphDsl.Create(builder =>
        {
            var broadcast = builder.Add(new Broadcast<Routed>(targets.Length, eagerCancel: false));
            for (int i = 0; i < targets.Length; i++)
            {
                uint bit = 1u << targets[i].Key;
                var forward = builder.Add(Flow.Create<Routed>().Where(r => (r.Recipients & bit) != 0).Select(r => r.Frame));
                builder.From(broadcast.Out(i)).Via(forward).To(targets[i].Value.Hub);
            }
            return new SinkShape<Routed>(broadcast.In);
        }));
        return stream.Source
            .Select(frame => frame as Routed ?? throw new InvalidDataException($"the relay takes routed frames, not {frame.GetType().Name}."))
            .Select(routed => Count(routed, egress))
            .WatchTermination(Keep.Right)
            .To(sink)
            .Run(materializer);
    }

    /// <summary>Cuts a node off: its inbox fails, and streams go on without it.</summary>
    public void Drop(int node)
    {
        if (_inboxes.TryRemove(node, out var inbox)) inbox.Switch.Abort(new IOException($"node {node + 1} was left out of the cycle."));
    }

    /// <summary>Ends the round: every inbox completes once what is in flight has gone.</summary>
    public void CloseInboxes()
    {
        foreach (var inbox in _inboxes.Values) inbox.Switch.Shutdown();
        _inboxes.Clear();
    }

    private Routed Count(Routed routed, string egress)
    {
        var (packet, bytes) = routed.Frame switch
        {
            SegmentFrame s => ((long)s.Batch, (long)s.Payload.Length),
            XorFrame x => (x.Packet, x.Payload.Length),
            RlncFrame r => (((long)r.Sender << 32) | (uint)r.Sequence, r.Payload.Length),
            _ => (0L, 0L),
        };
        long key = ((long)routed.Kind << 56) ^ packet;
        _packets.TryAdd((routed.Kind, packet), 0);
        links.CountSegment(egress, key, bytes);
        string? purpose = routed.Kind switch
        {
            FrameKind.Repair => LinkCounters.PeerRepair,
            FrameKind.Fallback => LinkCounters.Fallback,
            FrameKind.Recovery => LinkCounters.PeerRecovery,
            _ => null,
        };
        if (purpose is not null) links.CountSegment(purpose, key, bytes);
        foreach (var node in ActorSync.Coding.Combinatorics.Members(routed.Recipients))
        {
            if (!_inboxes.ContainsKey(node)) continue;
            _deliveries.TryAdd((routed.Kind, packet, node), 0);
            links.CountSegment(LinkCounters.Relay, key, bytes, copy: node);
            links.CountSegment(LinkCounters.NodeIngress(node), key, bytes);
        }
        return routed;
    }
}
