using ActorSync.Binlog;
using ActorSync.Cluster.Protocol;
using ActorSync.Data;
using ActorSync.Data.Cdc;
using ActorSync.Data.Schema;
using ActorSync.Data.Sqlite;
using Akka.Actor;
using Akka.Event;

namespace ActorSync.Cluster.Cdc;

/// <summary>Published on the event stream after each applied change batch (Hub C's metrics).</summary>
public sealed record ChangesAppliedEvent(long Rows, double[] LagSeconds, string Position);

/// <summary>
/// Hub C's change applier. Change batches come from Hub B's capture once placed; they are applied in binlog order,
/// one SQLite transaction each (<see cref="SqliteDestination.ApplyChanges"/>), off the actor's thread. A gap (a batch
/// lost with hub-b, or Hub C restarted) is filled from the nodes' change logs, which it also polls while nothing
/// arrives, so what reached r nodes is applied even with the source and Hub B down. Applied batches are compacted
/// from the nodes once the batch cache covers them.
/// </summary>
public sealed class ChangeApplyActor : ReceiveActor, IWithTimers
{
    private sealed record Done(ChangesApplied Result, ChangeBatch Batch, IActorRef? ReplyTo, long[] CommitMillis);
    private sealed record ApplyFailed(string Reason, long Sequence);
    private sealed record Poll;
    private sealed record RosterFailed(string Reason);

    private readonly string _path;
    private readonly IActorRef _orchestrator;
    private readonly CdcSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly List<(ChangeBatch Batch, IActorRef? ReplyTo)> _pending = [];
    private readonly Dictionary<int, Address> _nodes = new();
    private SqliteDestination? _destination;
    private IReadOnlyList<TableSchema> _tables = [];
    private string _applied = "";
    private string _cachedAt = "";
    private string _compactionSaid = "";
    private long _polls;
    private bool _applying;
    private DateTime _lastArrival = DateTime.MinValue;
    private long _rows;
    private string _lastError = "";

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string destinationPath, IActorRef orchestrator, CdcSettings settings) =>
        Akka.Actor.Props.Create(() => new ChangeApplyActor(destinationPath, orchestrator, settings)).WithDispatcher(Hubs.DestinationHub.Dispatcher);

    public ChangeApplyActor(string destinationPath, IActorRef orchestrator, CdcSettings settings)
    {
        _path = destinationPath;
        _orchestrator = orchestrator;
        _settings = settings;
        Receive<FollowFrom>(Follow);
        Receive<ApplyChangeBatch>(apply =>
        {
            _lastArrival = DateTime.UtcNow;
            Enqueue(ChangeBatch.Decode(apply.Batch), Sender);
        });
        Receive<ChangesSince>(since =>
        {
            foreach (var bytes in since.Batches) Enqueue(ChangeBatch.Decode(bytes), null);
        });
        Receive<Done>(Applied);
        Receive<ApplyFailed>(failed =>
        {
            _applying = false;
            if (failed.Reason != _lastError) _log.Error("applying change batch {0} failed: {1}; it is tried again", failed.Sequence, failed.Reason);
            _lastError = failed.Reason;
        });
        Receive<Poll>(_ => OnPoll());
        Receive<Roster>(roster =>
        {
            _nodes.Clear();
            foreach (var node in roster.Nodes.Where(n => n.Alive)) _nodes[node.Node] = node.Ref.Path.Address;
        });
        Receive<RosterFailed>(_ => { });
    }

    protected override void PreStart()
    {
        Timers.StartPeriodicTimer("poll", new Poll(), _settings.PollEvery);
        try
        {
            Open();
        }
        catch (DataEdgeException error)
        {
            _log.Warning("continuous sync cannot read its position yet: {0}", error.Message);
        }
    }

    protected override void PostStop() => _destination?.Dispose();

    /// <summary>Opens the destination, and what it follows (nothing if it never followed).</summary>
    private void Open()
    {
        _destination ??= new SqliteDestination(_path);
        _applied = _destination.ChangePosition;
        _cachedAt = _destination.FollowSnapshotPosition;
        if (_destination.FollowCatalog is { } catalog) _tables = DatasetCatalog.Decode(catalog).Tables;
    }

    private void Follow(FollowFrom follow)
    {
        try
        {
            Open();
            _destination!.StartFollowingAt(follow.Position, follow.Catalog, follow.Fresh);
            _pending.Clear();
            Open();
            _log.Info("Hub C follows from {0}", follow.Position);
            Sender.Tell(new FollowReady(follow.Position));
        }
        catch (Exception error) when (error is DataEdgeException or FormatException or Microsoft.Data.Sqlite.SqliteException)
        {
            Sender.Tell(new FollowRefused($"hub-c cannot follow: {error.Message}"));
        }
    }

    private void Enqueue(ChangeBatch batch, IActorRef? replyTo)
    {
        if (_applied.Length == 0 || BinlogPosition.Parse(batch.To) <= BinlogPosition.Parse(_applied))
        {
            replyTo?.Tell(new ChangeBatchApplied(batch.Sequence, _applied, _rows));
            return;
        }
        _pending.Add((batch, replyTo));
        TryApply();
    }

    private void TryApply()
    {
        if (_applying || _destination is null || _applied.Length == 0) return;
        var at = BinlogPosition.Parse(_applied);
        _pending.RemoveAll(p => BinlogPosition.Parse(p.Batch.To) <= at);
        var next = _pending.Where(p => BinlogPosition.Parse(p.Batch.From) <= at).OrderByDescending(p => BinlogPosition.Parse(p.Batch.To)).FirstOrDefault();
        if (next.Batch is null)
        {
            if (_pending.Count > 0) AskNodes(); // a gap: what comes between is on the nodes
            return;
        }
        _pending.Remove(next);
        _applying = true;
        var destination = _destination;
        var tables = _tables;
        var batch = next.Batch;
        var replyTo = next.ReplyTo;
        var commits = batch.Transactions.Select(t => t.CommitUnixMillis).ToArray();
        Task.Run(() => destination.ApplyChanges(batch, tables)).PipeTo(Self,
            success: result => new Done(result, batch, replyTo, commits),
            failure: error => new ApplyFailed(error.Message, batch.Sequence));
    }

    private void Applied(Done done)
    {
        _applying = false;
        _lastError = "";
        _applied = done.Result.Position;
        _rows += done.Result.Rows;
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Context.System.EventStream.Publish(new ChangesAppliedEvent(done.Result.Rows, done.CommitMillis.Select(c => Math.Max(0, now - c) / 1000.0).ToArray(), _applied));
        done.ReplyTo?.Tell(new ChangeBatchApplied(done.Batch.Sequence, _applied, _rows));
        if (done.Result.Tables is { } reshaped)
        {
            _tables = reshaped;
            _log.Info("continuous sync carried schema changes: {0}", string.Join("; ", done.Batch.Transactions.SelectMany(t => t.Schemas)
                .Select(c => $"{c.Table}: {string.Join(", ", c.Steps.Select(step => step.Kind + (step.Column.Length > 0 ? " " + step.Column : "")).DefaultIfEmpty("retyped"))}")));
        }
        if (done.Batch.Stopped.Count > 0) _tables = _tables.Where(t => !done.Batch.Stopped.Any(s => s.StartsWith(t.Name + "\t", StringComparison.OrdinalIgnoreCase))).ToArray();
        TryApply();
    }

    private void OnPoll()
    {
        // The roster every third poll (or until one is known): nodes come and go in seconds, not every second.
        if (_polls++ % 3 == 0 || _nodes.Count == 0)
            _orchestrator.Ask<Roster>(GetRoster.Instance, TimeSpan.FromSeconds(3)).PipeTo(Self, failure: error => new RosterFailed(error.Message));
        if (_destination is null)
        {
            try { Open(); } catch (DataEdgeException) { return; }
        }
        if (_applied.Length == 0) return;
        if (_lastError.Length > 0) TryApply();
        // Nothing from hub-b for a while: ask the nodes for what was placed (hub-b may be down after placing it).
        if (DateTime.UtcNow - _lastArrival >= _settings.PollEvery * 2) AskNodes();
        Compact();
    }

    private void AskNodes()
    {
        foreach (var (node, address) in _nodes)
            Context.ActorSelection(new RootActorPath(address) / "user" / CdcSettings.ChangeLogName(node)).Tell(new GetChangesSince(_applied));
    }

    /// <summary>The nodes may forget batches both applied here and older than the batch cache's snapshot.</summary>
    private void Compact()
    {
        if (_cachedAt.Length == 0) return;
        var upTo = BinlogPosition.Parse(_applied) < BinlogPosition.Parse(_cachedAt) ? _applied : _cachedAt;
        // Said again only when it moves or the nodes change (an idle follow sends nothing); a node that missed it
        // compacts at the next move.
        var said = upTo + "|" + string.Join(",", _nodes.Keys.Order());
        if (said == _compactionSaid) return;
        _compactionSaid = said;
        foreach (var (node, address) in _nodes)
            Context.ActorSelection(new RootActorPath(address) / "user" / CdcSettings.ChangeLogName(node)).Tell(new CompactChanges(upTo));
    }
}
