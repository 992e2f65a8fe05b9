using ActorSync.Cluster.Protocol;
using ActorSync.Coding;
using Akka.Actor;
using Akka.Event;
using Akka.Pattern;
using Akka.Persistence;

namespace ActorSync.Cluster.Nodes;

/// <summary>
/// One cache node.
/// <list type="bullet">
/// <item>It holds its placed batches and the manifest of the current dataset, journals them (Akka.Persistence.Sql),
/// snapshots every few events and trims the journal behind the snapshot, so a restart replays little and comes back
/// with its cache and no source traffic. It verifies every batch's SHA-256 before caching it.</item>
/// <item>Coded delivery: XOR packets are decoded against the cache; RLNC packets are encoded from the cache and
/// decoded into the batches it lacks. Decoded batches are verified against the manifest and held in memory only,
/// since they can always be rebuilt. The coding math lives in ActorSync.Coding; this actor only routes to it.</item>
/// </list>
/// </summary>
public sealed class NodeActor : ReceivePersistentActor, IWithTimers
{
    private readonly int _node;
    private readonly int _snapshotEvery;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly LinkCounters? _counters;
    private readonly Dictionary<int, CachedBatch> _cache = new();
    private readonly Dictionary<int, byte[]> _decoded = new();
    private readonly IActorRef? _registry;
    private readonly TimeSpan _registerEvery;
    private long _dataset;
    private BatchManifest? _manifest;
    private byte[] _catalog = [];
    private int _eventsSinceSnapshot;
    private XorPeelingDecoder? _xor;
    private RlncDecoder? _rlnc;
    private RlncEncoder? _encoder;
    private readonly PacketGremlin? _gremlin;
    private (object Packet, IActorRef Sender)? _held;

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="registry">The orchestrator (a singleton proxy): told <see cref="RegisterNode"/> once the journal is
    /// replayed and every <paramref name="registerEvery"/> after, so an orchestrator that just took over learns the node.</param>
    /// <param name="packetFaults">Chaos testing only: accept <see cref="ArmPacketFault"/> and damage packets on arrival.</param>
    public static Props Props(int node, int snapshotEvery, LinkCounters? counters = null, IActorRef? registry = null, TimeSpan? registerEvery = null,
        bool packetFaults = false) =>
        Akka.Actor.Props.Create(() => new NodeActor(node, snapshotEvery, counters, registry, registerEvery ?? TimeSpan.FromSeconds(5), packetFaults));

    /// <summary>Chaos testing: a node that damages packets, armed from its first one with "FAULT:COUNT:KIND" if given.</summary>
    public static Props WithPacketFaults(int node, int snapshotEvery, IActorRef? registry, TimeSpan registerEvery, string armOnStart) =>
        Akka.Actor.Props.Create(() => new NodeActor(node, snapshotEvery, null, registry, registerEvery, true, armOnStart));

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

    public NodeActor(int node, int snapshotEvery, LinkCounters? counters, IActorRef? registry, TimeSpan registerEvery, bool packetFaults,
        string armOnStart = "")
    {
        _gremlin = packetFaults ? new PacketGremlin(node) : null;
        if (_gremlin is not null && armOnStart.Length > 0 && _gremlin.Arm(armOnStart) is { } refused)
            throw new ArgumentException($"actorsync.chaos.arm-on-start: {refused}", nameof(armOnStart));
        if (snapshotEvery < 1) throw new ArgumentOutOfRangeException(nameof(snapshotEvery), snapshotEvery, "actorsync.node.snapshot-every must be at least 1.");
        if (registerEvery <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(registerEvery), registerEvery, "actorsync.node.register-every must be positive.");
        _node = node;
        _snapshotEvery = snapshotEvery;
        _counters = counters;
        _registry = registry;
        _registerEvery = registerEvery;

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is not NodeCacheSnapshot snapshot) return;
            _cache.Clear();
            _dataset = snapshot.Dataset;
            foreach (var batch in snapshot.Batches) _cache[batch.Batch] = batch;
            _manifest = snapshot.BatchSize > 0 ? new BatchManifest(snapshot.BatchSize, snapshot.Digests) : null;
            _catalog = snapshot.Catalog;
        });
        Recover<BatchCached>(Apply);
        Recover<ManifestCached>(Apply);
        Recover<CacheCleared>(_ => ClearCache());
        Recover<RecoveryCompleted>(_ =>
        {
            _log.Info("node {0} recovered {1} batch(es) of dataset {2} from its journal", _node + 1, _cache.Count, _dataset);
            if (_registry is null) return;
            _registry.Tell(new RegisterNode(_node, Self));
            Timers.StartPeriodicTimer("register", Reregister.Instance, _registerEvery);
        });
        Command<Reregister>(_ => _registry?.Tell(new RegisterNode(_node, Self)));
        Command<GetManifest>(_ => Sender.Tell(new NodeManifest(_node, _dataset, _manifest?.BatchSize ?? 0,
            _manifest?.BatchDigests.ToArray() ?? [], _catalog)));

        Command<StoreManifest>(StoreManifest);
        Command<StoreBatch>(store => Arrive(store, Store));
        Command<GetBatch>(Serve);
        Command<GetHoldings>(_ => Sender.Tell(new Holdings(_node, _dataset, _cache.Keys.Order().ToArray(), _decoded.Keys.Order().ToArray(), JournalBytes())));
        Command<DropCache>(_ =>
        {
            var requester = Sender;
            Persist(CacheCleared.Instance, _ =>
            {
                ClearCache();
                _log.Warning("node {0} dropped its cache on request", _node + 1);
                SaveSnapshotSoon(force: true);
                requester.Tell(new CacheDropped(_node));
            });
        });
        Command<CacheDecoded>(KeepDecoded);
        Command<XorPacketMessage>(packet => Arrive(packet, DecodeXor));
        Command<EncodeRecovery>(EncodeRlnc);
        Command<RlncPacketMessage>(packet => Arrive(packet, DecodeRlnc));
        Command<ArmPacketFault>(Arm);
        Command<Delivered>(delivered => Handle(delivered.Packet));
        Command<ReleaseHeld>(_ => ReleaseHeldPacket());

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

    private void StoreManifest(StoreManifest store)
    {
        var requester = Sender;
        if (store.Dataset < _dataset || (store.Dataset == _dataset && _manifest is not null && _manifest.DatasetDigest.AsSpan()
                .SequenceEqual(BatchManifest.ComputeDatasetDigest(store.Digests))))
        {
            requester.Tell(new ManifestStored(_node, _dataset)); // older, or already held
            return;
        }
        Persist(new ManifestCached(store.Dataset, store.BatchSize, store.Digests, store.Catalog), cached =>
        {
            Apply(cached);
            SaveSnapshotSoon(force: false);
            requester.Tell(new ManifestStored(_node, cached.Dataset));
        });
    }

    private void Store(StoreBatch store)
    {
        _counters?.Count(LinkCounters.NodeIngress(_node), store.Data.Length);
        string? problem = store.Dataset < _dataset ? $"dataset {store.Dataset} is older than the cached dataset {_dataset}."
            : store.Dataset == _dataset && _manifest is not null && (uint)store.Batch >= (uint)_manifest.BatchCount
                ? $"batch B{store.Batch + 1} is outside the dataset's {_manifest.BatchCount} batches."
            : BatchManifest.DigestOf(store.Data) is not { } digest || !Digest.Matches(store.Digest, digest)
                ? "the batch does not match its digest: it was damaged in transit; send it again."
            : store.Dataset == _dataset && _manifest is not null && !Digest.Matches(_manifest.BatchDigests[store.Batch], store.Digest)
                ? "the batch's digest differs from the dataset manifest."
            : null;
        if (problem is not null)
        {
            _log.Warning("node {0} rejected batch B{1} of dataset {2}: {3}", _node + 1, store.Batch + 1, store.Dataset, problem);
            Sender.Tell(new BatchRejected(_node, store.Dataset, store.Batch, problem));
            return;
        }
        if (store.Dataset == _dataset && _cache.TryGetValue(store.Batch, out var held) && held.Digest.AsSpan().SequenceEqual(store.Digest))
        {
            Sender.Tell(new BatchStored(_node, store.Dataset, store.Batch)); // already held: nothing to journal
            return;
        }
        var requester = Sender;
        Persist(new BatchCached(store.Dataset, store.Batch, store.Data, store.Digest), cached =>
        {
            Apply(cached);
            SaveSnapshotSoon(force: false);
            requester.Tell(new BatchStored(_node, cached.Dataset, cached.Batch));
        });
    }

    /// <summary>A packet arrives: straight to its handler, unless chaos testing armed a fault for it.</summary>
    private void Arrive<T>(T packet, Action<T> handle) where T : notnull
    {
        if (_gremlin?.Fault is null)
        {
            handle(packet);
            ReleaseHeldPacket();
            return;
        }
        var (now, hold) = _gremlin.Pass(packet);
        _log.Warning("node {0}: chaos: packet {1} arrives {2}", _node + 1, packet.GetType().Name, hold ? "held back" : $"as {now.Count} ({_gremlin.Damaged} damaged so far)");
        if (hold)
        {
            ReleaseHeldPacket();
            _held = (packet, Sender);
            Timers.StartSingleTimer(ReleaseHeld.Instance, ReleaseHeld.Instance, TimeSpan.FromMilliseconds(500));
            return;
        }
        // Copies after the first arrive later, as a network's duplicates would.
        for (int i = 0; i < now.Count; i++)
            if (i == 0) Handle(now[i]);
            else Self.Tell(new Delivered(now[i]), Sender);
        ReleaseHeldPacket();
    }

    private void Handle(object packet)
    {
        switch (packet)
        {
            case StoreBatch store: Store(store); break;
            case XorPacketMessage xor: DecodeXor(xor); break;
            case RlncPacketMessage rlnc: DecodeRlnc(rlnc); break;
        }
    }

    /// <summary>A reordered packet goes in after the one that overtook it (or after a timeout, if none came).</summary>
    private void ReleaseHeldPacket()
    {
        if (_held is not { } held) return;
        _held = null;
        Timers.Cancel(ReleaseHeld.Instance);
        Self.Tell(new Delivered(held.Packet), held.Sender);
    }

    private void Arm(ArmPacketFault arm)
    {
        string refused = _gremlin is null ? "packet faults are off on this node (actorsync.chaos.enabled = off)"
            : arm.Count == 0 ? "" : _gremlin.Arm(arm.Fault, arm.Count, arm.Kind) ?? "";
        if (refused.Length == 0 && arm.Count > 0)
            _log.Warning("node {0}: chaos: the next {1} {2} packet(s) will be damaged: {3}", _node + 1, arm.Count, arm.Kind, arm.Fault);
        Sender.Tell(new PacketFaultArmed(_node, _gremlin?.Fault ?? "", _gremlin?.Remaining ?? 0, _gremlin?.Damaged ?? 0, refused));
    }

    private void KeepDecoded(CacheDecoded keep)
    {
        var requester = Sender;
        var events = keep.Dataset != _dataset ? []
            : keep.Batches.Distinct().Where(_decoded.ContainsKey)
                .Select(b => new BatchCached(_dataset, b, _decoded[b], _manifest!.BatchDigests[b])).ToArray();
        if (events.Length == 0)
        {
            requester.Tell(new DecodedCached(_node, _dataset, []));
            return;
        }
        PersistAll(events, cached =>
        {
            Apply(cached);
            SaveSnapshotSoon(force: false);
        });
        DeferAsync(events, _ => requester.Tell(new DecodedCached(_node, _dataset, events.Select(e => e.Batch).ToArray())));
    }

    private void Serve(GetBatch get)
    {
        byte[]? data = _cache.TryGetValue(get.Batch, out var cached) ? cached.Data : _decoded.GetValueOrDefault(get.Batch);
        if (data is null)
        {
            Sender.Tell(new BatchMissing(_node, get.Batch));
            return;
        }
        _counters?.Count(LinkCounters.NodeEgress(_node), data.Length);
        var digest = cached?.Digest ?? _manifest!.BatchDigests[get.Batch];
        Sender.Tell(new BatchData(_node, _dataset, get.Batch, data, digest));
    }

    private void DecodeXor(XorPacketMessage packet)
    {
        _counters?.Count(LinkCounters.NodeIngress(_node), packet.Payload.Length);
        if (NotReadyFor(packet.Dataset) is { } reason)
        {
            Sender.Tell(new XorAccepted(_node, packet.Dataset, packet.Index, reason, [], []));
            return;
        }
        _xor ??= SeededXorDecoder();
        var result = _xor.Accept(new XorPacket(packet.Index, packet.Batches, packet.Payload, packet.Checksum));
        foreach (var batch in result.DecodedBatches) _decoded[batch] = _xor.Batch(batch)!.Value.ToArray();
        if (result.Reason is not null) _log.Warning("node {0}: XOR packet P{1}: {2}", _node + 1, packet.Index + 1, result.Reason);
        Sender.Tell(new XorAccepted(_node, packet.Dataset, packet.Index, result.Outcome.ToString(), result.DecodedBatches.ToArray(), result.FailedVerification.ToArray()));
    }

    private void EncodeRlnc(EncodeRecovery request)
    {
        if (request.Dataset != _dataset || _cache.Count == 0)
        {
            Sender.Tell(new RlncAccepted(_node, request.Dataset, "NothingToEncode", 0, 0, [], [], []));
            return;
        }
        _encoder ??= new RlncEncoder(_node, _cache.ToDictionary(c => c.Key, c => c.Value.Data));
        for (int i = 0; i < request.Count; i++)
        {
            var packet = _encoder.Next();
            _counters?.Count(LinkCounters.NodeEgress(_node), packet.Payload.Length);
            _counters?.Count(LinkCounters.PeerRecovery, packet.Payload.Length);
            Sender.Tell(new RlncPacketMessage(_dataset, packet.Sender, packet.Sequence, packet.BatchIds, packet.Coefficients, packet.Payload, packet.Checksum));
        }
    }

    private void DecodeRlnc(RlncPacketMessage message)
    {
        _counters?.Count(LinkCounters.NodeIngress(_node), message.Payload.Length);
        if (NotReadyFor(message.Dataset) is { } reason)
        {
            Sender.Tell(new RlncAccepted(_node, message.Dataset, reason, 0, 0, [], [], []));
            return;
        }
        if (_cache.Count + _decoded.Count == _manifest!.BatchCount)
        {
            Sender.Tell(new RlncAccepted(_node, message.Dataset, RlncReceiveOutcome.NotInnovative.ToString(), 0, 0, [], [], []));
            return; // already holds every batch: a late top-up adds nothing
        }
        _rlnc ??= new RlncDecoder(Known(), Enumerable.Range(0, _manifest.BatchCount), _manifest.BatchSize, _manifest);
        var received = _rlnc.Receive(new CodedPacket(message.Sender, message.Sequence, message.BatchIds, message.Coefficients, message.Payload, message.Checksum));
        if (received.Reason is not null) _log.Warning("node {0}: RLNC packet: {1}", _node + 1, received.Reason);
        int[] decoded = [], failed = [];
        int rank = _rlnc.Rank, unknowns = _rlnc.Unknowns;
        var undetermined = _rlnc.UndeterminedBatches.ToArray();
        if (_rlnc.IsFullRank)
        {
            var result = _rlnc.Decode();
            foreach (var (batch, data) in result.Batches) _decoded[batch] = data;
            decoded = result.Batches.Keys.Order().ToArray();
            failed = result.FailedVerification.ToArray();
            undetermined = failed;
            _rlnc = null; // done, or poisoned by a lying peer: either way the next packets start afresh
            if (failed.Length > 0) _log.Warning("node {0}: RLNC-decoded batches failed their digest: {1}", _node + 1, string.Join(", ", failed.Select(b => $"B{b + 1}")));
        }
        Sender.Tell(new RlncAccepted(_node, message.Dataset, received.Outcome.ToString(), rank, unknowns, decoded, undetermined, failed));
    }

    private string? NotReadyFor(long dataset) =>
        dataset != _dataset ? $"WrongDataset (holding {_dataset})" : _manifest is null ? "NoManifest" : null;

    private XorPeelingDecoder SeededXorDecoder()
    {
        var decoder = new XorPeelingDecoder(_manifest!.BatchCount, _manifest.BatchSize, _manifest);
        foreach (var (batch, data) in Known()) decoder.AddKnown(batch, data);
        return decoder;
    }

    private Dictionary<int, byte[]> Known()
    {
        var known = new Dictionary<int, byte[]>(_decoded);
        foreach (var (batch, cached) in _cache) known[batch] = cached.Data;
        return known;
    }

    private void Apply(BatchCached cached)
    {
        if (cached.Dataset > _dataset) StartDataset(cached.Dataset, manifest: null);
        _cache[cached.Batch] = new CachedBatch(cached.Batch, cached.Data, cached.Digest);
        _decoded.Remove(cached.Batch); // held in the cache now: the two sets never overlap
        ResetCoding();
    }

    /// <summary>
    /// A newer dataset keeps every batch whose digest it still lists at the same position (an incremental cycle
    /// moves only the changed ones); the rest are dropped.
    /// </summary>
    private void Apply(ManifestCached cached)
    {
        var manifest = new BatchManifest(cached.BatchSize, cached.Digests);
        if (cached.Dataset > _dataset)
        {
            bool Unchanged(int batch, byte[] digest) => batch < manifest.BatchCount && Digest.Matches(manifest.BatchDigests[batch], digest);
            var keptCache = _cache.Values.Where(c => Unchanged(c.Batch, c.Digest)).ToArray();
            var keptDecoded = _manifest is null || _manifest.BatchSize != manifest.BatchSize ? []
                : _decoded.Where(d => d.Key < _manifest.BatchCount && Unchanged(d.Key, _manifest.BatchDigests[d.Key])).ToArray();
            if (_manifest is not null && _manifest.BatchSize != manifest.BatchSize) keptCache = [];
            StartDataset(cached.Dataset, manifest);
            foreach (var batch in keptCache) _cache[batch.Batch] = batch;
            foreach (var (batch, data) in keptDecoded) _decoded[batch] = data;
        }
        else _manifest = manifest;
        _catalog = cached.Catalog;
        ResetCoding();
    }

    /// <summary>A newer dataset replaces the old one's batches.</summary>
    private void StartDataset(long dataset, BatchManifest? manifest)
    {
        _cache.Clear();
        _decoded.Clear();
        _dataset = dataset;
        _manifest = manifest;
    }

    private void ClearCache()
    {
        _cache.Clear();
        _decoded.Clear();
        ResetCoding();
    }

    /// <summary>The coders captured what the node knew; after a change they are rebuilt on first use.</summary>
    private void ResetCoding()
    {
        _xor = null;
        _rlnc = null;
        _encoder = null;
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
        if (!force && ++_eventsSinceSnapshot < _snapshotEvery) return;
        _eventsSinceSnapshot = 0;
        SaveSnapshot(new NodeCacheSnapshot(_dataset, _cache.Values.OrderBy(b => b.Batch).ToArray(),
            _manifest?.BatchSize ?? 0, _manifest?.BatchDigests.ToArray() ?? [], _catalog));
    }

    /// <summary>A packet to handle past the gremlin: a duplicate, or one that was held back.</summary>
    private sealed record Delivered(object Packet) : INoSerializationVerificationNeeded;

    private sealed record ReleaseHeld : INoSerializationVerificationNeeded
    {
        public static readonly ReleaseHeld Instance = new();
    }

    private sealed record Reregister : INoSerializationVerificationNeeded
    {
        public static readonly Reregister Instance = new();
    }
}
