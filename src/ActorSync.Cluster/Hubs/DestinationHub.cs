using ActorSync.Cluster.Protocol;
using ActorSync.Coding;
using ActorSync.Data;
using ActorSync.Data.Sqlite;
using ActorSync.Data.Verify;
using Akka.Actor;
using Akka.Event;

namespace ActorSync.Cluster.Hubs;

/// <summary>
/// Hub C's database worker, beside the SQLite file. It applies a dataset by fetching from one chosen node every
/// batch whose digest it does not hold yet, applying them in one transaction, and verifying each table against the
/// source snapshot's digest; if the destination had drifted, it re-applies every batch. It also collects local
/// changes for reverse sync and records their outcome. The file is opened per operation, so nothing stays locked.
/// </summary>
public sealed class DestinationHub : ReceiveActor
{
    private readonly string _hub;
    private readonly string _path;
    private readonly TimeSpan _askTimeout;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public static Props Props(string hub, string sqlitePath, TimeSpan askTimeout) =>
        Akka.Actor.Props.Create(() => new DestinationHub(hub, sqlitePath, askTimeout));

    public DestinationHub(string hub, string sqlitePath, TimeSpan askTimeout)
    {
        _hub = hub;
        _path = sqlitePath;
        _askTimeout = askTimeout;

        ReceiveAsync<ApplyDataset>(ApplyAsync);
        Receive<CollectChanges>(collect => Answer("collect destination changes", () =>
        {
            using var destination = new SqliteDestination(_path);
            var changes = destination.CaptureEnabled ? ReverseSync.Collect(destination, DatasetCatalog.Decode(collect.Catalog).Tables) : new ReverseChangeSet(null, []);
            return new ChangesCollected(_hub, changes.Encode(), changes.Keys);
        }));
        Receive<CompleteChanges>(complete => Answer("record the reverse sync", () =>
        {
            using var destination = new SqliteDestination(_path);
            ReverseSync.Complete(destination, DatasetCatalog.Decode(complete.Catalog).Tables, ReverseResolution.Decode(complete.Resolution));
            return new ChangesCompleted(_hub);
        }));
    }

    private void Answer(string operation, Func<object> work)
    {
        try
        {
            Sender.Tell(work());
        }
        catch (Exception error)
        {
            _log.Warning("hub {0}: could not {1}: {2}", _hub, operation, error.Message);
            Sender.Tell(new HubFailed(_hub, operation, error.Message));
        }
    }

    private async Task ApplyAsync(ApplyDataset apply)
    {
        var requester = Sender;
        try
        {
            var catalog = DatasetCatalog.Decode(apply.Catalog);
            var manifest = new BatchManifest(apply.BatchSize, apply.Digests);
            var fetched = new Dictionary<int, byte[]>();
            long received = 0;

            async Task<ApplyResult> ApplyBatches(SqliteDestination destination, IReadOnlyList<int> batches)
            {
                foreach (var batch in batches.Where(b => !fetched.ContainsKey(b)))
                {
                    var data = await FetchAsync(apply.Node, batch, manifest);
                    fetched[batch] = data;
                    received += data.Length;
                }
                return destination.Apply(catalog.Tables, manifest, batches.ToArray(), b => fetched[b]);
            }

            using var destination = new SqliteDestination(_path);
            var stored = destination.StoredDigests(catalog.Tables, manifest.BatchCount);
            var changed = Enumerable.Range(0, manifest.BatchCount)
                .Where(b => stored[b] is not { } digest || !Digest.Matches(digest, manifest.BatchDigests[b])).ToArray();
            var result = await ApplyBatches(destination, changed);
            var checks = Verifier.CompareWithSnapshot(destination, catalog);
            bool repaired = false;
            if (checks.Any(c => !c.Equal))
            {
                // The destination drifted although its batch records matched: re-apply everything, as a direct sync would.
                _log.Warning("hub {0}: {1} differs from the source snapshot; re-applying every batch", _hub, string.Join(", ", checks.Where(c => !c.Equal).Select(c => c.Table)));
                destination.ForgetBatches();
                var again = await ApplyBatches(destination, Enumerable.Range(0, manifest.BatchCount).ToArray());
                result = new ApplyResult(result.BatchesApplied + again.BatchesApplied, result.RowsWritten + again.RowsWritten, result.BytesApplied + again.BytesApplied, true);
                checks = Verifier.CompareWithSnapshot(destination, catalog);
                repaired = true;
            }
            if (apply.EnableCapture && !destination.CaptureEnabled) destination.EnableChangeCapture(catalog.Tables);
            _log.Info("hub {0}: dataset {1}: applied {2} batch(es), {3} rows; {4}", _hub, apply.Dataset, result.BatchesApplied, result.RowsWritten,
                checks.All(c => c.Equal) ? "verified equal to the source snapshot" : "NOT equal to the source snapshot");
            requester.Tell(new DatasetApplied(_hub, apply.Dataset, result.BatchesApplied, result.RowsWritten, received, repaired,
                checks.Select(c => new TableCheck(c.Table, c.SourceRows, c.DestinationRows, c.SourceDigest, c.DestinationDigest)).ToArray()));
        }
        catch (Exception error)
        {
            _log.Warning("hub {0}: applying dataset {1} failed: {2}", _hub, apply.Dataset, error.Message);
            requester.Tell(new HubFailed(_hub, $"apply dataset {apply.Dataset}", error.Message));
        }
    }

    private async Task<byte[]> FetchAsync(IActorRef node, int batch, BatchManifest manifest)
    {
        var reply = await node.AskFor<object>(new GetBatch(batch), _askTimeout, $"fetching batch B{batch + 1} for {_hub}");
        return reply switch
        {
            BatchData data when manifest.Verify(batch, data.Data) => data.Data,
            BatchData data => throw new ClusterStepException($"node {data.Node + 1} sent batch B{batch + 1} that does not match the manifest digest."),
            BatchMissing missing => throw new ClusterStepException($"node {missing.Node + 1} does not hold batch B{batch + 1}."),
            _ => throw new ClusterStepException($"node {node.Path} answered {reply.GetType().Name} to a batch request."),
        };
    }
}
