using System.Diagnostics;
using ActorSync.Cluster.Protocol;
using ActorSync.Coding;
using ActorSync.Coding.Planning;
using ActorSync.Data;
using Akka.Actor;
using Akka.Event;
using Akka.Streams;
using Akka.Streams.Dsl;

namespace ActorSync.Cluster.Hubs;

/// <summary>
/// Hub B's database worker, beside MySQL. A snapshot runs as one long task (its result comes back with
/// <c>PipeTo(Self)</c>, so the mailbox stays free and a release cancels it): it reads the source into key-hash batches,
/// seals their segments into a spool as they fill, and streams each sealed segment, and each XOR packet segment as
/// soon as its terms are sealed, to the relay through a back-pressured StreamRef (<see cref="SourceRouter"/> decides
/// what goes to whom). So the source is read while the nodes store, and a slow link slows the read instead of filling
/// memory. It also serves spooled batches for the gap fill and resolves reverse-sync changes. Every failure is
/// answered with <see cref="HubFailed"/> naming what broke; the database edge does the work.
/// </summary>
public sealed class SourceHub : ReceiveActor
{
    private readonly string _hub;
    private readonly ISyncSource _source;
    private readonly string? _spoolDirectory;
    private readonly LinkShaper? _link;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private Dataset? _dataset;
    private long _datasetId;
    private (long Dataset, CancellationTokenSource Cancel)? _running;
    private readonly IMaterializer _materializer = Context.Materializer();

    /// <param name="link">Shapes the source link (latency, bandwidth) for evaluation; null sends at once.</param>
    public static Props Props(string hub, ISyncSource source, string? spoolDirectory = null, LinkShaper? link = null) =>
        Akka.Actor.Props.Create(() => new SourceHub(hub, source, spoolDirectory, link));

    public SourceHub(string hub, ISyncSource source, string? spoolDirectory, LinkShaper? link)
    {
        _hub = hub;
        _source = source;
        _spoolDirectory = spoolDirectory;
        _link = link is { IsShaped: true } ? link : null;
        if (spoolDirectory is not null) // a kill -9 leaves spool files behind
            foreach (var orphan in Directory.EnumerateFiles(spoolDirectory, "actorsync-spool-*.tmp")) File.Delete(orphan);

        Receive<PrepareSnapshot>(Prepare);
        Receive<SnapshotDone>(Done);
        Receive<SnapshotAborted>(aborted =>
        {
            if (_running?.Dataset == aborted.Dataset) _running = null;
            _log.Warning("hub {0}: snapshot of dataset {1} failed: {2}", _hub, aborted.Dataset, aborted.Cause.Message);
            aborted.Requester.Tell(new HubFailed(_hub, "snapshot the source", aborted.Cause is DataEdgeException ? aborted.Cause.Message : aborted.Cause.ToString()));
        });
        Receive<OfferSegments>(Offer);
        Receive<ReleaseSnapshot>(release =>
        {
            if (_running is { } running && running.Dataset == release.Dataset) running.Cancel.Cancel();
            if (release.Dataset != _datasetId) return;
            _dataset?.Dispose();
            _dataset = null;
        });
        Receive<ResolveChanges>(Resolve);
        Receive<ResolveDone>(done => done.Requester.Tell(done.Reply));
    }

    protected override void PostStop()
    {
        _running?.Cancel.Cancel();
        _dataset?.Dispose();
    }

    private void Prepare(PrepareSnapshot prepare)
    {
        var requester = Sender;
        _running?.Cancel.Cancel();
        var cancel = new CancellationTokenSource();
        _running = (prepare.Dataset, cancel);
        SourceRouting routing;
        SegmentLayout layout;
        try
        {
            layout = prepare.Layout;
            routing = Routing(prepare);
        }
        catch (Exception error) when (error is ArgumentException or InvalidDataException)
        {
            requester.Tell(new HubFailed(_hub, "snapshot the source", error.Message));
            return;
        }
        var source = Source.Queue<IDataFrame>(16, OverflowStrategy.Backpressure);
        var shaped = _link is { } link
            ? source.SelectAsync(64, async frame => { await Task.Delay(link.DelayFor(PayloadBytes(frame))); return frame; })
            : source.MapMaterializedValue(queue => queue);
        var (queue, segments) = shaped.ToMaterialized(StreamRefs.SourceRef<IDataFrame>(), Keep.Both).Run(_materializer);
        var self = Self;
        SnapshotAsync(prepare, routing, layout, queue, segments, requester, self, cancel.Token)
            .PipeTo(self, self, done => done, error => new SnapshotAborted(prepare.Dataset, requester, error));
    }

    private static SourceRouting Routing(PrepareSnapshot prepare)
    {
        var r = prepare.Routing;
        Placement.Validate(r.Nodes, r.Redundancy, r.Eta);
        var placement = new Placement(r.Nodes, r.Redundancy, r.Eta);
        if (placement.BatchCount != prepare.BatchCount)
            throw new ArgumentException($"the placement ({r.Nodes}, {r.Redundancy}, {r.Eta}) has {placement.BatchCount} batches, not {prepare.BatchCount}.");
        if (!DeliveryCost.Names.TryGetValue(r.Scheme, out var scheme))
            throw new ArgumentException($"delivery scheme '{r.Scheme}' is not one of: {string.Join(", ", DeliveryCost.Names.Keys)}.");
        var previous = r.PreviousManifest.Length == 0 ? null : BatchManifest.Decode(r.PreviousManifest);
        var held = Enumerable.Range(0, r.HeldWhole.Length).ToDictionary(n => n, n => (IReadOnlySet<int>)r.HeldWhole[n].ToHashSet());
        return new SourceRouting(placement, scheme, r.Alive, previous, held);
    }

    /// <summary>The snapshot task: discover, announce the stream, read and route as segments seal, then the tails.</summary>
    private async Task<SnapshotDone> SnapshotAsync(PrepareSnapshot prepare, SourceRouting routing, SegmentLayout layout,
        ISourceQueueWithComplete<IDataFrame> queue, Task<ISourceRef<IDataFrame>> segments, IActorRef requester, IActorRef self, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            var tables = await _source.DiscoverAsync(SyncFilter.Decode(prepare.Filter), cancellation);
            if (tables.Count == 0) throw new DataEdgeException($"{_source.Name}: the database has no tables to sync.");
            long discovered = clock.ElapsedMilliseconds;
            requester.Tell(new SnapshotStarted(_hub, prepare.Dataset, new DatasetCatalog(tables, []).Encode(), await segments), self);
            var router = new SourceRouter(routing);
            var dataset = await Dataset.ReadAsync(_source, tables, prepare.BatchCount, _spoolDirectory, cancellation: cancellation, layout: layout,
                onSealed: async (sealedSegment, spool) =>
                {
                    foreach (var emission in router.Sealed(sealedSegment, layout.Size)) await OfferAsync(queue, Frame(prepare.Dataset, spool, emission));
                });
            try
            {
                foreach (var emission in router.Finished(dataset.Manifest)) await OfferAsync(queue, Frame(prepare.Dataset, dataset.Spool, emission));
                queue.Complete();
            }
            catch
            {
                dataset.Dispose();
                throw;
            }
            return new SnapshotDone(prepare.Dataset, dataset, requester, clock.ElapsedMilliseconds, discovered);
        }
        catch (Exception error)
        {
            queue.Fail(error);
            throw;
        }
    }

    private static async Task OfferAsync(ISourceQueueWithComplete<IDataFrame> queue, IDataFrame frame)
    {
        var result = await queue.OfferAsync(frame);
        if (result is not QueueOfferResult.Enqueued)
            throw new DataEdgeException(result is QueueOfferResult.Failure failure
                ? $"the relay stopped taking the snapshot's segments: {failure.Cause.Message}"
                : "the relay stopped taking the snapshot's segments.");
    }

    /// <summary>One emission as a frame for the relay, its segments read back from the spool.</summary>
    private static Routed Frame(long dataset, SegmentSpool spool, SourceEmission emission)
    {
        if (emission.Kind == SourcePacketKind.Xor)
        {
            var packet = XorSegmentPacket.Encode(emission.Packet, emission.Index, emission.Terms, emission.PaddedLength,
                (term, destination) => spool.ReadContent(term.Batch, emission.Index, destination));
            return new Routed(emission.Recipients, FrameKind.Xor, XorFrame.From(dataset, packet));
        }
        var term = emission.Terms[0];
        var payload = spool.ReadPadded(term.Batch, emission.Index, emission.PaddedLength);
        return new Routed(emission.Recipients, emission.Kind == SourcePacketKind.Placement ? FrameKind.Placement : FrameKind.Uncoded,
            new SegmentFrame(dataset, term.Batch, emission.Index, term.Length, term.Digest, payload));
    }

    private void Done(SnapshotDone done)
    {
        if (_running is { } running && running.Dataset != done.Dataset)
        {
            done.Snapshot.Dispose(); // a newer snapshot has started since
            return;
        }
        _running = null;
        _dataset?.Dispose();
        _dataset = done.Snapshot;
        _datasetId = done.Dataset;
        long rows = done.Snapshot.RowsPerTable.Values.Sum();
        _log.Info($"hub {_hub}: dataset {done.Dataset} snapshotted and streamed: {rows} rows in {done.Snapshot.BatchCount} batches of " +
                  $"{done.Snapshot.Manifest.BatchSize} bytes ({done.Snapshot.Manifest.SegmentCount} segments each), {done.Millis} ms ({done.DiscoveredMillis} ms of it discovering the tables)");
        done.Requester.Tell(new SnapshotPrepared(_hub, done.Dataset, done.Snapshot.Manifest.Encode(), done.Snapshot.Catalog.Encode(), rows, done.Millis, done.Snapshot.LogPosition));
    }

    /// <summary>Spooled batches, whole and padded, for the gap fill: a node lacks them and no live peer holds them.</summary>
    private void Offer(OfferSegments offer)
    {
        if (offer.Dataset != _datasetId || _dataset is null)
        {
            Sender.Tell(new HubFailed(_hub, "send spooled batches", $"dataset {offer.Dataset} is not the snapshot held here ({(_dataset is null ? "none" : _datasetId)}); run a new cycle."));
            return;
        }
        var manifest = _dataset.Manifest;
        if (offer.Offers.FirstOrDefault(o => (uint)o.Batch >= (uint)manifest.BatchCount) is { } outside)
        {
            Sender.Tell(new HubFailed(_hub, "send spooled batches", $"batch B{outside.Batch + 1} is outside dataset {offer.Dataset}'s {manifest.BatchCount} batches."));
            return;
        }
        var spool = _dataset.Spool;
        long dataset = offer.Dataset;
        Source.From(offer.Offers.SelectMany(o => Enumerable.Range(0, manifest.SegmentCount).Select(i => (o, i))))
            .Select(item => (IDataFrame)new Routed(item.o.Recipients, item.o.Kind, new SegmentFrame(dataset, item.o.Batch, item.i,
                manifest.ContentLength(item.o.Batch, item.i), manifest.SegmentDigest(item.o.Batch, item.i) ?? Digest.Empty,
                spool.ReadPadded(item.o.Batch, item.i, manifest.PaddedLength(item.i)))))
            .RunWith(StreamRefs.SourceRef<IDataFrame>(), _materializer)
            .PipeTo(Sender, Self, segments => new SegmentsOffered(-1, dataset, segments));
    }

    private void Resolve(ResolveChanges resolve)
    {
        var requester = Sender;
        var self = Self;
        ReverseStreams.ResolveAsync(_hub, _source, resolve, _materializer)
            .PipeTo(self, self, reply => new ResolveDone(requester, reply), error =>
            {
                _log.Warning("hub {0}: reverse sync failed: {1}", _hub, error.Message);
                return new ResolveDone(requester, new HubFailed(_hub, "write destination changes to the source", error.Message));
            });
    }

    private static long PayloadBytes(IDataFrame frame) => frame switch
    {
        Routed routed => PayloadBytes(routed.Frame),
        SegmentFrame s => s.Payload.Length,
        XorFrame x => x.Payload.Length,
        _ => 0,
    };

    private sealed record SnapshotDone(long Dataset, Dataset Snapshot, IActorRef Requester, long Millis, long DiscoveredMillis) : INoSerializationVerificationNeeded;

    private sealed record SnapshotAborted(long Dataset, IActorRef Requester, Exception Cause) : INoSerializationVerificationNeeded;

    private sealed record ResolveDone(IActorRef Requester, object Reply) : INoSerializationVerificationNeeded;
}
