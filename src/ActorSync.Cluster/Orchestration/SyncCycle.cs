using System.Diagnostics;
using ActorSync.Cluster.Protocol;
using ActorSync.Coding;
using ActorSync.Coding.Planning;
using ActorSync.Data;
using Akka.Actor;
using Akka.Event;
using Akka.Streams;

namespace ActorSync.Cluster.Orchestration;

/// <summary>A dataset the cluster holds: its manifest and catalog (encoded; opaque bytes from the data edge).</summary>
/// <param name="LogPosition">The source's binlog position the dataset's snapshot is consistent with, or empty.</param>
public sealed record DatasetState(long Dataset, byte[] Manifest, byte[] Catalog, string LogPosition = "")
{
    private BatchManifest? _decoded;

    public BatchManifest Decoded => _decoded ??= BatchManifest.Decode(Manifest);
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
    DatasetState? Current);

/// <summary>Sent to the orchestrator when the cycle ends, with the dataset the nodes now hold (null if none is known).</summary>
public sealed record CycleFinished(CycleReport Report, DatasetState? Dataset) : INoSerializationVerificationNeeded;

/// <summary>From the orchestrator to its running cycle: a node left (reported down); the cycle goes on without it.</summary>
public sealed record CycleNodeLost(int Node, string Reason) : INoSerializationVerificationNeeded;

/// <summary>From the orchestrator to its running cycle: a hub's worker is gone; what waits on it fails now.</summary>
public sealed record CycleHubLost(string Hub) : INoSerializationVerificationNeeded;

/// <summary>
/// One cycle, a child of the orchestrator and a state machine that only moves messages: the decisions are in
/// <see cref="SourceRouter"/> (at Hub B) and <see cref="CyclePlanner"/>, the bytes move in streams through the
/// <see cref="Relay"/>, and every step answers by message (<c>Become</c>, <c>PipeTo(Self)</c>, timers), so the mailbox is
/// free for a lost node or hub at any time. Kinds:
/// <list type="bullet">
/// <item><c>sync</c> (source up): optional reverse sync C → B; then one streamed round in which Hub B reads the source
/// while the nodes store its placement and coded-delivery segments and Hub C already applies what a node holds; the
/// manifest to every node; gap fill from peers (or the source) of whatever a node still lacks; Hub C commits once
/// verified. If the snapshot fails and a dataset is known, it falls back to recovery.</item>
/// <item><c>recovery</c> (source down): rounds of RLNC packets as the cut-set-optimal allocation says, with rateless
/// top-ups; a gap fill from peers; Hub C served from a complete node.</item>
/// <item><c>repair</c> (a node came back, source up): peers refill its placed batches.</item>
/// </list>
/// </summary>
public sealed class SyncCycle : ReceiveActor, IWithTimers
{
    private const int MaxFillRounds = 3;

    private readonly CycleSetup _setup;
    private readonly OrchestratorSettings _settings;
    private readonly Placement _placement;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly LinkCounters _links = new();
    private readonly Relay _relay;
    private readonly Dictionary<int, IActorRef> _alive;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly string _startedAt = DateTime.UtcNow.ToString("O");
    private string _mode;
    private DatasetState? _dataset;
    private Dictionary<int, Holdings> _holdings = new();
    private Gather? _gather;
    private Round? _round;
    private int _rounds, _rlncPackets, _fillRounds;
    private bool _sourceLost, _destinationLost;
    private DatasetApplied? _applied;
    private ChangesResolved? _reverse;
    private int _servingNode = -1;
    private bool _applyStarted, _awaitingApply, _reversing;
    private SnapshotPrepared? _prepared;
    private byte[] _schemas = [];
    private readonly List<string> _timeline = [];
    private bool _holdingsFresh;

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(CycleSetup setup) => Akka.Actor.Props.Create(() => new SyncCycle(setup));

    public SyncCycle(CycleSetup setup)
    {
        _setup = setup;
        _settings = setup.Settings;
        _placement = setup.Settings.Placement;
        _alive = setup.Nodes.Where(n => n.Key < _placement.Nodes).ToDictionary(n => n.Key, n => n.Value);
        _mode = setup.Mode;
        _dataset = setup.Current;
        _relay = new Relay(Context.Materializer(), _links); // the cycle's streams end with it
        Handlers(() => { });
    }

    protected override void PreStart() => Self.Tell(Begin.Instance);

    protected override void PostStop() => _relay.CloseInboxes();

    private void Start()
    {
        switch (_setup.Kind)
        {
            case CycleKinds.Repair: Repair(); break;
            case CycleKinds.Sync when _mode == Orchestrator.Normal: Forward(); break;
            default: Recover(); break;
        }
    }

    // ---- normal mode: the pipelined sync ---------------------------------------------------------------------------

    private void Forward()
    {
        if (_setup.Source is null) { Fail($"no source hub ({_settings.SourceHub}) has registered with the orchestrator."); return; }
        if (_setup.Destination is null) { Fail($"no destination hub ({_settings.DestinationHub}) has registered with the orchestrator."); return; }
        if (_setup.Request.Bidirectional && _dataset is not null) ReverseSync(() => { _reversing = false; Survey(); });
        else Survey();
    }

    /// <summary>Step one of a sync: what each node holds, and which dataset that is (an orchestrator that just took over learns it here).</summary>
    private void Survey()
    {
        Progress("what the nodes hold", 1);
        AskNodes(GetHoldings.Instance, _settings.AskTimeout, answers =>
        {
            _holdings = answers.ToDictionary(a => a.Key, a => (Holdings)a.Value);
            if (_dataset is null && _holdings.Values.Any(h => h.Dataset > 0)) NewestManifest(OpenSourceRound);
            else OpenSourceRound();
        });
    }

    /// <summary>The streamed round: inboxes open, Hub B reads and streams, Hub C applies what the serving node holds.</summary>
    private void OpenSourceRound()
    {
        long dataset = Math.Max(DateTime.UtcNow.Ticks, _holdings.Values.Select(h => h.Dataset).Append(_dataset?.Dataset ?? 0).Max() + 1);
        Progress("snapshot, placement and delivery, streamed", 2);
        StartRound(dataset, _alive.Keys.ToArray(), round =>
        {
            var previous = _dataset;
            var held = Enumerable.Range(0, _placement.Nodes)
                .Select(n => previous is not null && _holdings.TryGetValue(n, out var h) && h.Dataset == previous.Dataset && round.Targets.Contains(n) ? h.Whole : [])
                .ToArray();
            var routing = new SnapshotRouting(_placement.Nodes, _placement.Redundancy, _placement.Eta, DeliveryCost.NameOf(_settings.Scheme),
                Mask(round.Targets), previous?.Manifest ?? [], held);
            round.Expect(1);
            round.AwaitsManifest = true;
            _setup.Source!.Tell(new PrepareSnapshot(dataset, _placement.BatchCount, _settings.Filter.Encode(), _settings.SegmentSize, routing, _settings.Codec), Self);
            // The node that will stream the dataset to Hub C: any of them will hold it all by the end.
            _servingNode = CyclePlanner.ServingNode(round.Targets, _setup.Cycle);
        }, SourceRoundClosed);
    }

    private void SnapshotStarted(SnapshotStarted started)
    {
        if (_round is not { } round || started.Dataset != round.Dataset) return;
        _schemas = started.Schemas;
        RunStream(round, CyclePlanner.Source, started.Segments);
        if (_servingNode >= 0 && _alive.ContainsKey(_servingNode)) StartApply(round.Dataset, _servingNode);
    }

    private void SourceRoundClosed(Round round)
    {
        if (_prepared is null)
        {
            if (_sourceLost || round.Failures.Count > 0) SourceFailed(string.Join("; ", round.Failures.DefaultIfEmpty("the source hub was lost mid-snapshot")));
            else Fail("the source's stream ended without its manifest.");
            return;
        }
        _dataset = new DatasetState(_prepared.Dataset, _prepared.Manifest, _prepared.Catalog, _prepared.LogPosition);
        Install(() =>
        {
            if (_setup.Destination is not null && _applyStarted) _setup.Destination.Tell(new FinishApply(_dataset.Dataset, _dataset.Manifest, _dataset.Catalog), Self);
            Fill(sourceUp: true, Serve);
        });
    }

    /// <summary>The snapshot failed (the source died mid-read): serve Hub C from the caches of the last dataset instead.</summary>
    private void SourceFailed(string reason)
    {
        if (_setup.Kind == CycleKinds.Sync && _settings.RecoverWhenSourceDown && _dataset is not null && _prepared is null)
        {
            _log.Warning("cycle {0}: {1}; falling back to peer recovery of dataset {2}", _setup.Cycle, reason, _dataset.Dataset);
            _mode = Orchestrator.Recovery;
            _applyStarted = false;
            _servingNode = -1;
            Recover();
            return;
        }
        Fail($"snapshotting the source at {_settings.SourceHub}: {reason}");
    }

    // ---- reverse sync ----------------------------------------------------------------------------------------------

    /// <summary>C → B: the destination's local changes stream to the source, are resolved there, and are recorded at the destination.</summary>
    private void ReverseSync(Action then)
    {
        Progress("reverse sync C → B", 0);
        _reversing = true;
        Step(_settings.LongStepTimeout, "collecting local changes at " + _settings.DestinationHub);
        _setup.Destination!.Tell(new CollectChanges(_dataset!.Catalog), Self);
        Waiting(() =>
        {
            Receive<ChangesCollected>(collected =>
            {
                if (collected.Keys == 0) { then(); return; }
                Step(_settings.LongStepTimeout, $"writing {collected.Keys} changed key(s) to the source at {_settings.SourceHub}");
                _setup.Source!.Tell(new ResolveChanges(_dataset.Catalog, collected.ChangeSet, _setup.Request.Policy, _setup.Request.TablePolicies), Self);
            });
            Receive<ChangesResolved>(resolved =>
            {
                _reverse = resolved;
                _links.Count(LinkCounters.Reverse, resolved.ChangeSetBytes + resolved.ResolutionBytes, 2);
                Step(_settings.LongStepTimeout, "recording the reverse sync at " + _settings.DestinationHub);
                _setup.Destination.Tell(new CompleteChanges(_dataset.Catalog, resolved.Resolution), Self);
            });
            Receive<ChangesCompleted>(_ => then());
        });
    }

    // ---- recovery mode ---------------------------------------------------------------------------------------------

    private void Recover()
    {
        Progress("manifest to the nodes", 0);
        KnownDataset(() => Install(() => Holdings(() =>
        {
            var plan = CyclePlanner.Recovery(_placement.Nodes, _placement.BatchCount, NodeHoldings());
            if (plan.Allocation.Unrecoverable.Count > 0)
            {
                Fail($"batch(es) {string.Join(", ", plan.Allocation.Unrecoverable.Select(b => $"B{b + 1}"))} are cached by no live node; they come back when their holders or the source return. Hub C was not touched.");
                return;
            }
            if (plan.Targets == 0) { Fill(sourceUp: false, Serve); return; }
            _log.Info("cycle {0}: peer recovery for node(s) {1}: {2} packet(s) in all ({3})", _setup.Cycle, string.Join(", ", Combinatorics.Members(plan.Targets).Select(t => t + 1)),
                plan.Allocation.Total, string.Join(" ", plan.Allocation.PacketsPerNode.Select((x, i) => $"n{i + 1}={x}")));
            Progress("linear-coded peer recovery", 1);
            var senders = Enumerable.Range(0, _placement.Nodes).Where(n => plan.Allocation.PacketsPerNode[n] > 0 && _alive.ContainsKey(n))
                .ToDictionary(n => n, n => (plan.Allocation.PacketsPerNode[n], plan.Targets & ~(1u << n)));
            RecoveryRound(plan, senders, topUps: 0);
        })));
    }

    /// <summary>One round of RLNC packets, then each target solves what it can; a target still short asks the holders
    /// of what it has not determined for one more packet each (rateless), for at most 2N rounds.</summary>
    private void RecoveryRound(RecoveryPlan plan, Dictionary<int, (int Count, uint To)> senders, int topUps)
    {
        uint targets = senders.Values.Aggregate(0u, (mask, s) => mask | s.To) & Mask(_alive.Keys);
        StartRound(_dataset!.Dataset, Combinatorics.Members(targets), round =>
        {
            foreach (var (sender, (count, to)) in senders.Where(s => _alive.ContainsKey(s.Key)))
            {
                round.Expect(1);
                _alive[sender].Tell(new OfferRecovery(round.Dataset, count, to & Mask(round.Targets)), Self);
            }
        }, round => AskNodes(new SolveRecovery(round.Dataset), _settings.LongStepTimeout, answers =>
        {
            var shortOf = answers.Values.Cast<RecoverySolved>().Where(s => s.Undetermined.Length > 0 || s.FailedVerification.Length > 0).ToArray();
            if (shortOf.Length == 0 || topUps >= 2 * _placement.BatchCount) { Fill(sourceUp: false, Serve); return; }
            var next = new Dictionary<int, (int Count, uint To)>();
            foreach (var solved in shortOf)
                foreach (var helper in Combinatorics.Members(CyclePlanner.TopUpHelpers(plan, solved.Node, solved.Undetermined.Concat(solved.FailedVerification))))
                    next[helper] = (1, next.GetValueOrDefault(helper).To | (1u << solved.Node));
            if (next.Count == 0) { Fill(sourceUp: false, Serve); return; }
            RecoveryRound(plan, next, topUps + 1);
        }, only: Combinatorics.Members(targets)));
    }

    // ---- repair ----------------------------------------------------------------------------------------------------

    /// <summary>A node came back while the source is up: peers refill the placed batches it lost.</summary>
    private void Repair()
    {
        Progress("manifest to the nodes", 0);
        KnownDataset(() => Install(() =>
        {
            Progress("direct repair from peers", 1);
            FillWith(CyclePlanner.Placed(_placement, _alive.Keys), sourceUp: false, () => Finish("repaired"));
        }));
    }

    // ---- shared steps ----------------------------------------------------------------------------------------------

    /// <summary>The dataset to recover or repair: the last one, or the newest manifest the nodes hold.</summary>
    private void KnownDataset(Action then)
    {
        if (_dataset is not null) { then(); return; }
        NewestManifest(() =>
        {
            if (_dataset is null) Fail("no live node holds a dataset manifest yet: run a sync while the source is up first.");
            else then();
        });
    }

    private void NewestManifest(Action then) => AskNodes(GetManifest.Instance, _settings.AskTimeout, answers =>
    {
        var newest = answers.Values.Cast<NodeManifest>().Where(m => m.Manifest.Length > 0).MaxBy(m => m.Dataset);
        if (newest is not null) _dataset = new DatasetState(newest.Dataset, newest.Manifest, newest.Catalog);
        then();
    });

    private void Install(Action then)
    {
        _timeline.Add($"manifest +{_clock.ElapsedMilliseconds}");
        var message = new StoreManifest(_dataset!.Dataset, _dataset.Manifest, _dataset.Catalog);
        AskNodes(message, _settings.AskTimeout, answers =>
        {
            foreach (var (node, answer) in answers)
            {
                var stored = (ManifestStored)answer;
                if (stored.Dataset != _dataset.Dataset) Lose(node, $"node {node + 1} holds dataset {stored.Dataset}, newer than {_dataset.Dataset}");
                else _holdings[node] = new Holdings(node, stored.Dataset, stored.Whole, stored.Partial);
            }
            _holdingsFresh = true; // what each node holds now, as the manifest found it
            then();
        });
    }

    /// <summary>What each node holds now; right after a manifest was installed (and nothing streamed since) its replies say it already.</summary>
    private void Holdings(Action then)
    {
        if (_holdingsFresh) { _holdingsFresh = false; then(); return; }
        AskNodes(GetHoldings.Instance, _settings.AskTimeout, answers =>
        {
            _holdings = answers.ToDictionary(a => a.Key, a => (Holdings)a.Value);
            then();
        });
    }

    /// <summary>Whatever a node still lacks of the dataset comes whole from a peer, or the source; then again, at most three rounds.</summary>
    private void Fill(bool sourceUp, Action then)
    {
        Progress("gap fill", 3);
        FillWith(CyclePlanner.Everything(_placement.BatchCount, _alive.Keys), sourceUp, then);
    }

    private void FillWith(IReadOnlyDictionary<int, IEnumerable<int>> wanted, bool sourceUp, Action then) => Holdings(() =>
    {
        var plan = CyclePlanner.Refill(NodeHoldings(), wanted, sourceUp && !_sourceLost && _setup.Source is not null);
        foreach (var (node, batches) in plan.Unrecoverable)
            _log.Warning("cycle {0}: node {1}: no live peer holds {2}; {3}", _setup.Cycle, node + 1, string.Join(", ", batches.Select(b => $"B{b + 1}")),
                _setup.Kind == CycleKinds.Repair ? "the next sync cycle places them from the source" : "they come back when their holders or the source return");
        if (plan.IsEmpty || _fillRounds++ >= MaxFillRounds) { then(); return; }
        uint targets = plan.Transfers.Aggregate(0u, (mask, t) => mask | t.To);
        StartRound(_dataset!.Dataset, Combinatorics.Members(targets), round =>
        {
            foreach (var group in plan.Transfers.GroupBy(t => t.From))
            {
                var offers = group.SelectMany(t => Offers(t, wanted)).ToArray();
                var sender = group.Key == CyclePlanner.Source ? _setup.Source : _alive.GetValueOrDefault(group.Key);
                if (sender is null) continue;
                round.Expect(1);
                sender.Tell(new OfferSegments(round.Dataset, offers), Self);
            }
        }, _ => FillWith(wanted, sourceUp, then));
    });

    /// <summary>A transfer as offers: to the nodes the batch is placed on as repair, to the others as fallback.</summary>
    private IEnumerable<SegmentOffer> Offers(BatchTransfer transfer, IReadOnlyDictionary<int, IEnumerable<int>> wanted)
    {
        uint placed = transfer.To & _placement.HoldersOf(transfer.Batch);
        bool repair = _setup.Kind == CycleKinds.Repair || !transfer.FromSource;
        if (placed != 0 && repair) yield return new SegmentOffer(transfer.Batch, placed, FrameKind.Repair);
        uint rest = repair ? transfer.To & ~placed : transfer.To;
        if (rest != 0) yield return new SegmentOffer(transfer.Batch, rest, FrameKind.Fallback);
    }

    /// <summary>Hub C is served by a node that holds everything, and the cycle ends with its verdict.</summary>
    private void Serve()
    {
        Progress($"apply at {_settings.DestinationHub}", 4);
        if (_setup.Destination is null || _destinationLost) { Fail($"no destination hub ({_settings.DestinationHub}) has registered with the orchestrator."); return; }
        if (_applyStarted && _alive.ContainsKey(_servingNode)) { AwaitApply(); return; } // under way since the source round
        Holdings(() =>
        {
            if (!_applyStarted || !_alive.ContainsKey(_servingNode))
            {
                var complete = _holdings.Values.Where(h => h.Dataset == _dataset!.Dataset && h.Whole.Length == _placement.BatchCount).Select(h => h.Node).ToArray();
                if (complete.Length == 0) { Fail($"no live node holds all {_placement.BatchCount} batches of dataset {_dataset!.Dataset}; Hub C was not touched."); return; }
                _servingNode = CyclePlanner.ServingNode(complete, _setup.Cycle);
                if (_schemas.Length == 0) _schemas = _dataset!.Catalog;
                StartApply(_dataset!.Dataset, _servingNode);
                _setup.Destination.Tell(new FinishApply(_dataset.Dataset, _dataset.Manifest, _dataset.Catalog), Self);
            }
            AwaitApply();
        });
    }

    private void AwaitApply()
    {
        Step(_settings.LongStepTimeout, $"applying dataset {_dataset!.Dataset} at {_settings.DestinationHub}");
        _awaitingApply = true;
        Waiting(() => { });
        if (_applied is { } early) Applied(early); // Hub C finished while the gap fill was still looking
    }

    private void StartApply(long dataset, int node)
    {
        _log.Info("cycle {0}: node {1} streams dataset {2} to {3}", _setup.Cycle, node + 1, dataset, _settings.DestinationHub);
        _applyStarted = true;
        _setup.Destination!.Tell(new ApplyDataset(dataset, _schemas, _placement.BatchCount, _settings.SegmentSize, _alive[node], _setup.Request.Bidirectional, _settings.Codec), Self);
    }

    private void Applied(DatasetApplied applied)
    {
        if (_dataset is null || applied.Dataset != _dataset.Dataset) return;
        _applied = applied;
        if (!_awaitingApply) return; // the gap fill is still running: the verdict counts once it is done
        if (applied.BytesReceived > 0)
        {
            long batches = applied.BytesReceived / Math.Max(1, _dataset.Decoded.BatchSize);
            _links.Count(LinkCounters.NodeEgress(_servingNode), applied.BytesReceived, batches);
            _links.Count(LinkCounters.DestinationIngress, applied.BytesReceived, batches);
        }
        Finish(applied.Checks.All(c => c.Equal) ? "verified"
            : "failed: the destination differs from the source snapshot in " + string.Join(", ", applied.Checks.Where(c => !c.Equal).Select(c => c.Table)));
    }

    private void ApplyInterrupted(ApplyInterrupted interrupted)
    {
        _log.Warning("cycle {0}: {1}: {2}; it starts again from another node once the dataset is complete", _setup.Cycle, interrupted.Hub, interrupted.Reason);
        _applyStarted = false;
        if (_awaitingApply) Serve(); // waiting on Hub C alone: start it again now
    }

    // ---- rounds: inboxes, streams, closing -------------------------------------------------------------------------

    /// <summary>
    /// A round: every target opens an inbox at the relay, <paramref name="feed"/> asks the senders for their streams
    /// (<see cref="Round.Expect"/>), the relay runs each as it is offered, and once all have ended the inboxes close and
    /// each target reports what it stored, journaled; then <paramref name="closed"/>.
    /// </summary>
    private void StartRound(long dataset, IEnumerable<int> targets, Action<Round> feed, Action<Round> closed)
    {
        var round = new Round(++_rounds, dataset, closed);
        _holdingsFresh = false;
        _timeline.Add($"round {round.Number} +{_clock.ElapsedMilliseconds}");
        AskNodes(new OpenInbox(dataset, round.Number), _settings.AskTimeout, answers =>
        {
            foreach (var opened in answers.Values.Cast<InboxOpened>())
            {
                _relay.OpenInbox(opened.Node, opened.Inbox);
                round.Targets.Add(opened.Node);
            }
            _round = round;
            Step(_settings.LongStepTimeout, $"streaming round {round.Number}");
            feed(round);
            Waiting(() => { });
            TryCloseRound();
        }, only: targets);
    }

    private void Offered(int origin, long dataset, ISourceRef<IDataFrame> segments)
    {
        if (_round is not { } round || dataset != round.Dataset) return;
        RunStream(round, origin, segments);
    }

    /// <summary>The relay forwards an offered stream; its end comes back as a message.</summary>
    private void RunStream(Round round, int origin, ISourceRef<IDataFrame> segments)
    {
        round.Pending--;
        round.Running++;
        int number = round.Number;
        _relay.Run(origin, segments).PipeTo(Self, Self, _ => new StreamEnded(number, origin, null), error => new StreamEnded(number, origin, error.Message));
    }

    private void StreamEnded(StreamEnded ended)
    {
        _timeline.Add($"stream from {ended.Origin} ended +{_clock.ElapsedMilliseconds}");
        if (_round is not { } round || ended.Round != round.Number) return;
        round.Running--;
        if (ended.Error is { } error)
        {
            string who = ended.Origin < 0 ? _settings.SourceHub : $"node {ended.Origin + 1}";
            _log.Warning("cycle {0}: the stream from {1} ended early: {2}", _setup.Cycle, who, error);
            round.Failures.Add($"the stream from {who} failed: {error}");
        }
        TryCloseRound();
    }

    private void TryCloseRound()
    {
        if (_round is not { } round || _gather is not null || round.Pending > 0 || round.Running > 0) return;
        if (round.AwaitsManifest) return; // the source's manifest is still coming
        _relay.CloseInboxes();
        _timeline.Add($"round {round.Number} streamed +{_clock.ElapsedMilliseconds}");
        AskNodes(null, _settings.LongStepTimeout, answers =>
        {
            foreach (var closed in answers.Values.Cast<InboxClosed>())
                if (closed.Rejected > 0 || closed.Dropped > 0)
                    _log.Warning("cycle {0}: node {1} refused {2} damaged frame(s) and gave up {3} held packet(s) in round {4}; the gap fill covers them",
                        _setup.Cycle, closed.Node + 1, closed.Rejected, closed.Dropped, closed.Round);
            _round = null;
            round.Closed(round);
        }, only: round.Targets.Where(_alive.ContainsKey));
    }

    // ---- asking nodes: replies by message ---------------------------------------------------------------------------

    /// <summary>
    /// Sends <paramref name="message"/> to every live node (or those in <paramref name="only"/>; null: just wait for
    /// their next reply) and gathers one reply from each; a node that is lost or does not answer in time is left out
    /// of the cycle. The answers arrive as messages; <paramref name="then"/> runs when all are in.
    /// </summary>
    private void AskNodes(object? message, TimeSpan timeout, Action<IReadOnlyDictionary<int, object>> then, IEnumerable<int>? only = null)
    {
        var nodes = (only ?? _alive.Keys).Where(_alive.ContainsKey).ToHashSet();
        _gather = new Gather(nodes, answers =>
        {
            _gather = null;
            if (_alive.Count == 0) { Fail("no node answered: the cluster has no live nodes."); return; }
            then(answers);
        });
        Step(timeout, message is null ? "waiting for the nodes" : $"asking the nodes: {message.GetType().Name}");
        if (message is not null) foreach (var node in nodes) _alive[node].Tell(message, Self);
        _gather.Check();
    }

    private void NodeAnswered(int node, object answer)
    {
        if (_gather?.Wants(node) == true) _gather.Answer(node, answer);
    }

    private void Lose(int node, string reason)
    {
        if (!_alive.Remove(node)) return;
        _log.Warning("cycle {0}: node {1} is left out of this cycle: {2}", _setup.Cycle, node + 1, reason);
        _relay.Drop(node);
        _round?.Targets.Remove(node);
        _gather?.Lose(node);
    }

    private int NodeOf(IActorRef sender) => _alive.FirstOrDefault(a => a.Value.Equals(sender), new(-1, ActorRefs.Nobody)).Key;

    // ---- behaviour -------------------------------------------------------------------------------------------------

    /// <summary>Every state's handlers: replies go to what waits for them; losses, failures and timeouts are handled alike.</summary>
    private void Waiting(Action specific) => Become(() => Handlers(specific));

    private void Handlers(Action specific)
    {
            specific();
            Receive<Begin>(_ => Start());
            Receive<Holdings>(h => NodeAnswered(h.Node, h));
            Receive<NodeManifest>(m => NodeAnswered(m.Node, m));
            Receive<ManifestStored>(m => NodeAnswered(m.Node, m));
            Receive<InboxOpened>(opened => NodeAnswered(opened.Node, opened));
            Receive<InboxClosed>(closed => NodeAnswered(closed.Node, closed));
            Receive<RecoverySolved>(solved =>
            {
                _rlncPackets = _relay.Packets(FrameKind.Recovery);
                NodeAnswered(solved.Node, solved);
            });
            Receive<SnapshotStarted>(SnapshotStarted);
            Receive<SnapshotPrepared>(prepared =>
            {
                if (_round is null || prepared.Dataset != _round.Dataset) return;
                _prepared = prepared;
                _timeline.Add($"prepared +{_clock.ElapsedMilliseconds}");
                _round.AwaitsManifest = false;
                TryCloseRound();
            });
            Receive<SegmentsOffered>(offered => Offered(offered.Node, offered.Dataset, offered.Segments));
            Receive<RecoveryOffered>(offered => Offered(offered.Node, offered.Dataset, offered.Segments));
            Receive<StreamEnded>(StreamEnded);
            Receive<DatasetApplied>(Applied);
            Receive<ApplyInterrupted>(ApplyInterrupted);
            Receive<HubFailed>(Failed);
            Receive<Status.Failure>(failure => Failed(new HubFailed(Sender.Path.Name, "answer", failure.Cause.Message)));
            Receive<CycleNodeLost>(lost => Lose(lost.Node, lost.Reason));
            Receive<CycleHubLost>(HubLost);
            Receive<StepTimeout>(TimedOut);
    }

    private void Failed(HubFailed failed)
    {
        int node = NodeOf(Sender);
        bool fromSource = Sender.Equals(_setup.Source);
        string reason = $"{failed.Hub} failed to {failed.Operation}: {failed.Reason}";
        if (_round is { } round && (node >= 0 || fromSource))
        {
            // An offer or stream that could not be made: the round goes on without it, and a gap fill covers it.
            if (fromSource) round.AwaitsManifest = false; // nothing more comes from the source this round
            if (round.Pending > 0) round.Pending--;
            round.Failures.Add(reason);
            _log.Warning("cycle {0}: {1}", _setup.Cycle, reason);
            TryCloseRound();
            return;
        }
        if (node >= 0 && _gather?.Wants(node) == true) { Lose(node, reason); return; }
        if (fromSource && !_reversing && _setup.Kind == CycleKinds.Sync && _mode == Orchestrator.Normal && _prepared is null) { SourceFailed(reason); return; }
        Fail(reason);
    }

    private void HubLost(CycleHubLost lost)
    {
        if (lost.Hub == _settings.SourceHub)
        {
            _sourceLost = true;
            if (_round is { } round)
            {
                round.Failures.Add($"{_settings.SourceHub} was lost");
                if (round.AwaitsManifest && round.Pending > 0) round.Pending--; // its snapshot stream will not come
                round.AwaitsManifest = false;
                TryCloseRound();
            }
            else if (_reversing) Fail($"{_settings.SourceHub} was lost during reverse sync; nothing was recorded at {_settings.DestinationHub}.");
            else if (_setup.Kind == CycleKinds.Sync && _mode == Orchestrator.Normal && _prepared is null && _gather is null) SourceFailed($"{_settings.SourceHub} was lost");
        }
        else if (lost.Hub == _settings.DestinationHub)
        {
            _destinationLost = true;
            if (_awaitingApply || _reversing) Fail($"{_settings.DestinationHub} was lost (its member left the cluster).");
        }
    }

    private void TimedOut(StepTimeout timeout)
    {
        if (timeout.Step != _step) return;
        if (_gather is { } gather)
        {
            foreach (var node in gather.Missing.ToArray()) Lose(node, $"no answer within {_stepTimeout.TotalSeconds:0.#} s ({_stepName})");
            return;
        }
        Fail($"{_stepName}: no progress within {_stepTimeout.TotalSeconds:0.#} s.");
    }

    private int _step;
    private string _stepName = "";
    private TimeSpan _stepTimeout;

    private void Step(TimeSpan timeout, string name)
    {
        _step++;
        _stepName = name;
        _stepTimeout = timeout;
        Timers.StartSingleTimer("step", new StepTimeout(_step), timeout);
    }

    // ---- the end ---------------------------------------------------------------------------------------------------

    private void Fail(string reason) => Finish("failed: " + reason);

    private void Finish(string outcome)
    {
        Timers.CancelAll();
        _relay.CloseInboxes();
        if (_setup.Source is not null && _prepared is not null) _setup.Source.Tell(new ReleaseSnapshot(_prepared.Dataset));
        _log.Info("cycle {0} ({1}, {2}) ended in {3} ms: {4} (steps: {5})", _setup.Cycle, _setup.Kind, _mode, _clock.ElapsedMilliseconds, outcome, string.Join("; ", _timeline));
        Context.Parent.Tell(new CycleFinished(Report(outcome), _dataset));
        Context.Stop(Self);
        Become(() => ReceiveAny(_ => { }));
    }

    private CycleReport Report(string outcome) => new(
        _setup.Cycle, _setup.Kind, _mode, DeliveryCost.NameOf(_settings.Scheme), _dataset?.Dataset ?? 0, _startedAt, _clock.ElapsedMilliseconds,
        outcome == "verified", outcome, _placement.BatchCount, _dataset?.Decoded.BatchSize ?? 0,
        _relay.Packets(FrameKind.Placement), _relay.Packets(FrameKind.Xor), _relay.Packets(FrameKind.Uncoded), Math.Max(_rlncPackets, _relay.Packets(FrameKind.Recovery)),
        _relay.Deliveries(FrameKind.Repair), _applied?.BatchesApplied ?? 0, _applied?.RowsWritten ?? 0,
        _links.Snapshot().Select(l => new LinkUse(l.Key, l.Value.Packets, l.Value.Bytes)).ToArray(),
        _applied?.Checks ?? [], _reverse?.KeysChanged ?? 0, _reverse?.WrittenToSource ?? 0, _reverse?.Conflicts ?? 0);

    private void Progress(string step, int done)
    {
        _timeline.Add($"{step} +{_clock.ElapsedMilliseconds}");
        Context.Parent.Tell(new CycleProgress(_setup.Cycle, _setup.Kind, step, done, 5));
    }

    private IReadOnlyList<NodeHolding> NodeHoldings() =>
        _holdings.Values.Where(h => _alive.ContainsKey(h.Node))
            .Select(h => new NodeHolding(h.Node, h.Dataset == _dataset?.Dataset ? h.Whole.ToHashSet() : [])).ToArray();

    private static uint Mask(IEnumerable<int> nodes) => nodes.Aggregate(0u, (mask, node) => mask | (1u << node));

    /// <summary>One reply awaited from each of a set of nodes.</summary>
    private sealed class Gather(HashSet<int> from, Action<IReadOnlyDictionary<int, object>> done)
    {
        private readonly Dictionary<int, object> _answers = new();
        private bool _done;

        public IEnumerable<int> Missing => from;

        public bool Wants(int node) => from.Contains(node);

        public void Answer(int node, object answer)
        {
            if (from.Remove(node)) _answers[node] = answer;
            Check();
        }

        public void Lose(int node)
        {
            from.Remove(node);
            Check();
        }

        public void Check()
        {
            if (_done || from.Count > 0) return;
            _done = true;
            done(_answers);
        }
    }

    /// <summary>One streaming round: its targets, the offers still awaited and the streams still running.</summary>
    private sealed class Round(int number, long dataset, Action<Round> closed)
    {
        public int Number { get; } = number;
        public long Dataset { get; } = dataset;
        public Action<Round> Closed { get; } = closed;
        public HashSet<int> Targets { get; } = [];
        public List<string> Failures { get; } = [];
        public int Pending { get; set; }
        public int Running { get; set; }

        public void Expect(int offers) => Pending += offers;

        /// <summary>The source round: it closes only once Hub B's manifest is in (or the source failed).</summary>
        public bool AwaitsManifest { get; set; }
    }

    private sealed record Begin : INoSerializationVerificationNeeded
    {
        public static readonly Begin Instance = new();
    }

    private sealed record StepTimeout(int Step) : INoSerializationVerificationNeeded;
}

/// <summary>A stream the relay ran for a cycle's round ended (with an error if it failed).</summary>
public sealed record StreamEnded(int Round, int Origin, string? Error) : INoSerializationVerificationNeeded;
