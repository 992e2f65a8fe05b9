using ActorSync.Binlog;
using ActorSync.Cluster.Protocol;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;

namespace ActorSync.Cluster.Cdc;

/// <summary>
/// A node's change log: the change batches placed on it, journaled before they are acknowledged, so a change that
/// reached r nodes survives the source, Hub B and up to r − 1 of those nodes. Hub C reads from it what it was not
/// sent; batches applied there and covered by the batch cache are compacted away, so it does not grow without bound.
/// </summary>
public sealed class NodeChangeLog : ReceivePersistentActor
{
    private readonly int _node;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly SortedDictionary<long, ChangeBatchKept> _kept = new();
    private int _sinceSnapshot;

    public override string PersistenceId => $"node-{_node + 1}-changes";

    public static Props Props(int node) => Akka.Actor.Props.Create(() => new NodeChangeLog(node));

    public NodeChangeLog(int node)
    {
        _node = node;
        Recover<ChangeBatchKept>(Keep);
        Recover<ChangesCompacted>(Compact);
        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is not ChangeLogSnapshot snapshot) return;
            _kept.Clear();
            foreach (var kept in snapshot.Kept) _kept[kept.Sequence] = kept;
        });
        Command<StoreChanges>(store =>
        {
            var requester = Sender;
            Persist(new ChangeBatchKept(store.Sequence, store.From, store.To, store.Batch), kept =>
            {
                Keep(kept);
                requester.Tell(new ChangesStored(_node, kept.Sequence));
                MaybeSnapshot();
            });
        });
        Command<GetChangesSince>(since =>
        {
            var after = BinlogPosition.Parse(since.Position);
            Sender.Tell(new ChangesSince(_node, _kept.Values.Where(k => BinlogPosition.Parse(k.To) > after).Select(k => k.Batch).ToArray()));
        });
        Command<CompactChanges>(compact =>
        {
            var upTo = BinlogPosition.Parse(compact.UpTo);
            if (!_kept.Values.Any(k => BinlogPosition.Parse(k.To) <= upTo)) return;
            Persist(new ChangesCompacted(compact.UpTo), compacted =>
            {
                Compact(compacted);
                MaybeSnapshot();
            });
        });
        Command<SaveSnapshotSuccess>(success => DeleteMessages(success.Metadata.SequenceNr));
        Command<SaveSnapshotFailure>(failure => _log.Warning("node {0}: change log snapshot failed: {1}", _node + 1, failure.Cause.Message));
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(failure => _log.Warning("node {0}: change log journal trim failed: {1}", _node + 1, failure.Cause.Message));
    }

    private void Keep(ChangeBatchKept kept) => _kept[kept.Sequence] = kept; // a batch read again after a capture restart replaces its earlier cut

    private void Compact(ChangesCompacted compacted)
    {
        var upTo = BinlogPosition.Parse(compacted.UpTo);
        foreach (var sequence in _kept.Where(k => BinlogPosition.Parse(k.Value.To) <= upTo).Select(k => k.Key).ToArray()) _kept.Remove(sequence);
    }

    /// <summary>Snapshots hold the kept batches, so the journal behind them is deleted and a restart replays little.</summary>
    private void MaybeSnapshot()
    {
        if (++_sinceSnapshot < 200) return;
        _sinceSnapshot = 0;
        SaveSnapshot(new ChangeLogSnapshot(_kept.Values.ToArray()));
    }
}
