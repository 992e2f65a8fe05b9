using ActorSync.Binlog;
using ActorSync.Cluster.Protocol;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;

namespace ActorSync.Cluster.Cdc;

/// <summary>
/// A node's change log: the change batches placed on it, journaled before they are acknowledged, so a change that
/// reached r nodes survives the source, Hub B and up to r − 1 of those nodes. Hub C reads from it what it was not
/// sent; batches applied there and covered by the batch cache are compacted away, and the journal behind the oldest
/// batch kept is deleted, so it does not grow without bound. No snapshots: replay reads only what is kept.
/// </summary>
public sealed class NodeChangeLog : ReceivePersistentActor
{
    private readonly int _node;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly SortedDictionary<long, ChangeBatchKept> _kept = new();
    private readonly Dictionary<long, long> _journaledAt = new();
    private long _deletedUpTo;

    public override string PersistenceId => $"node-{_node + 1}-changes";

    public static Props Props(int node) => Akka.Actor.Props.Create(() => new NodeChangeLog(node));

    public NodeChangeLog(int node)
    {
        _node = node;
        Recover<ChangeBatchKept>(Keep);
        Recover<ChangesCompacted>(Compact);
        Command<StoreChanges>(store =>
        {
            var requester = Sender;
            Persist(new ChangeBatchKept(store.Sequence, store.From, store.To, store.Batch), kept =>
            {
                Keep(kept);
                requester.Tell(new ChangesStored(_node, kept.Sequence));
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
                TrimJournal();
            });
        });
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(failure => _log.Warning("node {0}: change log journal trim failed: {1}", _node + 1, failure.Cause.Message));
    }

    private void Keep(ChangeBatchKept kept)
    {
        _kept[kept.Sequence] = kept; // a batch read again after a capture restart replaces its earlier cut
        _journaledAt[kept.Sequence] = LastSequenceNr;
    }

    private void Compact(ChangesCompacted compacted)
    {
        var upTo = BinlogPosition.Parse(compacted.UpTo);
        foreach (var sequence in _kept.Where(k => BinlogPosition.Parse(k.Value.To) <= upTo).Select(k => k.Key).ToArray())
        {
            _kept.Remove(sequence);
            _journaledAt.Remove(sequence);
        }
    }

    /// <summary>Every entry before the oldest batch kept is a compacted batch or a compaction: deleted, so a restart replays little.</summary>
    private void TrimJournal()
    {
        long upTo = _journaledAt.Count == 0 ? LastSequenceNr : _journaledAt.Values.Min() - 1;
        if (upTo <= _deletedUpTo) return;
        _deletedUpTo = upTo;
        DeleteMessages(upTo);
    }
}
