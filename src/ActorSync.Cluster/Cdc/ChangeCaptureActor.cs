using System.Threading.Channels;
using ActorSync.Cluster.Protocol;
using ActorSync.Data;
using ActorSync.Data.Cdc;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;

namespace ActorSync.Cluster.Cdc;

/// <summary>
/// Hub B's change capture. A reader task follows the binlog (<see cref="MySqlChangeStream"/>) and cuts change
/// batches (<see cref="ChangeBatcher"/>); this actor only moves them: each batch to r nodes' change logs
/// (<see cref="ChangePlacement"/>), the offset journaled once the batches up to it are on r nodes, then the batch to
/// Hub C. Restarted (hub-b killed), it resumes from the journaled offset; the source down, it retries.
/// </summary>
public sealed class ChangeCaptureActor : ReceivePersistentActor, IWithTimers
{
    private sealed record Captured(ChangeBatch Batch, byte[] Encoded);
    private sealed record ReaderFailed(int Generation, string Reason, bool Purged);
    private sealed record ReaderAt(int Generation, string Position);
    private sealed record Tick;
    private const int RosterEveryTicks = 3;
    private long _ticks;
    private sealed record RosterFailed(string Reason);

    private readonly string? _sourceConnection;
    private readonly CdcSettings _settings;
    private readonly IActorRef _orchestrator;
    private readonly string _destinationHub;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly ChangePlacement _placement;
    private readonly SortedDictionary<long, (Captured Batch, DateTime SentAt)> _inFlight = new();
    private readonly Dictionary<int, Address> _nodes = new();
    private bool _following;
    private string _placed = "";
    private long _sequence;
    private byte[] _catalog = [];
    private byte[] _filter = [];
    private string[] _stopped = [];
    private string _captured = "";
    private string _applied = "";
    private string _error = "";
    private long _eventsCaptured, _eventsApplied, _batchesPlaced;
    private readonly Queue<(long Sequence, long Rows, long CommitMillis)> _unapplied = new();
    private int _generation;
    private CancellationTokenSource? _reader;
    private SemaphoreSlim _credits = new(0);
    private int _sinceSnapshot;
    private Address? _destination;

    public ITimerScheduler Timers { get; set; } = null!;

    public override string PersistenceId => "hub-b-capture";

    public static Props Props(string? sourceConnection, CdcSettings settings, IActorRef orchestrator, string destinationHub) =>
        Akka.Actor.Props.Create(() => new ChangeCaptureActor(sourceConnection, settings, orchestrator, destinationHub));

    /// <param name="sourceConnection">The MySQL source's connection string, or null when the source is not MySQL.</param>
    public ChangeCaptureActor(string? sourceConnection, CdcSettings settings, IActorRef orchestrator, string destinationHub)
    {
        _destinationHub = destinationHub;
        _sourceConnection = sourceConnection;
        _settings = settings;
        _orchestrator = orchestrator;
        _placement = new ChangePlacement(settings.Redundancy);

        Recover<CaptureBegun>(Apply);
        Recover<CaptureOffset>(Apply);
        Recover<CaptureEnded>(Apply);
        Recover<CaptureCatalogChanged>(Apply);
        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is not CaptureSnapshot s) return;
            (_following, _placed, _sequence, _catalog, _stopped, _filter) = (s.Following, s.Position, s.Sequence, s.Catalog, s.Stopped, s.Filter);
        });
        Recover<RecoveryCompleted>(_ =>
        {
            Timers.StartPeriodicTimer("tick", new Tick(), TimeSpan.FromSeconds(1));
            if (_following)
            {
                _log.Info("continuous sync resumes from the durable offset {0}", _placed);
                StartReader();
            }
        });

        Command<BeginCapture>(Begin);
        Command<StopFollow>(_ => Persist(CaptureEnded.Instance, ended =>
        {
            Apply(ended);
            StopReader();
            _log.Info("continuous sync stopped at {0}", _placed);
            Sender.Tell(new FollowStopped(_placed));
        }));
        Command<GetCdcStatus>(_ => Sender.Tell(Status()));
        Command<Captured>(Place);
        Command<ChangesStored>(Stored);
        Command<ChangeBatchApplied>(applied =>
        {
            _applied = applied.Position;
            while (_unapplied.Count > 0 && _unapplied.Peek().Sequence <= applied.Sequence) _eventsApplied += _unapplied.Dequeue().Rows;
        });
        Command<ReaderAt>(at => { if (at.Generation == _generation) _captured = at.Position; });
        Command<ReaderFailed>(Failed);
        Command<Tick>(_ => OnTick());
        Command<RetryReader>(retry => { if (retry.Generation == _generation && _following) StartReader(); });
        Command<Roster>(Learn);
        Command<RosterFailed>(_ => { });
        Command<SaveSnapshotSuccess>(_ => { });
        Command<SaveSnapshotFailure>(failure => _log.Warning("capture snapshot failed: {0}", failure.Cause.Message));
    }

    private void Apply(ICdcEvent e)
    {
        switch (e)
        {
            case CaptureBegun begun: (_following, _placed, _catalog, _stopped, _filter) = (true, begun.From, begun.Catalog, [], begun.Filter); break;
            case CaptureOffset offset: (_placed, _sequence, _stopped) = (offset.Position, offset.Sequence, offset.Stopped); break;
            case CaptureCatalogChanged changed: _catalog = changed.Catalog; break;
            case CaptureEnded: _following = false; break;
        }
    }

    private void Begin(BeginCapture begin)
    {
        if (_sourceConnection is null)
        {
            Sender.Tell(new FollowRefused("continuous sync needs a MySQL/MariaDB source with a binlog; hub-b's source is a SQLite file (ACTORSYNC_SOURCE_SQLITE)."));
            return;
        }
        var requester = Sender;
        Persist(new CaptureBegun(begin.From, begin.Catalog, begin.Filter), begun =>
        {
            Apply(begun);
            StopReader();
            _eventsCaptured = _eventsApplied = _batchesPlaced = 0;
            _unapplied.Clear();
            StartReader();
            _log.Info("continuous sync starts from {0}", begin.From);
            requester.Tell(new CaptureRunning(begin.From));
        });
    }

    private void StartReader()
    {
        StopReader();
        _generation++;
        _inFlight.Clear();
        _placement.Clear();
        _captured = _placed;
        _credits = new SemaphoreSlim(_settings.MaxInFlight);
        _reader = new CancellationTokenSource();
        var catalog = DatasetCatalog.Decode(_catalog);
        var stopped = _stopped.Select(s => s.Split('\t', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "stopped", StringComparer.OrdinalIgnoreCase);
        _ = ReadAsync(_generation, _sourceConnection!, catalog, SyncFilter.Decode(_filter), _placed, _sequence + 1, stopped, _credits, Self, _reader.Token);
    }

    private void StopReader()
    {
        _reader?.Cancel();
        _reader?.Dispose();
        _reader = null;
    }

    /// <summary>The reader: binlog → items → batches, each waiting for a credit (a free in-flight slot). Reports by message only.</summary>
    private async Task ReadAsync(int generation, string connection, DatasetCatalog catalog, SyncFilter filter, string from, long nextSequence,
        Dictionary<string, string> stopped, SemaphoreSlim credits, IActorRef self, CancellationToken cancellation)
    {
        try
        {
            await using var stream = await MySqlChangeStream.OpenAsync(connection, catalog.Tables, filter, from, _settings.ServerId, _settings.Heartbeat, stopped, cancellation);
            var batcher = new ChangeBatcher(from, nextSequence, _settings.BatchWindow, _settings.BatchBytes, TimeSpan.FromSeconds(1));
            var reasons = stream.Stopped;
            Task<CaptureItem>? pending = null;
            while (!cancellation.IsCancellationRequested)
            {
                pending ??= stream.ReadAsync(cancellation);
                var due = batcher.DueIn(DateTime.UtcNow);
                if (due is { } wait && wait > TimeSpan.Zero && !pending.IsCompleted) await Task.WhenAny(pending, Task.Delay(wait, cancellation));
                else if (due is null) await pending;
                if (pending.IsCompleted)
                {
                    var item = await pending;
                    pending = null;
                    batcher.Add(item, DateTime.UtcNow, reasons);
                    self.Tell(new ReaderAt(generation, item.Position));
                }
                if (batcher.TakeIfDue(DateTime.UtcNow) is { } batch)
                {
                    await credits.WaitAsync(cancellation);
                    self.Tell(new Captured(batch, batch.Encode()));
                }
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
        }
        catch (Exception error) when (error is ActorSync.Binlog.BinlogException or DataEdgeException or MySqlConnector.MySqlException or IOException)
        {
            self.Tell(new ReaderFailed(generation, error.Message, error is ActorSync.Binlog.BinlogPurgedException));
        }
    }

    private void Place(Captured captured)
    {
        if (!_following) return;
        long sequence = captured.Batch.Sequence;
        _inFlight[sequence] = (captured, DateTime.UtcNow);
        _placement.Sent(sequence);
        _eventsCaptured += captured.Batch.RowCount;
        _unapplied.Enqueue((sequence, captured.Batch.RowCount, captured.Batch.Transactions.Count > 0 ? captured.Batch.Transactions[0].CommitUnixMillis : 0));
        Send(sequence);
    }

    private void Send(long sequence)
    {
        var (captured, _) = _inFlight[sequence];
        var targets = _placement.Targets(sequence, _nodes.Keys.ToArray(), _placement.Holders(sequence));
        var message = new StoreChanges(sequence, captured.Batch.From, captured.Batch.To, captured.Encoded);
        foreach (var node in targets) ChangeLog(node).Tell(message);
        _inFlight[sequence] = (captured, DateTime.UtcNow);
        if (targets.Count + _placement.Holders(sequence).Count < _settings.Redundancy)
            _error = $"only {_nodes.Count} node(s) reachable; a change batch needs {_settings.Redundancy} before its offset is durable";
    }

    private ActorSelection ChangeLog(int node) => Context.ActorSelection(new RootActorPath(_nodes[node]) / "user" / CdcSettings.ChangeLogName(node));

    private void Stored(ChangesStored stored)
    {
        if (!_inFlight.ContainsKey(stored.Sequence)) return;
        _placement.Acknowledged(stored.Sequence, stored.Node);
        var placed = _placement.TakePlaced();
        if (placed.Count == 0) return;
        var batches = placed.Select(s => _inFlight[s].Batch).ToArray();
        foreach (var s in placed) _inFlight.Remove(s);
        var last = batches[^1].Batch;
        var stoppedNow = _stopped.Concat(batches.SelectMany(b => b.Batch.Stopped)).Distinct().ToArray();
        _error = "";
        var schemas = batches.SelectMany(b => b.Batch.Transactions).SelectMany(t => t.Schemas).ToArray();
        // The followed tables as of the new durable offset: a restart resumes reading there with them.
        ICdcEvent[] events = schemas.Length == 0
            ? [new CaptureOffset(last.To, last.Sequence, stoppedNow)]
            : [new CaptureCatalogChanged(Reshaped(_catalog, schemas)), new CaptureOffset(last.To, last.Sequence, stoppedNow)];
        PersistAll(events, e =>
        {
            Apply(e);
            if (e is not CaptureOffset) return;
            _batchesPlaced += batches.Length;
            foreach (var batch in batches)
            {
                if (_destination is { } hubC) Context.ActorSelection(new RootActorPath(hubC) / "user" / CdcSettings.ApplierName).Tell(new ApplyChangeBatch(batch.Batch.Sequence, batch.Encoded));
                _credits.Release();
            }
            if (++_sinceSnapshot >= 500)
            {
                _sinceSnapshot = 0;
                SaveSnapshot(new CaptureSnapshot(_following, _placed, _sequence, _catalog, _stopped, _filter));
            }
        });
    }

    /// <summary>The catalog with schema changes applied in order: a table replaced by its new shape, added, or removed.</summary>
    private static byte[] Reshaped(byte[] catalog, IEnumerable<SchemaChange> changes)
    {
        var decoded = DatasetCatalog.Decode(catalog);
        var tables = decoded.Tables.ToDictionary(t => t.Name, StringComparer.OrdinalIgnoreCase);
        foreach (var change in changes)
        {
            if (change.After is { } after) tables[change.Table] = after;
            else tables.Remove(change.Table);
        }
        return new DatasetCatalog(tables.Values.OrderBy(t => t.Name, StringComparer.Ordinal).ToArray(),
            decoded.Summaries.Where(s => tables.ContainsKey(s.Table)).ToArray()).Encode();
    }

    private void Failed(ReaderFailed failed)
    {
        if (failed.Generation != _generation || !_following) return;
        _error = failed.Reason;
        if (failed.Purged)
        {
            _log.Error("continuous sync cannot resume from {0}: {1}; a new snapshot is asked for", _placed, failed.Reason);
            _following = false;
            _orchestrator.Tell(new CaptureNeedsSnapshot($"the source's binlog no longer holds {_placed} ({failed.Reason})"));
            return;
        }
        _log.Warning("change capture stopped reading ({0}); it retries from the durable offset {1} every {2}", failed.Reason, _placed, _settings.RetryEvery);
        Timers.StartSingleTimer("retry", new RetryReader(failed.Generation), _settings.RetryEvery);
    }

    private sealed record RetryReader(int Generation);

    private void OnTick()
    {
        // The roster every third tick: a node lost meanwhile is passed over by the store timeout, and an idle
        // follow asks the orchestrator a third as often (docs/EVALUATION.md, idle cost).
        if (_ticks++ % RosterEveryTicks == 0 || _nodes.Count == 0)
            _orchestrator.Ask<Roster>(GetRoster.Instance, TimeSpan.FromSeconds(3))
                .PipeTo(Self, failure: error => new RosterFailed(error.Message));
        if (!_following) return;
        _orchestrator.Tell(new CaptureRunning(_placed));
        var now = DateTime.UtcNow;
        foreach (var (sequence, (_, sentAt)) in _inFlight.ToArray())
            if (now - sentAt >= _settings.StoreTimeout) Send(sequence); // to nodes that do not hold it yet
    }

    private void Learn(Roster roster)
    {
        _nodes.Clear();
        foreach (var node in roster.Nodes.Where(n => n.Alive)) _nodes[node.Node] = node.Ref.Path.Address;
        var hubC = roster.Hubs.FirstOrDefault(h => h.Hub == _destinationHub);
        _destination = hubC?.Supervisor.Path.Address;
    }

    private CdcStatus Status()
    {
        long lag = 0;
        var oldest = _unapplied.FirstOrDefault(u => u.CommitMillis > 0);
        if (oldest.CommitMillis > 0) lag = Math.Max(0, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - oldest.CommitMillis);
        return new CdcStatus(_following, _captured, _placed, _applied, lag, _eventsCaptured - _eventsApplied, _eventsCaptured, _eventsApplied, _batchesPlaced,
            _stopped.Select(s => s.Replace('\t', ':')).ToArray(), _error);
    }
}
