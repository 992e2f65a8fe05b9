using ActorSync.Cluster.Protocol;
using ActorSync.Coding;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;

namespace ActorSync.Cluster.Nodes;

/// <summary>
/// One cache node. It holds its placed batches for the current dataset, journals each one it accepts
/// (Akka.Persistence.Sql), snapshots every few events and trims the journal behind the snapshot, so a restart
/// replays little and comes back with its cache and no source traffic. It verifies every batch's SHA-256 before
/// caching it and rejects a damaged one, so the sender sends it again.
/// </summary>
public sealed class NodeActor : ReceivePersistentActor
{
    private readonly int _node;
    private readonly int _snapshotEvery;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly LinkCounters? _counters;
    private readonly Dictionary<int, CachedBatch> _cache = new();
    private long _dataset;
    private int _eventsSinceSnapshot;

    public static Props Props(int node, int snapshotEvery, LinkCounters? counters = null) =>
        Akka.Actor.Props.Create(() => new NodeActor(node, snapshotEvery, counters));

    public static string PersistenceIdFor(int node) => $"actorsync-node-{node + 1}";

    public override string PersistenceId => PersistenceIdFor(_node);

    public NodeActor(int node, int snapshotEvery, LinkCounters? counters)
    {
        if (snapshotEvery < 1) throw new ArgumentOutOfRangeException(nameof(snapshotEvery), snapshotEvery, "actorsync.node.snapshot-every must be at least 1.");
        _node = node;
        _snapshotEvery = snapshotEvery;
        _counters = counters;

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is not NodeCacheSnapshot snapshot) return;
            _cache.Clear();
            _dataset = snapshot.Dataset;
            foreach (var batch in snapshot.Batches) _cache[batch.Batch] = batch;
        });
        Recover<BatchCached>(Apply);
        Recover<CacheCleared>(_ => _cache.Clear());
        Recover<RecoveryCompleted>(_ => _log.Info("node {0} recovered {1} batch(es) of dataset {2} from its journal", _node + 1, _cache.Count, _dataset));

        Command<StoreBatch>(Store);
        Command<GetBatch>(get =>
        {
            if (_cache.TryGetValue(get.Batch, out var batch))
            {
                _counters?.Count(LinkCounters.NodeEgress(_node), batch.Data.Length);
                Sender.Tell(new BatchData(_node, _dataset, batch.Batch, batch.Data, batch.Digest));
            }
            else Sender.Tell(new BatchMissing(_node, get.Batch));
        });
        Command<GetHoldings>(_ => Sender.Tell(new Holdings(_node, _dataset, _cache.Keys.Order().ToArray())));
        Command<DropCache>(_ =>
        {
            var requester = Sender;
            Persist(CacheCleared.Instance, _ =>
            {
                _cache.Clear();
                _log.Warning("node {0} dropped its cache on request", _node + 1);
                SaveSnapshotSoon(force: true);
                requester.Tell(new CacheDropped(_node));
            });
        });
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

    private void Store(StoreBatch store)
    {
        _counters?.Count(LinkCounters.NodeIngress(_node), store.Data.Length);
        if (store.Dataset < _dataset)
        {
            Sender.Tell(new BatchRejected(_node, store.Dataset, store.Batch, $"dataset {store.Dataset} is older than the cached dataset {_dataset}."));
            return;
        }
        if (BatchManifest.DigestOf(store.Data) is not { } digest || !Digest.Matches(store.Digest, digest))
        {
            _log.Warning("node {0} rejected batch B{1} of dataset {2}: digest mismatch", _node + 1, store.Batch + 1, store.Dataset);
            Sender.Tell(new BatchRejected(_node, store.Dataset, store.Batch, "the batch does not match its digest: it was damaged in transit; send it again."));
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

    private void Apply(BatchCached cached)
    {
        if (cached.Dataset > _dataset)
        {
            _cache.Clear(); // a newer dataset replaces the old one's batches
            _dataset = cached.Dataset;
        }
        _cache[cached.Batch] = new CachedBatch(cached.Batch, cached.Data, cached.Digest);
    }

    private void SaveSnapshotSoon(bool force)
    {
        if (!force && ++_eventsSinceSnapshot < _snapshotEvery) return;
        _eventsSinceSnapshot = 0;
        SaveSnapshot(new NodeCacheSnapshot(_dataset, _cache.Values.OrderBy(b => b.Batch).ToArray()));
    }
}
