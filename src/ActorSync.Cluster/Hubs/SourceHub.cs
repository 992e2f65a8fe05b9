using System.Diagnostics;
using ActorSync.Cluster.Protocol;
using ActorSync.Coding;
using ActorSync.Data;
using ActorSync.Data.MySql;
using Akka.Actor;
using Akka.Event;

namespace ActorSync.Cluster.Hubs;

/// <summary>
/// Hub B's database worker, beside MySQL. It snapshots the source into key-hash batches (spooled, one dataset at a
/// time), serves them across the source link one batch or one XOR packet at a time, and resolves reverse-sync
/// changes against the source. Every failure is answered with <see cref="HubFailed"/> naming what broke; the
/// database edge does the work, this actor only routes to it.
/// </summary>
public sealed class SourceHub : ReceiveActor
{
    private readonly string _hub;
    private readonly ISyncSource _source;
    private readonly string? _spoolDirectory;
    private readonly long _maxBatchBytes;
    private readonly LinkShaper? _link;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private Dataset? _dataset;
    private long _datasetId;

    /// <param name="maxBatchBytes">The largest batch the cluster's frames carry; a bigger one is refused by name.</param>
    /// <param name="link">Shapes the source link (latency, bandwidth) for evaluation; null sends at once.</param>
    public static Props Props(string hub, ISyncSource source, long maxBatchBytes, string? spoolDirectory = null, LinkShaper? link = null) =>
        Akka.Actor.Props.Create(() => new SourceHub(hub, source, maxBatchBytes, spoolDirectory, link));

    public SourceHub(string hub, ISyncSource source, long maxBatchBytes, string? spoolDirectory, LinkShaper? link)
    {
        _hub = hub;
        _source = source;
        _maxBatchBytes = maxBatchBytes;
        _spoolDirectory = spoolDirectory;
        _link = link is { IsShaped: true } ? link : null;

        ReceiveAsync<PrepareSnapshot>(Prepare);
        Receive<FetchBatch>(fetch =>
        {
            if (Current(fetch.Dataset, "serve a batch") is not { } dataset) return;
            if ((uint)fetch.Batch >= (uint)dataset.BatchCount)
            {
                Sender.Tell(new HubFailed(_hub, "serve a batch", $"batch B{fetch.Batch + 1} is outside dataset {fetch.Dataset}'s {dataset.BatchCount} batches."));
                return;
            }
            var data = dataset.ReadBatch(fetch.Batch);
            SendOverLink(Sender, new SourceBatch(fetch.Dataset, fetch.Batch, data, dataset.Manifest.BatchDigests[fetch.Batch]), data.Length);
        });
        Receive<EncodeXor>(encode =>
        {
            if (Current(encode.Dataset, "encode an XOR packet") is not { } dataset) return;
            if (encode.Batches.Length == 0 || encode.Batches.Any(b => (uint)b >= (uint)dataset.BatchCount))
            {
                Sender.Tell(new HubFailed(_hub, "encode an XOR packet", $"packet P{encode.Index + 1} names batches outside dataset {encode.Dataset}'s {dataset.BatchCount}."));
                return;
            }
            var packet = XorDeliveryPlan.Encode(encode.Index, encode.Batches, dataset.ReadBatch);
            SendOverLink(Sender, new XorPacketMessage(encode.Dataset, packet.Index, packet.Batches, packet.Payload, packet.Checksum), packet.Payload.Length);
        });
        Receive<ReleaseSnapshot>(release =>
        {
            if (release.Dataset != _datasetId) return;
            _dataset?.Dispose();
            _dataset = null;
        });
        ReceiveAsync<ResolveChanges>(Resolve);
    }

    protected override void PostStop() => _dataset?.Dispose();

    /// <summary>A payload across the source link: at once, or after the shaped link's queueing, transmission and latency.</summary>
    private void SendOverLink(IActorRef to, object message, long bytes)
    {
        if (_link is null) to.Tell(message, Self);
        else Context.System.Scheduler.ScheduleTellOnce(_link.DelayFor(bytes), to, message, Self);
    }

    private async Task Prepare(PrepareSnapshot prepare)
    {
        var requester = Sender;
        var clock = Stopwatch.StartNew();
        try
        {
            var tables = await _source.DiscoverAsync(prepare.Tables.Length == 0 ? null : prepare.Tables);
            if (tables.Count == 0) throw new DataEdgeException($"{_source.Name}: the database has no tables to sync.");
            var dataset = await Dataset.ReadAsync(_source, tables, prepare.BatchCount, _spoolDirectory);
            if (dataset.Manifest.BatchSize > _maxBatchBytes)
            {
                int size = dataset.Manifest.BatchSize;
                dataset.Dispose();
                throw new DataEdgeException($"dataset {prepare.Dataset}: its {prepare.BatchCount} batches are {size:N0} bytes each, above the {_maxBatchBytes:N0} that one cluster frame carries (akka.remote.dot-netty.tcp.maximum-frame-size, the same on every member); raise actorsync.orchestrator.eta for more, smaller batches, or raise the frame size on every member.");
            }
            _dataset?.Dispose();
            _dataset = dataset;
            _datasetId = prepare.Dataset;
            _log.Info("hub {0}: dataset {1} snapshotted: {2} rows in {3} batches of {4} bytes, {5} ms",
                _hub, prepare.Dataset, dataset.RowsPerTable.Values.Sum(), dataset.BatchCount, dataset.Manifest.BatchSize, clock.ElapsedMilliseconds);
            requester.Tell(new SnapshotPrepared(_hub, prepare.Dataset, dataset.Manifest.BatchSize, dataset.Manifest.BatchDigests.ToArray(),
                dataset.Catalog.Encode(), dataset.RowsPerTable.Values.Sum(), clock.ElapsedMilliseconds));
        }
        catch (Exception error)
        {
            _log.Warning("hub {0}: snapshot of dataset {1} failed: {2}", _hub, prepare.Dataset, error.Message);
            requester.Tell(new HubFailed(_hub, "snapshot the source", error.Message));
        }
    }

    private async Task Resolve(ResolveChanges resolve)
    {
        var requester = Sender;
        try
        {
            var tables = DatasetCatalog.Decode(resolve.Catalog).Tables;
            var policies = ConflictPolicies.Parse(resolve.Policy, resolve.TablePolicies);
            var resolution = await ReverseSync.ResolveAsync(_source, tables, ReverseChangeSet.Decode(resolve.ChangeSet), policies);
            _log.Info("hub {0}: reverse sync wrote {1} row(s) to the source, {2} conflict(s)", _hub, resolution.WrittenToSource, resolution.Conflicts.Count);
            requester.Tell(new ChangesResolved(_hub, resolution.Encode(), resolution.KeysChanged, resolution.WrittenToSource, resolution.Conflicts.Count));
        }
        catch (Exception error)
        {
            _log.Warning("hub {0}: reverse sync failed: {1}", _hub, error.Message);
            requester.Tell(new HubFailed(_hub, "write destination changes to the source", error.Message));
        }
    }

    private Dataset? Current(long dataset, string operation)
    {
        if (dataset == _datasetId && _dataset is not null) return _dataset;
        Sender.Tell(new HubFailed(_hub, operation, $"dataset {dataset} is not the snapshot held here ({(_dataset is null ? "none" : _datasetId)}); run a new cycle."));
        return null;
    }
}
