using ActorSync.Cluster.Protocol;
using ActorSync.Coding;
using ActorSync.Data;
using ActorSync.Data.Sqlite;
using ActorSync.Data.Verify;
using Akka.Actor;
using Akka.Event;
using Akka.Streams;
using Akka.Streams.Dsl;

namespace ActorSync.Cluster.Hubs;

/// <summary>What Hub C reads back to verify an apply before it commits.</summary>
public enum ReadBack
{
    /// <summary>Rows the apply did not write are read back; rewritten buckets are checked by key, their content by the digest of what was bound.</summary>
    Untouched,

    /// <summary>Every row of every table is read back and digested.</summary>
    All,
}

/// <summary>
/// Hub C's database worker, beside the SQLite file, on a dispatcher of its own (the apply blocks on SQLite). It applies
/// a dataset as it streams in from one node, segment by segment, in one transaction (<see cref="ApplySession"/>): the
/// node streams the batches whose roots differ from those Hub C holds, even while it is still receiving them. Once the
/// stream has ended and the cycle has sent the manifest, it checks every batch, verifies each table against the source
/// snapshot's digest, and commits; if the destination had drifted, it rolls back and replaces everything from the same
/// node. A lost stream rolls back and says so (<see cref="ApplyInterrupted"/>), and the cycle starts it from another
/// node. It also collects local changes for reverse sync and records their outcome.
/// </summary>
public sealed class DestinationHub : ReceiveActor, IWithTimers
{
    public const string Dispatcher = "actorsync.blocking-io-dispatcher";

    private readonly string _hub;
    private readonly string _path;
    private readonly TimeSpan _askTimeout;
    private readonly ReadBack _readBack;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private Apply? _apply;
    private readonly IMaterializer _materializer = Context.Materializer();

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="readBack">What verification reads back before the commit (actorsync.destination.read-back).</param>
    public static Props Props(string hub, string sqlitePath, TimeSpan askTimeout, ReadBack readBack = ReadBack.Untouched) =>
        Akka.Actor.Props.Create(() => new DestinationHub(hub, sqlitePath, askTimeout, readBack)).WithDispatcher(Dispatcher);

    public DestinationHub(string hub, string sqlitePath, TimeSpan askTimeout, ReadBack readBack)
    {
        _hub = hub;
        _path = sqlitePath;
        _askTimeout = askTimeout;
        _readBack = readBack;
        Idle();
    }

    protected override void PostStop() => _apply?.Dispose();

    private void Idle()
    {
        Receive<ApplyDataset>(Start);
        Receive<CollectChanges>(collect => ReverseStreams.Collect(_hub, _path, collect, _materializer)
            .PipeTo(Sender, Self, collected => collected, error => new HubFailed(_hub, "collect destination changes", error.Message)));
        Receive<CompleteChanges>(complete =>
        {
            var requester = Sender;
            var self = Self;
            ReverseStreams.CompleteAsync(_hub, _path, complete, _materializer)
                .PipeTo(requester, self, done => done, error => new HubFailed(_hub, "record the reverse sync", error.Message));
        });
        Receive<FinishApply>(finish => Sender.Tell(new HubFailed(_hub, $"apply dataset {finish.Dataset}", "no apply of it is running here.")));
    }

    private void Applying()
    {
        Receive<DestinationFeedOffered>(offered =>
        {
            if (_apply is not { } apply || offered.Dataset != apply.Request.Dataset) return;
            Timers.Cancel(FeedTimeout.Instance);
            apply.Stream = offered.Segments.Source
                .ViaMaterialized(KillSwitches.Single<IDataFrame>(), Keep.Right)
                .To(Sink.ActorRefWithAck<IDataFrame>(Self, FeedStarted.Instance, FeedAck.Instance, FeedEnded.Instance, cause => new FeedFailed(cause)))
                .Run(_materializer);
        });
        Receive<FeedStarted>(_ => Sender.Tell(FeedAck.Instance));
        Receive<SegmentFrame>(segment =>
        {
            if (_apply is not { } apply) return;
            try
            {
                if (segment.Dataset != apply.Request.Dataset) throw new DataEdgeException($"a segment of dataset {segment.Dataset} came in the stream of dataset {apply.Request.Dataset}.");
                if (segment.Length < 0 || segment.Length > segment.Payload.Length || segment.Payload.AsSpan(segment.Length).ContainsAnyExcept((byte)0))
                    throw new DataEdgeException($"segment {segment.Index} of batch B{segment.Batch + 1} has damaged padding.");
                apply.Session!.Add(segment.Batch, segment.Index, segment.Payload.AsSpan(0, segment.Length), segment.Digest);
                apply.Bytes += segment.Payload.Length;
                Sender.Tell(FeedAck.Instance);
            }
            catch (DataEdgeException error)
            {
                Fail(apply, error.Message);
            }
        });
        Receive<FeedEnded>(_ =>
        {
            if (_apply is not { } apply) return;
            apply.Fed = true;
            TryFinish(apply);
        });
        Receive<FeedFailed>(failed => Interrupted($"the stream from the node failed: {failed.Cause.Message}"));
        Receive<FeedTimeout>(_ => Interrupted($"the node did not offer its stream within {_askTimeout.TotalSeconds:0} s"));
        Receive<HubFailed>(failed => Interrupted($"{failed.Hub} could not {failed.Operation}: {failed.Reason}"));
        Receive<Status.Failure>(failure => Interrupted(failure.Cause.Message));
        Receive<FinishApply>(finish =>
        {
            if (_apply is not { } apply || finish.Dataset != apply.Request.Dataset)
            {
                Sender.Tell(new HubFailed(_hub, $"apply dataset {finish.Dataset}", "no apply of it is running here."));
                return;
            }
            apply.Finish = finish;
            TryFinish(apply);
        });
        Receive<ApplyDataset>(Start); // a new attempt (another node) replaces the one under way
        Receive<CollectChanges>(_ => Sender.Tell(new HubFailed(_hub, "collect destination changes", "an apply is running.")));
    }

    private void Start(ApplyDataset request)
    {
        _apply?.Dispose();
        _apply = null;
        Become(Applying);
        Begin(new Apply(request, Sender), replaceAll: false);
    }

    private void Begin(Apply apply, bool replaceAll)
    {
        try
        {
            var catalog = DatasetCatalog.Decode(apply.Request.Schemas);
            apply.Destination = new SqliteDestination(_path);
            apply.Session = apply.Destination.BeginApply(catalog.Tables, apply.Request.BatchCount, apply.Request.Layout, replaceAll);
            _apply = apply;
            var roots = apply.Session.StoredRoots.Select(r => r ?? []).ToArray();
            apply.Request.Node.Tell(new FeedDestination(apply.Request.Dataset, apply.Request.BatchCount, apply.Request.SegmentSize, roots, apply.Session.FullReplace), Self);
            Timers.StartSingleTimer(FeedTimeout.Instance, FeedTimeout.Instance, _askTimeout);
        }
        catch (Exception error) when (error is DataEdgeException or ArgumentException)
        {
            _apply = apply;
            Fail(apply, error.Message);
        }
    }

    private void TryFinish(Apply apply)
    {
        if (!apply.Fed || apply.Finish is not { } finish) return;
        try
        {
            var manifest = BatchManifest.Decode(finish.Manifest);
            var catalog = DatasetCatalog.Decode(finish.Catalog);
            long streamed = apply.Clock.ElapsedMilliseconds;
            var result = apply.Session!.Finish(manifest, catalog.Summaries);
            long finished = apply.Clock.ElapsedMilliseconds;
            var checks = _readBack == ReadBack.All ? Verifier.CompareWithSnapshot(apply.Destination!, catalog)
                : Verifier.CompareWithSnapshot(apply.Destination!, catalog, apply.Session.Written);
            long verified = apply.Clock.ElapsedMilliseconds;
            if (checks.Any(c => !c.Equal) && !apply.Repairing)
            {
                // The destination drifted although its batch records matched: replace everything, as a direct sync would.
                _log.Warning("hub {0}: {1} differs from the source snapshot; applying every batch again", _hub, string.Join(", ", checks.Where(c => !c.Equal).Select(c => c.Table)));
                apply.Dispose();
                var again = new Apply(apply.Request, apply.Requester) { Repairing = true, Finish = finish, PreviousBatches = result.BatchesApplied, PreviousRows = result.RowsWritten, Bytes = apply.Bytes };
                Begin(again, replaceAll: true);
                return;
            }
            apply.Session.Commit();
            if (apply.Request.EnableCapture && !apply.Destination!.CaptureEnabled) apply.Destination.EnableChangeCapture(catalog.Tables);
            _log.Info($"hub {_hub}: dataset {apply.Request.Dataset}: applied {result.BatchesApplied} batch(es), {result.RowsWritten} rows; " +
                      (checks.All(c => c.Equal) ? "verified equal to the source snapshot" : "NOT equal to the source snapshot") +
                      $" (streamed and applied by {streamed} ms, checked {finished}, verified {verified}, committed {apply.Clock.ElapsedMilliseconds})");
            apply.Requester.Tell(new DatasetApplied(_hub, apply.Request.Dataset, apply.PreviousBatches + result.BatchesApplied, apply.PreviousRows + result.RowsWritten,
                apply.Bytes, apply.Repairing, checks.Select(c => new TableCheck(c.Table, c.SourceRows, c.DestinationRows, c.SourceDigest, c.DestinationDigest)).ToArray()));
            End();
        }
        catch (Exception error) when (error is DataEdgeException or InvalidDataException)
        {
            Fail(apply, error.Message);
        }
    }

    /// <summary>The apply cannot go on: nothing was applied; the cycle is told why.</summary>
    private void Fail(Apply apply, string reason)
    {
        _log.Warning("hub {0}: applying dataset {1} failed: {2}", _hub, apply.Request.Dataset, reason);
        apply.Requester.Tell(new HubFailed(_hub, $"apply dataset {apply.Request.Dataset}", reason));
        End();
    }

    private void Interrupted(string reason)
    {
        if (_apply is not { } apply) return;
        _log.Warning("hub {0}: applying dataset {1} was interrupted, nothing applied: {2}", _hub, apply.Request.Dataset, reason);
        apply.Requester.Tell(new ApplyInterrupted(_hub, apply.Request.Dataset, reason));
        End();
    }

    private void End()
    {
        Timers.Cancel(FeedTimeout.Instance);
        _apply?.Dispose();
        _apply = null;
        Become(Idle);
    }

    /// <summary>One apply under way: its request, the open destination and session, and how far it is.</summary>
    private sealed class Apply(ApplyDataset request, IActorRef requester) : IDisposable
    {
        public ApplyDataset Request { get; } = request;
        public IActorRef Requester { get; } = requester;
        public SqliteDestination? Destination { get; set; }
        public ApplySession? Session { get; set; }
        public UniqueKillSwitch? Stream { get; set; }
        public FinishApply? Finish { get; set; }
        public bool Fed { get; set; }
        public bool Repairing { get; init; }
        public long Bytes { get; set; }
        public System.Diagnostics.Stopwatch Clock { get; } = System.Diagnostics.Stopwatch.StartNew();
        public int PreviousBatches { get; init; }
        public long PreviousRows { get; init; }

        public void Dispose()
        {
            Stream?.Abort(new OperationCanceledException("the apply ended"));
            Session?.Dispose();
            Destination?.Dispose();
        }
    }

    private sealed record FeedStarted : INoSerializationVerificationNeeded
    {
        public static readonly FeedStarted Instance = new();
    }

    private sealed record FeedAck : INoSerializationVerificationNeeded
    {
        public static readonly FeedAck Instance = new();
    }

    private sealed record FeedEnded : INoSerializationVerificationNeeded
    {
        public static readonly FeedEnded Instance = new();
    }

    private sealed record FeedFailed(Exception Cause) : INoSerializationVerificationNeeded;

    private sealed record FeedTimeout : INoSerializationVerificationNeeded
    {
        public static readonly FeedTimeout Instance = new();
    }
}
