using System.Diagnostics;
using ActorSync.Cluster.Protocol;
using ActorSync.Coding;
using Akka.Actor;
using Akka.Event;

namespace ActorSync.Cluster.Orchestration;

/// <summary>A dataset the cluster holds: its manifest and its catalog (opaque bytes from the database edge).</summary>
public sealed record DatasetState(long Dataset, int BatchSize, byte[][] Digests, byte[] Catalog)
{
    public BatchManifest Manifest => new(BatchSize, Digests);
}

/// <summary>What a cycle starts from: the orchestrator's view of the cluster when it began.</summary>
public sealed record CycleSetup(
    int Cycle,
    string Kind,
    string Mode,
    StartSync Request,
    OrchestratorSettings Settings,
    IReadOnlyDictionary<int, IActorRef> Nodes,
    IActorRef? Source,
    IActorRef? Destination,
    DatasetState? Current,
    CancellationToken SourceLost = default,
    CancellationToken DestinationLost = default,
    IReadOnlyDictionary<int, CancellationToken>? NodesLost = null);

/// <summary>Sent to the orchestrator when the cycle ends, with the dataset the nodes now hold (null if none is known).</summary>
public sealed record CycleFinished(CycleReport Report, DatasetState? Dataset) : INoSerializationVerificationNeeded;

/// <summary>
/// One cycle, run by a child of the orchestrator, which relays every batch and packet (so the relay → node fan-out
/// happens after the scarce source link) and counts each link's payload bytes. Kinds:
/// <list type="bullet">
/// <item><c>sync</c> (source up): optional reverse sync C → B; Hub B snapshots; each node learns the manifest and keeps
/// the batches that did not change; placement fills each node's placed batches, from a peer when one holds them
/// (direct repair) and from the source otherwise; coded XOR delivery of what nodes lack; one complete node streams
/// the dataset to Hub C, which applies what changed and verifies. If the snapshot fails, it falls back to recovery.</item>
/// <item><c>recovery</c> (source down): nodes broadcast RLNC packets as the cut-set-optimal allocation says, with
/// rateless top-ups from the helpers of any batch still undetermined; then Hub C is served from a complete node.</item>
/// <item><c>repair</c> (a node came back, source up): direct repair of its placed batches from peers.</item>
/// </list>
/// The coding math is in ActorSync.Coding; this actor only moves messages.
/// </summary>
public sealed class SyncCycle : ReceiveActor
{
    /// <summary>The fallback link: batches sent uncoded after coded delivery left a node short (a crash, a bad packet).</summary>
    public const string FallbackLink = "fallback";
    public const string PeerRepairLink = "peer.repair";
    public const string DestinationIngressLink = "destination.ingress";
    public const string ReverseLink = "reverse";

    private readonly CycleSetup _setup;
    private readonly OrchestratorSettings _settings;
    private readonly Placement _placement;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly LinkCounters _links = new();
    private readonly Dictionary<int, IActorRef> _alive;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly string _startedAt = DateTime.UtcNow.ToString("O");
    private string _mode;
    private int _placed, _xorPackets, _uncodedPackets, _rlncPackets, _repairTransfers;
    private DatasetApplied? _applied;
    private ChangesResolved? _reverse;
    private DatasetState? _dataset;

    public static Props Props(CycleSetup setup) => Akka.Actor.Props.Create(() => new SyncCycle(setup));

    public SyncCycle(CycleSetup setup)
    {
        _setup = setup;
        _settings = setup.Settings;
        _placement = setup.Settings.Placement;
        _alive = setup.Nodes.Where(n => n.Key < _placement.Nodes).ToDictionary(n => n.Key, n => n.Value);
        _mode = setup.Mode;
        _dataset = setup.Current;
        ReceiveAsync<Run>(_ => RunAsync());
    }

    protected override void PreStart() => Self.Tell(Run.Instance);

    private async Task RunAsync()
    {
        string outcome;
        try
        {
            switch (_setup.Kind)
            {
                case "repair":
                    await RepairAsync();
                    break;
                case "sync" when _mode == Orchestrator.Normal:
                    await ForwardAsync();
                    break;
                default:
                    await RecoverAndServeAsync();
                    break;
            }
            outcome = _setup.Kind == "repair" ? "repaired"
                : _applied is null ? "failed: nothing was applied"
                : _applied.Checks.All(c => c.Equal) ? "verified"
                : "failed: the destination differs from the source snapshot in " + string.Join(", ", _applied.Checks.Where(c => !c.Equal).Select(c => c.Table));
        }
        catch (ClusterStepException error)
        {
            outcome = "failed: " + error.Message;
        }
        _log.Info("cycle {0} ({1}, {2}) ended in {3} ms: {4}", _setup.Cycle, _setup.Kind, _mode, _clock.ElapsedMilliseconds, outcome);
        Context.Parent.Tell(new CycleFinished(Report(outcome), _dataset));
        Context.Stop(Self);
    }

    private CycleReport Report(string outcome) => new(
        _setup.Cycle, _setup.Kind, _mode, DeliveryCost.NameOf(_settings.Scheme), _dataset?.Dataset ?? 0, _startedAt, _clock.ElapsedMilliseconds,
        outcome == "verified", outcome, _placement.BatchCount, _dataset?.BatchSize ?? 0, _placed, _xorPackets, _uncodedPackets, _rlncPackets,
        _repairTransfers, _applied?.BatchesApplied ?? 0, _applied?.RowsWritten ?? 0,
        _links.Snapshot().Select(l => new LinkUse(l.Key, l.Value.Packets, l.Value.Bytes)).ToArray(),
        _applied?.Checks ?? [], _reverse?.KeysChanged ?? 0, _reverse?.WrittenToSource ?? 0, _reverse?.Conflicts ?? 0);

    private void Progress(string step, int done, int total) =>
        Context.Parent.Tell(new CycleProgress(_setup.Cycle, _setup.Kind, step, done, total));

    // ---- normal mode -------------------------------------------------------------------------------------------

    private async Task ForwardAsync()
    {
        var source = _setup.Source ?? throw new ClusterStepException($"no source hub ({_settings.SourceHub}) has registered with the orchestrator.");
        bool reverse = _setup.Request.Bidirectional && _dataset is not null;
        int steps = reverse ? 7 : 6, step = 0;
        if (reverse)
        {
            Progress("reverse sync C → B", step++, steps);
            await ReverseAsync(source, _dataset!);
        }

        Progress("snapshot of the source", step++, steps);
        long id = await NextDatasetIdAsync();
        SnapshotPrepared prepared;
        try
        {
            prepared = await source.AskFor<SnapshotPrepared>(new PrepareSnapshot(id, _placement.BatchCount, _settings.Tables),
                _settings.LongStepTimeout, $"snapshotting the source at {_settings.SourceHub}", _setup.SourceLost);
        }
        catch (ClusterStepException error) when (_dataset is not null && _settings.RecoverWhenSourceDown)
        {
            // The source failed mid-read: serve Hub C from the caches of the last dataset instead.
            _log.Warning("cycle {0}: {1}; falling back to peer recovery of dataset {2}", _setup.Cycle, error.Message, _dataset.Dataset);
            _mode = Orchestrator.Recovery;
            await RecoverAndServeAsync();
            return;
        }
        var dataset = new DatasetState(prepared.Dataset, prepared.BatchSize, prepared.Digests, prepared.Catalog);
        _dataset = dataset;
        try
        {
            Progress("manifest to the nodes", step++, steps);
            await InstallManifestAsync(dataset);
            Progress("placement", step++, steps);
            if (_settings.Scheme != DeliveryMode.Direct) await PlaceAsync(dataset, await HoldingsAsync(dataset), source);
            Progress($"delivery ({DeliveryCost.NameOf(_settings.Scheme)})", step++, steps);
            if (_settings.Scheme is DeliveryMode.Direct or DeliveryMode.Partial) await DeliverUncodedAsync(dataset, await HoldingsAsync(dataset), source);
            else await DeliverAsync(dataset, await HoldingsAsync(dataset), source);
            Progress("gap fill", step++, steps);
            await FillGapsAsync(dataset, await HoldingsAsync(dataset), source);
            Progress($"apply at {_settings.DestinationHub}", step, steps);
            await ServeDestinationAsync(dataset, await HoldingsAsync(dataset));
        }
        finally
        {
            source.Tell(new ReleaseSnapshot(dataset.Dataset));
        }
    }

    /// <summary>C → A → B: the destination's local changes, resolved at the source, then recorded at the destination.</summary>
    private async Task ReverseAsync(IActorRef source, DatasetState dataset)
    {
        var destination = Destination();
        var collected = await destination.AskFor<ChangesCollected>(new CollectChanges(dataset.Catalog), _settings.LongStepTimeout,
            $"collecting local changes at {_settings.DestinationHub}", _setup.DestinationLost);
        if (collected.Keys == 0) return;
        _links.Count(ReverseLink, collected.ChangeSet.Length);
        _reverse = await source.AskFor<ChangesResolved>(new ResolveChanges(dataset.Catalog, collected.ChangeSet, _setup.Request.Policy, _setup.Request.TablePolicies),
            _settings.LongStepTimeout, $"writing {collected.Keys} changed key(s) to the source at {_settings.SourceHub}", _setup.SourceLost);
        _links.Count(ReverseLink, _reverse.Resolution.Length);
        await destination.AskFor<ChangesCompleted>(new CompleteChanges(dataset.Catalog, _reverse.Resolution), _settings.AskTimeout,
            $"recording the reverse sync at {_settings.DestinationHub}");
    }

    /// <summary>A dataset id above any the nodes hold, even if a previous orchestrator's clock ran ahead.</summary>
    private async Task<long> NextDatasetIdAsync()
    {
        var holdings = await ForEachNodeAsync((node, actor) =>
            actor.AskFor<Holdings>(GetHoldings.Instance, _settings.AskTimeout, $"asking node {node + 1} for its holdings", NodeLost(node)));
        long highest = holdings.Values.Select(h => h.Dataset).Append(_dataset?.Dataset ?? 0).Max();
        return Math.Max(DateTime.UtcNow.Ticks, highest + 1);
    }

    private async Task InstallManifestAsync(DatasetState dataset)
    {
        var message = new StoreManifest(dataset.Dataset, dataset.BatchSize, dataset.Digests, dataset.Catalog);
        var stored = await ForEachNodeAsync((node, actor) => actor.AskFor<ManifestStored>(message, _settings.AskTimeout, $"giving node {node + 1} the manifest", NodeLost(node)));
        foreach (var (node, answer) in stored.Where(s => s.Value.Dataset != dataset.Dataset))
            Lost(node, new ClusterStepException($"node {node + 1} holds dataset {answer.Dataset}, newer than {dataset.Dataset}"));
    }

    /// <summary>Each node gets the placed batches it lacks: from a peer that holds them, else once from the source.</summary>
    private async Task PlaceAsync(DatasetState dataset, Dictionary<int, NodeView> views, IActorRef source)
    {
        uint aliveMask = Mask(views.Keys);
        var fromSource = new SortedDictionary<int, List<int>>();
        foreach (var (target, view) in views)
        {
            var wanted = _placement.BatchesOf(target).Where(b => !view.Cached.Contains(b)).ToArray();
            if (wanted.Length == 0) continue;
            var plan = DirectRepairPlan.Plan(target, wanted, b => Mask(views.Where(v => v.Value.Known.Contains(b)).Select(v => v.Key)), aliveMask);
            foreach (var transfer in plan.Transfers)
            {
                var data = await FetchFromNodeAsync(transfer.FromNode, transfer.Batch, PeerRepairLink);
                await StoreAsync(dataset, transfer.ToNode, transfer.Batch, data, () => FetchFromNodeAsync(transfer.FromNode, transfer.Batch, PeerRepairLink));
                _repairTransfers++;
            }
            foreach (var batch in plan.Unrecoverable)
            {
                if (!fromSource.TryGetValue(batch, out var targets)) fromSource[batch] = targets = [];
                targets.Add(target);
            }
        }
        foreach (var (batch, targets) in fromSource)
        {
            var data = await FetchFromSourceAsync(source, dataset, batch);
            _placed++;
            foreach (var target in targets) await StoreAsync(dataset, target, batch, data, () => FetchFromSourceAsync(source, dataset, batch));
        }
    }

    /// <summary>Coded delivery of every batch some node lacks, with the plan restricted to those batches.</summary>
    private async Task DeliverAsync(DatasetState dataset, Dictionary<int, NodeView> views, IActorRef source)
    {
        var demanded = new HashSet<int>();
        foreach (var view in views.Values)
            for (int b = 0; b < _placement.BatchCount; b++)
                if (!view.Known.Contains(b)) demanded.Add(b);
        if (demanded.Count == 0) return;
        var wanting = views.Where(v => v.Value.Known.Count < _placement.BatchCount).Select(v => v.Key).ToHashSet();

        var plan = (_settings.Scheme == DeliveryMode.Leader
            ? XorDeliveryPlan.LeaderBased(_placement, leader: views.Keys.Min())
            : XorDeliveryPlan.ThesisMan(_placement)).RestrictedTo(demanded);
        foreach (var spec in plan.Packets)
        {
            var recipients = Combinatorics.Members(spec.Recipients).Where(wanting.Contains).ToArray();
            if (recipients.Length == 0) continue;
            var packet = await source.AskFor<XorPacketMessage>(new EncodeXor(dataset.Dataset, spec.Index, spec.Batches), _settings.AskTimeout,
                $"encoding XOR packet P{spec.Index + 1} at {_settings.SourceHub}");
            _links.Count(LinkCounters.SourceEgress, packet.Payload.Length);
            _xorPackets++;
            await Task.WhenAll(recipients.Select(node => ForwardXorAsync(node, packet)));
        }
    }

    /// <summary>
    /// The uncoded baselines (direct, partial): each batch some node lacks leaves the source once, and the relay
    /// forwards it to every node lacking it, as a one-batch packet.
    /// </summary>
    private async Task DeliverUncodedAsync(DatasetState dataset, Dictionary<int, NodeView> views, IActorRef source)
    {
        const int FirstIndex = 1 << 21; // apart from the XOR plans' and the gap fill's packet indices
        for (int batch = 0; batch < _placement.BatchCount; batch++)
        {
            var lacking = views.Where(v => !v.Value.Known.Contains(batch)).Select(v => v.Key).ToArray();
            if (lacking.Length == 0) continue;
            var packet = XorPacket.Create(FirstIndex + batch, [batch], await FetchFromSourceAsync(source, dataset, batch));
            _uncodedPackets++;
            var message = new XorPacketMessage(dataset.Dataset, packet.Index, packet.Batches, packet.Payload, packet.Checksum);
            await Task.WhenAll(lacking.Select(node => ForwardXorAsync(node, message)));
        }
    }

    private async Task ForwardXorAsync(int node, XorPacketMessage packet)
    {
        if (!_alive.TryGetValue(node, out var actor)) return;
        for (int attempt = 1; ; attempt++)
        {
            Relay(node, packet.Payload.Length);
            try
            {
                var accepted = await actor.AskFor<XorAccepted>(packet, _settings.AskTimeout, $"sending XOR packet P{packet.Index + 1} to node {node + 1}", NodeLost(node));
                // A checksum failure means damage in transit: send it once more. Anything else is settled by the gap fill.
                if (accepted.Outcome != nameof(XorAcceptOutcome.Rejected) || accepted.FailedVerification.Length > 0 || attempt == 2) return;
            }
            catch (ClusterStepException error)
            {
                Lost(node, error);
                return;
            }
        }
    }

    /// <summary>Whatever a node still lacks after coded delivery goes to it uncoded, from a peer or the source.</summary>
    private async Task FillGapsAsync(DatasetState dataset, Dictionary<int, NodeView> views, IActorRef? source)
    {
        int index = 1 << 20; // above every plan's packet indices
        foreach (var (node, view) in views)
            for (int batch = 0; batch < _placement.BatchCount; batch++)
            {
                if (view.Known.Contains(batch)) continue;
                int[] peers = views.Where(v => v.Key != node && v.Value.Known.Contains(batch)).Select(v => v.Key).ToArray();
                byte[] data = peers.Length > 0 ? await FetchFromNodeAsync(peers[0], batch, FallbackLink)
                    : source is not null ? await FetchFromSourceAsync(source, dataset, batch)
                    : throw new ClusterStepException($"batch B{batch + 1} is held by no live node and the source is down.");
                if (peers.Length == 0) _links.Count(FallbackLink, data.Length);
                var packet = XorPacket.Create(index++, [batch], data);
                await ForwardXorAsync(node, new XorPacketMessage(dataset.Dataset, packet.Index, packet.Batches, packet.Payload, packet.Checksum));
            }
    }

    // ---- recovery mode -----------------------------------------------------------------------------------------

    private async Task RecoverAndServeAsync()
    {
        var dataset = await KnownDatasetToNodesAsync(steps: 4);
        Progress("linear-coded peer recovery", 1, 4);
        await RecoverAsync(dataset);
        Progress("gap fill", 2, 4);
        await FillGapsAsync(dataset, await HoldingsAsync(dataset), source: null);
        Progress($"apply at {_settings.DestinationHub} from the caches", 3, 4);
        await ServeDestinationAsync(dataset, await HoldingsAsync(dataset));
    }

    /// <summary>Step one of a recovery or repair: the dataset (the last one, or the nodes' newest) and its manifest on every node.</summary>
    private async Task<DatasetState> KnownDatasetToNodesAsync(int steps)
    {
        Progress("manifest to the nodes", 0, steps);
        var dataset = _dataset ?? await DatasetFromNodesAsync();
        _dataset = dataset;
        await InstallManifestAsync(dataset);
        return dataset;
    }

    /// <summary>An orchestrator that just took over knows no dataset: the newest manifest the nodes hold is the one.</summary>
    private async Task<DatasetState> DatasetFromNodesAsync()
    {
        var manifests = await ForEachNodeAsync((node, actor) =>
            actor.AskFor<NodeManifest>(GetManifest.Instance, _settings.AskTimeout, $"asking node {node + 1} for its manifest", NodeLost(node)));
        var newest = manifests.Values.Where(m => m.BatchSize > 0).MaxBy(m => m.Dataset);
        return newest is null
            ? throw new ClusterStepException("no live node holds a dataset manifest yet: run a sync while the source is up first.")
            : new DatasetState(newest.Dataset, newest.BatchSize, newest.Digests, newest.Catalog);
    }

    /// <summary>RLNC peer recovery: the allocated packets from each node to every node short of batches, then top-ups.</summary>
    private async Task RecoverAsync(DatasetState dataset)
    {
        var views = await HoldingsAsync(dataset);
        var targets = views.Where(v => v.Value.Known.Count < _placement.BatchCount).Select(v => v.Key).ToHashSet();
        if (targets.Count == 0) return;
        var holders = Enumerable.Range(0, _placement.BatchCount).Select(b => Mask(views.Where(v => v.Value.Cached.Contains(b)).Select(v => v.Key))).ToArray();
        uint participants = Mask(views.Keys);
        var allocation = RecoveryAllocation.Solve(_placement.Nodes, holders, participants);
        if (allocation.Unrecoverable.Count > 0)
            throw new ClusterStepException($"batch(es) {string.Join(", ", allocation.Unrecoverable.Select(b => $"B{b + 1}"))} are cached by no live node; they come back when their holders or the source return. Hub C was not touched.");
        _log.Info("cycle {0}: peer recovery for node(s) {1}: {2} packet(s) in all ({3})", _setup.Cycle,
            string.Join(", ", targets.Select(t => t + 1)), allocation.Total, string.Join(" ", allocation.PacketsPerNode.Select((x, i) => $"n{i + 1}={x}")));

        var lastReply = new Dictionary<int, RlncAccepted>();
        var complete = new HashSet<int>();
        async Task SendAsync(int sender, IEnumerable<int> to)
        {
            var packet = await _alive[sender].AskFor<RlncPacketMessage>(new EncodeRecovery(dataset.Dataset, 1), _settings.AskTimeout,
                $"asking node {sender + 1} for a recovery packet", NodeLost(sender));
            _links.Count(LinkCounters.NodeEgress(sender), packet.Payload.Length);
            _links.Count(LinkCounters.PeerRecovery, packet.Payload.Length);
            _rlncPackets++;
            var receivers = to.Where(t => t != sender && !complete.Contains(t) && _alive.ContainsKey(t)).ToArray();
            foreach (var target in receivers) Relay(target, packet.Payload.Length);
            var replies = await Task.WhenAll(receivers.Select(target =>
                _alive[target].AskFor<RlncAccepted>(packet, _settings.AskTimeout, $"sending a recovery packet to node {target + 1}", NodeLost(target))));
            foreach (var reply in replies)
            {
                lastReply[reply.Node] = reply;
                if (reply.Decoded.Length > 0 && reply.Undetermined.Length == 0) complete.Add(reply.Node);
            }
        }

        for (int node = 0; node < _placement.Nodes; node++)
            for (int i = 0; i < allocation.PacketsPerNode[node]; i++)
                await SendAsync(node, targets);

        // Rateless: a target still short of rank asks the holders of what it has not determined for one more each.
        for (int round = 0; round < 2 * _placement.BatchCount && targets.Except(complete).Any(); round++)
            foreach (var target in targets.Except(complete).ToArray())
            {
                var undetermined = lastReply.TryGetValue(target, out var reply) && reply.Undetermined.Length > 0 ? reply.Undetermined
                    : Enumerable.Range(0, _placement.BatchCount).Where(b => !views[target].Known.Contains(b)).ToArray();
                var helpers = RecoveryAllocation.Helpers(undetermined, holders, participants & ~(1u << target));
                foreach (var helper in Combinatorics.Members(helpers)) await SendAsync(helper, [target]);
            }

        // A node rebuilt this way holds its placed batches only in memory: journal them again.
        foreach (var target in targets.Where(_alive.ContainsKey))
        {
            var placed = _placement.BatchesOf(target).Where(b => !views[target].Cached.Contains(b)).ToArray();
            if (placed.Length > 0)
                await _alive[target].AskFor<DecodedCached>(new CacheDecoded(dataset.Dataset, placed), _settings.AskTimeout, $"asking node {target + 1} to journal its recovered batches", NodeLost(target));
        }
    }

    // ---- repair ------------------------------------------------------------------------------------------------

    /// <summary>A node came back while the source is up: peers refill the placed batches it lost.</summary>
    private async Task RepairAsync()
    {
        var dataset = await KnownDatasetToNodesAsync(steps: 2);
        Progress("direct repair from peers", 1, 2);
        var views = await HoldingsAsync(dataset);
        uint aliveMask = Mask(views.Keys);
        foreach (var (target, view) in views)
        {
            var wanted = _placement.BatchesOf(target).Where(b => !view.Cached.Contains(b)).ToArray();
            if (wanted.Length == 0) continue;
            var plan = DirectRepairPlan.Plan(target, wanted, b => Mask(views.Where(v => v.Value.Known.Contains(b)).Select(v => v.Key)), aliveMask);
            if (plan.Unrecoverable.Count > 0)
                _log.Warning("cycle {0}: node {1}: no live peer holds {2}; the next sync cycle places them from the source", _setup.Cycle, target + 1,
                    string.Join(", ", plan.Unrecoverable.Select(b => $"B{b + 1}")));
            foreach (var transfer in plan.Transfers)
            {
                var data = await FetchFromNodeAsync(transfer.FromNode, transfer.Batch, PeerRepairLink);
                await StoreAsync(dataset, transfer.ToNode, transfer.Batch, data, () => FetchFromNodeAsync(transfer.FromNode, transfer.Batch, PeerRepairLink));
                _repairTransfers++;
            }
        }
    }

    // ---- shared steps ------------------------------------------------------------------------------------------

    /// <summary>One node that holds every batch streams the dataset to Hub C, which applies what changed and verifies.</summary>
    private async Task ServeDestinationAsync(DatasetState dataset, Dictionary<int, NodeView> views)
    {
        var complete = views.Where(v => v.Value.Known.Count == _placement.BatchCount).Select(v => v.Key).Order().ToArray();
        if (complete.Length == 0)
            throw new ClusterStepException($"no live node holds all {_placement.BatchCount} batches of dataset {dataset.Dataset}; Hub C was not touched.");
        int chosen = complete[_setup.Cycle % complete.Length]; // rotate, so no one node carries every cycle's egress
        _log.Info("cycle {0}: node {1} sends dataset {2} to {3}", _setup.Cycle, chosen + 1, dataset.Dataset, _settings.DestinationHub);
        _applied = await Destination().AskFor<DatasetApplied>(
            new ApplyDataset(dataset.Dataset, dataset.BatchSize, dataset.Digests, dataset.Catalog, _alive[chosen], _setup.Request.Bidirectional),
            _settings.LongStepTimeout, $"applying dataset {dataset.Dataset} at {_settings.DestinationHub}", _setup.DestinationLost);
        if (_applied.BytesReceived > 0)
        {
            int batches = (int)(_applied.BytesReceived / Math.Max(1, dataset.BatchSize));
            _links.Count(LinkCounters.NodeEgress(chosen), _applied.BytesReceived, batches);
            _links.Count(DestinationIngressLink, _applied.BytesReceived, batches);
        }
    }

    private async Task<byte[]> FetchFromSourceAsync(IActorRef source, DatasetState dataset, int batch)
    {
        var reply = await source.AskFor<SourceBatch>(new FetchBatch(dataset.Dataset, batch), _settings.AskTimeout, $"fetching batch B{batch + 1} from {_settings.SourceHub}");
        _links.Count(LinkCounters.SourceEgress, reply.Data.Length);
        return reply.Data;
    }

    private async Task<byte[]> FetchFromNodeAsync(int node, int batch, string link)
    {
        var reply = await _alive[node].AskFor<object>(new GetBatch(batch), _settings.AskTimeout, $"fetching batch B{batch + 1} from node {node + 1}", NodeLost(node));
        if (reply is not BatchData data)
            throw new ClusterStepException($"node {node + 1} no longer holds batch B{batch + 1}.");
        _links.Count(LinkCounters.NodeEgress(node), data.Data.Length);
        _links.Count(link, data.Data.Length);
        return data.Data;
    }

    /// <summary>Relays a batch to a node; a node that rejects it as damaged gets a fresh copy once.</summary>
    private async Task StoreAsync(DatasetState dataset, int node, int batch, byte[] data, Func<Task<byte[]>> refetch)
    {
        var digest = dataset.Digests[batch];
        for (int attempt = 1; ; attempt++)
        {
            Relay(node, data.Length);
            var reply = await _alive[node].AskFor<object>(new StoreBatch(dataset.Dataset, batch, data, digest), _settings.AskTimeout,
                $"placing batch B{batch + 1} on node {node + 1}", NodeLost(node));
            if (reply is BatchStored) return;
            var reason = reply is BatchRejected rejected ? rejected.Reason : reply.GetType().Name;
            if (attempt == 2) throw new ClusterStepException($"node {node + 1} refused batch B{batch + 1} twice: {reason}");
            data = await refetch();
        }
    }

    private async Task<Dictionary<int, NodeView>> HoldingsAsync(DatasetState dataset)
    {
        var answers = await ForEachNodeAsync((node, actor) =>
            actor.AskFor<Holdings>(GetHoldings.Instance, _settings.AskTimeout, $"asking node {node + 1} for its holdings", NodeLost(node)));
        return answers.ToDictionary(a => a.Key, a => a.Value.Dataset == dataset.Dataset
            ? new NodeView(a.Value.Batches.ToHashSet(), a.Value.Batches.Concat(a.Value.Decoded).ToHashSet())
            : new NodeView([], []));
    }

    /// <summary>
    /// Asks every live node in parallel and returns the answers by node; a node that does not answer is dropped
    /// from this cycle. Results are gathered after all answers are in, so no state is shared between the asks.
    /// </summary>
    private async Task<Dictionary<int, T>> ForEachNodeAsync<T>(Func<int, IActorRef, Task<T>> ask)
    {
        var results = await Task.WhenAll(_alive.ToArray().Select(async n =>
        {
            try
            {
                return (Node: n.Key, Answer: await ask(n.Key, n.Value), Error: (ClusterStepException?)null);
            }
            catch (ClusterStepException error)
            {
                return (Node: n.Key, Answer: default(T), Error: error);
            }
        }));
        var answers = new Dictionary<int, T>();
        foreach (var (node, answer, error) in results)
            if (error is not null) Lost(node, error);
            else answers[node] = answer!;
        if (_alive.Count == 0) throw new ClusterStepException("no node answered: the cluster has no live nodes.");
        return answers;
    }

    /// <summary>Cancelled when the node is reported down during the cycle: a wait on it ends then, not at the ask timeout.</summary>
    private CancellationToken NodeLost(int node) => _setup.NodesLost?.GetValueOrDefault(node) ?? default;

    private void Lost(int node, Exception error)
    {
        if (_alive.Remove(node)) _log.Warning("cycle {0}: node {1} is left out of this cycle: {2}", _setup.Cycle, node + 1, error.Message);
    }

    private void Relay(int node, long bytes)
    {
        _links.Count(LinkCounters.Relay, bytes);
        _links.Count(LinkCounters.NodeIngress(node), bytes);
    }

    private IActorRef Destination() =>
        _setup.Destination ?? throw new ClusterStepException($"no destination hub ({_settings.DestinationHub}) has registered with the orchestrator.");

    private static uint Mask(IEnumerable<int> nodes) => nodes.Aggregate(0u, (mask, node) => mask | (1u << node));

    private sealed record NodeView(HashSet<int> Cached, HashSet<int> Known);

    private sealed record Run : INoSerializationVerificationNeeded
    {
        public static readonly Run Instance = new();
    }
}
