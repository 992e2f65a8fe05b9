using ActorSync.Cluster.Protocol;
using ActorSync.Coding;
using Akka.Actor;
using Akka.Event;
using Akka.Streams;
using Akka.Streams.Dsl;

namespace ActorSync.Cluster.Nodes;

/// <summary>
/// A node's stream of a dataset to Hub C, a child of the node. It runs a <see cref="DestinationFeed"/> (which segments,
/// in which order) against the node's store and offers each segment to a back-pressured queue behind a StreamRef, one
/// offer at a time (<c>PipeTo(Self)</c>), so it waits for Hub C without blocking the node. The node tells it what
/// arrives and when the manifest is known; it completes the stream once every changed batch has gone, and stops.
/// </summary>
public sealed class DestinationFeeder : ReceiveActor
{
    private readonly int _node;
    private readonly long _dataset;
    private readonly SegmentStore _store;
    private readonly DestinationFeed _feed;
    private readonly LinkCounters? _counters;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private ISourceQueueWithComplete<IDataFrame>? _queue;
    private bool _offering;
    private long _bytes;

    /// <summary>Segments the node stored of some dataset.</summary>
    public sealed record Arrived(long Dataset, StoredSegment[] Segments) : INoSerializationVerificationNeeded;

    /// <summary>The node installed a dataset's manifest.</summary>
    public sealed record ManifestKnown(long Dataset, BatchManifest Manifest) : INoSerializationVerificationNeeded;

    /// <param name="materializer">The node's: the stream must outlive this actor, which stops once the last segment
    /// is queued, maybe before Hub C has even subscribed (a feed with nothing to send ends at once).</param>
    public static Props Props(int node, FeedDestination request, SegmentStore store, BatchManifest? previous, BatchManifest? current,
        IReadOnlyList<StoredSegment> arrived, IActorRef requester, LinkCounters? counters, IMaterializer materializer) =>
        Akka.Actor.Props.Create(() => new DestinationFeeder(node, request, store, previous, current, arrived, requester, counters, materializer));

    public DestinationFeeder(int node, FeedDestination request, SegmentStore store, BatchManifest? previous, BatchManifest? current,
        IReadOnlyList<StoredSegment> arrived, IActorRef requester, LinkCounters? counters, IMaterializer materializer)
    {
        _node = node;
        _dataset = request.Dataset;
        _store = store;
        _counters = counters;
        var roots = request.Roots.Select(r => r.Length == 0 ? null : r).ToArray();
        _feed = new DestinationFeed(request.BatchCount, request.SegmentSize, previous, roots, request.ReplaceAll, store.Has);
        foreach (var segment in arrived) _feed.Arrived(segment.Batch, segment.Index, SegmentId.Of(segment.Digest), segment.Length);
        if (current is not null) _feed.Manifest(current);

        var (queue, segments) = Source.Queue<IDataFrame>(16, OverflowStrategy.Backpressure)
            .ToMaterialized(StreamRefs.SourceRef<IDataFrame>(), Keep.Both)
            .Run(materializer);
        _queue = queue;
        queue.WatchCompletionAsync().PipeTo(Self, Self, () => StreamEnded.Instance, error => new StreamFailed(error));
        segments.PipeTo(requester, Self, sourceRef => new DestinationFeedOffered(_node, _dataset, sourceRef));

        Receive<Arrived>(a =>
        {
            if (a.Dataset != _dataset) return;
            foreach (var segment in a.Segments) _feed.Arrived(segment.Batch, segment.Index, SegmentId.Of(segment.Digest), segment.Length);
            Pump();
        });
        Receive<ManifestKnown>(m =>
        {
            if (m.Dataset != _dataset) return;
            _feed.Manifest(m.Manifest);
            Pump();
        });
        Receive<Offered>(offered =>
        {
            _offering = false;
            if (offered.Result is QueueOfferResult.Enqueued) Pump();
            else Stop($"the stream to Hub C took no more ({offered.Result})");
        });
        Receive<StreamEnded>(_ =>
        {
            _log.Info("node {0}: dataset {1} sent to Hub C: {2} batch(es), {3:N0} bytes", _node + 1, _dataset, _feed.BatchesServed, _bytes);
            Context.Stop(Self);
        });
        Receive<StreamFailed>(failed => Stop($"the stream to Hub C failed: {failed.Cause.Message}"));
        Pump();
    }

    private void Pump()
    {
        if (_offering || _queue is null) return;
        if (_feed.TryNext(out var item))
        {
            var payload = new byte[item.PaddedLength];
            int length = _store.Read(item.Id, payload);
            if (length < 0)
            {
                Stop($"segment {item.Index} of batch B{item.Batch + 1} is gone from the store");
                return;
            }
            _bytes += payload.Length;
            _counters?.Count(LinkCounters.NodeEgress(_node), payload.Length);
            _offering = true;
            _queue.OfferAsync(new SegmentFrame(_dataset, item.Batch, item.Index, length, item.Id.ToBytes(), payload))
                .PipeTo(Self, Self, result => new Offered(result), error => new Offered(new QueueOfferResult.Failure(error)));
            return;
        }
        if (_feed.IsComplete)
        {
            _queue.Complete();
            _queue = null;
        }
    }

    private void Stop(string reason)
    {
        _log.Warning("node {0}: stream of dataset {1} to Hub C ended early: {2}", _node + 1, _dataset, reason);
        _queue?.Fail(new IOException(reason));
        Context.Stop(Self);
    }

    private sealed record Offered(IQueueOfferResult Result) : INoSerializationVerificationNeeded;

    private sealed record StreamEnded : INoSerializationVerificationNeeded
    {
        public static readonly StreamEnded Instance = new();
    }

    private sealed record StreamFailed(Exception Cause) : INoSerializationVerificationNeeded;
}
