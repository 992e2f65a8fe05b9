using ActorSync.Cluster.Protocol;
using ActorSync.Coding;
using Akka.Actor;
using Akka.Event;
using Akka.Pattern;
using Akka.Persistence;
using Akka.Streams;
using Akka.Streams.Dsl;

namespace ActorSync.Cluster.Nodes;

/// <summary>A node's settings (actorsync.node in hocon/base.conf).</summary>
/// <param name="StoreDirectory">Where the node's segment store lives.</param>
/// <param name="JournalWindow">How many stored segments are journaled together (one write per window).</param>
/// <param name="MaxHeldBytes">XOR packets waiting for more of their terms past this are dropped (the gap fill covers them).</param>
public sealed record NodeSettings(int SnapshotEvery, string StoreDirectory, TimeSpan RegisterEvery, int JournalWindow = 64, long MaxHeldBytes = 32L << 20)
{
    public void Validate()
    {
        if (SnapshotEvery < 1) throw new ArgumentOutOfRangeException(nameof(SnapshotEvery), SnapshotEvery, "actorsync.node.snapshot-every must be at least 1.");
        if (RegisterEvery <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(RegisterEvery), RegisterEvery, "actorsync.node.register-every must be positive.");
        if (JournalWindow < 1) throw new ArgumentOutOfRangeException(nameof(JournalWindow), JournalWindow, "actorsync.node.journal-window must be at least 1.");
    }
}

/// <summary>
/// One cache node, a thin actor over pure parts: <see cref="NodeCache"/> (what it holds, rebuilt from its journal),
/// <see cref="SegmentStore"/> (the segment bytes, on disk) and <see cref="NodeInbox"/> (what each incoming frame does).
/// <list type="bullet">
/// <item>Frames stream in through a per-round inbox (a StreamRefs sink acked by this actor, so the sender is
/// back-pressured by the node's own pace). Stored segments are journaled a window at a time; the journal and its
/// snapshots hold metadata only.</item>
/// <item>At start it checks every segment its journal claims against its digest: a missing or damaged one is dropped
/// (repair refills it), never served; orphaned files are deleted.</item>
/// <item>It streams segments out on request: whole batches to peers (repair, gap fill), RLNC packets (recovery),
/// and the dataset to Hub C (<see cref="DestinationFeeder"/>).</item>
/// </list>
/// </summary>
public sealed class NodeActor : ReceivePersistentActor, IWithTimers
{
    private readonly int _node;
    private readonly NodeSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly LinkCounters? _counters;
    private readonly IActorRef? _registry;
    private readonly IActorRef? _front;
    private readonly NodeCache _cache = new();
    private readonly SegmentStore _store;
    private readonly List<StoredSegment> _unjournaled = [];
    private readonly Dictionary<int, (IActorRef Requester, int Stored, int Rejected, int Decoded, int Dropped)> _rounds = new();
    private readonly HashSet<IActorRef> _feeders = [];
    private readonly Random _random = new();
    private NodeInbox? _inbox;
    private long _unjournaledDataset;
    private int _eventsSinceSnapshot;
    private int _sequence;
    private readonly IMaterializer _materializer = Context.Materializer();

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="registry">The orchestrator (a singleton proxy): told <see cref="RegisterNode"/> once the journal is
    /// replayed and every register-every after, so an orchestrator that just took over learns the node.</param>
    /// <param name="front">Chaos testing only: the actor the inbox streams into first (a packet gremlin), which passes frames on.</param>
    public static Props Props(int node, NodeSettings settings, LinkCounters? counters = null, IActorRef? registry = null, IActorRef? front = null)
    {
        settings.Validate();
        return Akka.Actor.Props.Create(() => new NodeActor(node, settings, counters, registry, front));
    }

    /// <summary>
    /// The node under a supervisor that starts it again whenever it stops. A persistent actor stops itself when its
    /// journal replay fails (a replay timeout on a loaded machine, its journal database briefly away); without this the
    /// node would stay silent until its process restarted. Messages to the supervisor reach the node.
    /// </summary>
    public static Props Supervised(Props node, TimeSpan minBackoff, TimeSpan maxBackoff)
    {
        if (minBackoff <= TimeSpan.Zero || maxBackoff < minBackoff)
            throw new ArgumentException($"actorsync.node.restart-backoff: min ({minBackoff}) must be positive and at most max ({maxBackoff}).");
        return BackoffSupervisor.Props(Backoff.OnStop(node, "cache", minBackoff, maxBackoff, randomFactor: 0.2, maxNrOfRetries: -1));
    }

    public static string PersistenceIdFor(int node) => $"actorsync-node-{node + 1}";

    public override string PersistenceId => PersistenceIdFor(_node);

    public NodeActor(int node, NodeSettings settings, LinkCounters? counters, IActorRef? registry, IActorRef? front)
    {
        _node = node;
        _settings = settings;
        _counters = counters;
        _registry = registry;
        _front = front;
        _store = new SegmentStore(settings.StoreDirectory);

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is NodeCacheSnapshot snapshot) _cache.Apply(snapshot);
        });
        Recover<INodeEvent>(_cache.Apply);
        Recover<RecoveryCompleted>(_ => Started());

        Command<Reregister>(_ => _registry?.Tell(new RegisterNode(_node, Self)));
        Command<GetHoldings>(_ =>
        {
            var (whole, partial) = _cache.Batches();
            Sender.Tell(new Holdings(_node, _cache.Dataset, whole, partial, JournalBytes(), _store.Bytes));
        });
        Command<GetManifest>(_ => Sender.Tell(new NodeManifest(_node, _cache.Dataset, _cache.Manifest?.Encode() ?? [], _cache.Catalog)));
        Command<StoreManifest>(StoreManifest);
        Command<DropCache>(_ => DropCache());

        Command<OpenInbox>(Open);
        Command<InboxStarted>(_ => Sender.Tell(InboxAck.Instance));
        Command<IDataFrame>(Arrive);
        Command<InboxCompleted>(done => Close(done.Round, ""));
        Command<InboxFailed>(failed => Close(failed.Round, failed.Cause.Message));
        Command<FlushJournal>(_ => JournalStored());

        Command<OfferSegments>(OfferSegments);
        Command<OfferRecovery>(OfferRecovery);
        Command<SolveRecovery>(Solve);
        Command<FeedDestination>(Feed);
        Command<Terminated>(terminated => _feeders.Remove(terminated.ActorRef));
        Command<ArmPacketFault>(_ => Sender.Tell(new PacketFaultArmed(_node, "", 0, 0, "packet faults are off on this node (actorsync.chaos.enabled = off)")));

        Command<SaveSnapshotSuccess>(success =>
        {
            // The snapshot is durable: older events and snapshots are no longer needed for recovery.
            DeleteMessages(success.Metadata.SequenceNr);
            DeleteSnapshots(new SnapshotSelectionCriteria(success.Metadata.SequenceNr - 1));
        });
        Command<SaveSnapshotFailure>(failure => _log.Warning("node {0} could not save a snapshot: {1}", _node + 1, failure.Cause.Message));
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(failure => _log.Warning("node {0} could not trim its journal: {1}", _node + 1, failure.Cause.Message));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(failure => _log.Warning("node {0} could not delete old snapshots: {1}", _node + 1, failure.Cause.Message));
    }

    protected override void PostStop()
    {
        _inbox?.Dispose();
        _store.Dispose();
        base.PostStop();
    }

    /// <summary>The journal is replayed: check what it claims against the store, drop what fails, delete orphans.</summary>
    private void Started()
    {
        var claimed = _cache.Referenced();
        _store.Adopt(_cache.Locations);
        var lost = claimed.Where(id => !_store.Verify(id)).ToHashSet();
        int dropped = lost.Count == 0 ? 0 : _cache.Drop(lost);
        _store.Retain(_cache.Referenced()); // packs a crash left, that no journal entry names
        var (whole, _) = _cache.Batches();
        _log.Info("node {0} recovered {1} whole batch(es) of dataset {2} from its journal ({3} segments checked{4})", _node + 1, whole.Length, _cache.Dataset,
            claimed.Count, dropped > 0 ? $", {dropped} missing or damaged and dropped" : "");
        _front?.Tell(new InboxFront(Self));
        if (_registry is null) return;
        _registry.Tell(new RegisterNode(_node, Self));
        Timers.StartPeriodicTimer("register", Reregister.Instance, _settings.RegisterEvery);
    }

    private void StoreManifest(StoreManifest store)
    {
        var requester = Sender;
        if (store.Dataset < _cache.Dataset || (store.Dataset == _cache.Dataset && _cache.Manifest is { } held && held.Encode().AsSpan().SequenceEqual(store.Manifest)))
        {
            requester.Tell(Stored()); // older, or already held
            return;
        }
        BatchManifest manifest;
        try { manifest = BatchManifest.Decode(store.Manifest); }
        catch (InvalidDataException error)
        {
            requester.Tell(new HubFailed($"node-{_node + 1}", "store the manifest", error.Message));
            return;
        }
        JournalStored(); // segments of this dataset that arrived first go in before the manifest
        Persist(new ManifestCached(store.Dataset, store.Manifest, store.Catalog), cached =>
        {
            _cache.Apply(cached);
            int deleted = _store.Retain(_cache.Referenced());
            if (deleted > 0) _log.Info("node {0}: dataset {1} installed; {2} segment(s) of older datasets deleted", _node + 1, cached.Dataset, deleted);
            foreach (var feeder in _feeders) feeder.Tell(new DestinationFeeder.ManifestKnown(cached.Dataset, manifest));
            SaveSnapshotSoon(force: false);
            requester.Tell(Stored());
        });
    }

    private ManifestStored Stored()
    {
        var (whole, partial) = _cache.Batches();
        return new ManifestStored(_node, _cache.Dataset, whole, partial);
    }

    private void DropCache()
    {
        var requester = Sender;
        JournalStored();
        Persist(CacheCleared.Instance, _ =>
        {
            _cache.Apply(CacheCleared.Instance);
            _inbox?.Dispose();
            _inbox = null;
            _store.Retain(_cache.Referenced());
            _log.Warning("node {0} dropped its cache on request", _node + 1);
            SaveSnapshotSoon(force: true);
            requester.Tell(new CacheDropped(_node));
        });
    }

    private void Open(OpenInbox open)
    {
        if (_inbox?.Dataset != open.Dataset)
        {
            _inbox?.Dispose();
            _inbox = new NodeInbox(_node, open.Dataset, _store, _cache, _settings.MaxHeldBytes);
        }
        _rounds[open.Round] = (Sender, 0, 0, 0, 0);
        var target = _front ?? Self;
        StreamRefs.SinkRef<IDataFrame>()
            .To(Sink.ActorRefWithAck<IDataFrame>(target, new InboxStarted(open.Round), InboxAck.Instance, new InboxCompleted(open.Round), cause => new InboxFailed(open.Round, cause)))
            .Run(_materializer)
            .PipeTo(Sender, Self, inbox => new InboxOpened(_node, open.Dataset, open.Round, inbox));
    }

    /// <summary>A frame from an inbox stream: stored or decoded, journaled in windows; the ack asks for the next.</summary>
    private void Arrive(IDataFrame frame)
    {
        var stage = Sender;
        var outcome = _inbox?.Accept(frame) ?? new InboxOutcome([], true, 0, 0, $"node {_node + 1}: a frame arrived with no inbox open.");
        long bytes = frame switch { SegmentFrame s => s.Payload.Length, XorFrame x => x.Payload.Length, RlncFrame r => r.Payload.Length, _ => 0 };
        _counters?.Count(LinkCounters.NodeIngress(_node), bytes);
        if (outcome.Problem is not null) _log.Warning("{0}", outcome.Problem);
        foreach (var round in _rounds.Keys.ToArray())
        {
            var r = _rounds[round];
            _rounds[round] = (r.Requester, r.Stored + outcome.Stored.Count, r.Rejected + (outcome.Rejected ? 1 : 0), r.Decoded + outcome.Decoded, r.Dropped + outcome.Dropped);
        }
        if (outcome.Stored.Count > 0)
        {
            if (_unjournaledDataset != _inbox!.Dataset) JournalStored();
            _unjournaledDataset = _inbox.Dataset;
            _unjournaled.AddRange(outcome.Stored);
            if (_unjournaled.Count >= _settings.JournalWindow) JournalStored();
            else Timers.StartSingleTimer(FlushJournal.Instance, FlushJournal.Instance, TimeSpan.FromMilliseconds(20));
        }
        stage.Tell(InboxAck.Instance);
    }

    /// <summary>Journals the segments stored since the last window, in one write that does not hold up the inbox.</summary>
    private void JournalStored()
    {
        if (_unjournaled.Count == 0) return;
        var stored = new SegmentsStored(_unjournaledDataset, [.. _unjournaled]);
        _unjournaled.Clear();
        PersistAsync(stored, persisted =>
        {
            _cache.Apply(persisted);
            foreach (var feeder in _feeders) feeder.Tell(new DestinationFeeder.Arrived(persisted.Dataset, persisted.Segments));
            SaveSnapshotSoon(force: false);
        });
    }

    private void Close(int round, string error)
    {
        JournalStored();
        if (!_rounds.Remove(round, out var r)) return;
        if (error.Length > 0) _log.Warning("node {0}: inbox of round {1} failed: {2}", _node + 1, round, error);
        long dataset = _inbox?.Dataset ?? _cache.Dataset;
        DeferAsync(round, _ => r.Requester.Tell(new InboxClosed(_node, dataset, round, r.Stored, r.Rejected, r.Decoded, r.Dropped, error)));
    }

    /// <summary>Whole batches to peers through the relay, read from the store segment by segment as the stream pulls.</summary>
    private void OfferSegments(OfferSegments offer)
    {
        if (_cache.Dataset != offer.Dataset || _cache.Manifest is not { } manifest)
        {
            Sender.Tell(new HubFailed($"node-{_node + 1}", "offer segments", $"it holds dataset {_cache.Dataset}, not {offer.Dataset}."));
            return;
        }
        var missing = offer.Offers.Where(o => (uint)o.Batch >= (uint)manifest.BatchCount || !_cache.HoldsWhole(o.Batch)).Select(o => $"B{o.Batch + 1}").ToArray();
        if (missing.Length > 0)
        {
            Sender.Tell(new HubFailed($"node-{_node + 1}", "offer segments", $"it no longer holds {string.Join(", ", missing)} whole."));
            return;
        }
        var store = _store;
        var items = offer.Offers.SelectMany(o => Enumerable.Range(0, manifest.SegmentCount).Select(i => (o, i)));
        Source.From(items)
            .Select(item => (IDataFrame)new Routed(item.o.Recipients, item.o.Kind, ReadFrame(store, manifest, offer.Dataset, item.o.Batch, item.i)))
            .RunWith(StreamRefs.SourceRef<IDataFrame>(), _materializer)
            .PipeTo(Sender, Self, segments => new SegmentsOffered(_node, offer.Dataset, segments));
    }

    /// <summary>Segment i of a batch the store holds, padded, as a frame.</summary>
    internal static SegmentFrame ReadFrame(SegmentStore store, BatchManifest manifest, long dataset, int batch, int index)
    {
        var id = SegmentId.Of(manifest.SegmentDigest(batch, index) ?? Digest.Empty);
        var payload = new byte[manifest.PaddedLength(index)];
        int length = store.Read(id, payload);
        if (length < 0) throw new IOException($"segment {index} of batch B{batch + 1} is gone from the store.");
        return new SegmentFrame(dataset, batch, index, length, id.ToBytes(), payload);
    }

    /// <summary>RLNC packets over every batch held whole, each a fresh random combination, segment by segment.</summary>
    private void OfferRecovery(OfferRecovery offer)
    {
        var whole = _cache.Batches().Whole;
        if (_cache.Dataset != offer.Dataset || _cache.Manifest is not { } manifest || whole.Length == 0)
        {
            Sender.Tell(new HubFailed($"node-{_node + 1}", "offer recovery packets", $"it holds no batch of dataset {offer.Dataset} whole."));
            return;
        }
        var store = _store;
        var packets = Enumerable.Range(0, offer.Count).Select(_ => (Sequence: _sequence++, Coefficients: RlncEncoder.RandomCoefficients(whole.Length, _random))).ToArray();
        int sender = _node;
        Source.From(packets.SelectMany(p => Enumerable.Range(0, manifest.SegmentCount).Select(i => (p, i))))
            .Select(item => (IDataFrame)new Routed(offer.Recipients, FrameKind.Recovery, RlncFrame.From(offer.Dataset, RlncSegmentPacket.Encode(sender, item.p.Sequence, item.i,
                whole, item.p.Coefficients, manifest.PaddedLength(item.i),
                (batch, destination) => Math.Max(0, store.Read(SegmentId.Of(manifest.SegmentDigest(batch, item.i) ?? Digest.Empty), destination))))))
            .RunWith(StreamRefs.SourceRef<IDataFrame>(), _materializer)
            .PipeTo(Sender, Self, segments => new RecoveryOffered(_node, offer.Dataset, packets.Length, segments));
    }

    private void Solve(SolveRecovery solve)
    {
        var requester = Sender;
        if (_inbox is null || _inbox.Dataset != solve.Dataset)
        {
            requester.Tell(new RecoverySolved(_node, solve.Dataset, [], [], [], 0, 0));
            return;
        }
        JournalStored();
        var (result, stored) = _inbox.Solve();
        if (result.FailedVerification.Length > 0)
            _log.Warning("node {0}: RLNC-decoded batches failed their digest: {1}", _node + 1, string.Join(", ", result.FailedVerification.Select(b => $"B{b + 1}")));
        var reply = new RecoverySolved(_node, solve.Dataset, result.Decoded, result.Undetermined, result.FailedVerification, result.Rank, result.Unknowns);
        if (stored.Count == 0)
        {
            requester.Tell(reply);
            return;
        }
        PersistAsync(new SegmentsStored(solve.Dataset, [.. stored]), persisted =>
        {
            _cache.Apply(persisted);
            foreach (var feeder in _feeders) feeder.Tell(new DestinationFeeder.Arrived(persisted.Dataset, persisted.Segments));
            SaveSnapshotSoon(force: false);
            requester.Tell(reply);
        });
    }

    /// <summary>Hub C asks for the dataset: a child streams the batches it lacks, as this node comes to hold them.</summary>
    private void Feed(FeedDestination feed)
    {
        var pending = _cache.PendingDataset == feed.Dataset ? _cache.Pending.ToArray() : [];
        var current = _cache.Dataset == feed.Dataset ? _cache.Manifest : null;
        var feeder = Context.ActorOf(DestinationFeeder.Props(_node, feed, _store, _cache.Manifest, current, pending, Sender, _counters, _materializer));
        _feeders.Add(feeder);
        Context.Watch(feeder);
    }

    /// <summary>The SQLite journal's size with its write-ahead log, or -1 for a journal that is not a local file.</summary>
    private long JournalBytes()
    {
        var path = Context.System.Settings.Config.GetString("actorsync.node.journal-path", "");
        if (string.IsNullOrEmpty(path) || !File.Exists(path)) return -1;
        return new[] { path, path + "-wal" }.Where(File.Exists).Sum(p => new FileInfo(p).Length);
    }

    private void SaveSnapshotSoon(bool force)
    {
        if (!force && ++_eventsSinceSnapshot < _settings.SnapshotEvery) return;
        _eventsSinceSnapshot = 0;
        SaveSnapshot(_cache.ToSnapshot());
    }

    private sealed record Reregister : INoSerializationVerificationNeeded
    {
        public static readonly Reregister Instance = new();
    }

    private sealed record FlushJournal : INoSerializationVerificationNeeded
    {
        public static readonly FlushJournal Instance = new();
    }
}

/// <summary>The messages of a node's inbox stream (local: the stream's sink and the node share a member).</summary>
public sealed record InboxStarted(int Round) : INoSerializationVerificationNeeded;

public sealed record InboxCompleted(int Round) : INoSerializationVerificationNeeded;

public sealed record InboxFailed(int Round, Exception Cause) : INoSerializationVerificationNeeded;

public sealed record InboxAck : INoSerializationVerificationNeeded
{
    public static readonly InboxAck Instance = new();
}

/// <summary>To an actor in front of a node's inbox (chaos testing): the node it passes frames on to.</summary>
public sealed record InboxFront(IActorRef Node) : INoSerializationVerificationNeeded;
