namespace ActorSync.Coding.Planning;

/// <summary>What one live node holds of the cycle's dataset: the batches it holds whole (every segment, verified).</summary>
public sealed record NodeHolding(int Node, IReadOnlySet<int> Whole);

/// <summary>Batch <paramref name="Batch"/> sent whole from node <paramref name="From"/> (or the source, <see cref="CyclePlanner.Source"/>)
/// to the nodes in <paramref name="To"/>, through the relay.</summary>
public sealed record BatchTransfer(int Batch, int From, uint To)
{
    public bool FromSource => From == CyclePlanner.Source;
}

/// <param name="Unrecoverable">Per node, wanted batches no live peer holds and the source cannot send (it is down).</param>
public sealed record RefillPlan(IReadOnlyList<BatchTransfer> Transfers, IReadOnlyDictionary<int, IReadOnlyList<int>> Unrecoverable)
{
    public bool IsEmpty => Transfers.Count == 0;

    /// <summary>Batch deliveries to nodes: a transfer to three nodes counts three.</summary>
    public int Deliveries => Transfers.Sum(t => Combinatorics.Count(t.To));
}

/// <param name="Targets">Live nodes that lack some batch a live peer holds.</param>
public sealed record RecoveryPlan(RecoveryAllocation Allocation, uint Targets, IReadOnlyList<uint> Holders);

/// <summary>
/// The decisions of a cycle, without actors: holdings in, transfers out. Placement, repair and the gap fill are one
/// rule (<see cref="Refill"/>): each node gets the batches it wants but lacks from the live peers that hold them,
/// balanced by <see cref="DirectRepairPlan"/> so no peer carries more than it must, and from the source only where no
/// peer holds them; one copy from a peer or the source serves every node that lacks it (the relay fans it out).
/// Recovery with the source down is the cut-set-optimal RLNC allocation over the same holdings.
/// </summary>
public static class CyclePlanner
{
    public const int Source = -1;

    /// <summary>The batches placed on each node: what a repair refills.</summary>
    public static IReadOnlyDictionary<int, IEnumerable<int>> Placed(Placement placement, IEnumerable<int> nodes) =>
        nodes.ToDictionary(n => n, n => (IEnumerable<int>)placement.BatchesOf(n));

    /// <summary>Every batch, for every node: what a gap fill completes.</summary>
    public static IReadOnlyDictionary<int, IEnumerable<int>> Everything(int batchCount, IEnumerable<int> nodes) =>
        nodes.ToDictionary(n => n, _ => Enumerable.Range(0, batchCount));

    public static RefillPlan Refill(IReadOnlyList<NodeHolding> holdings, IReadOnlyDictionary<int, IEnumerable<int>> wanted, bool sourceUp)
    {
        uint alive = holdings.Aggregate(0u, (mask, h) => mask | (1u << h.Node));
        var byNode = holdings.ToDictionary(h => h.Node);
        uint HoldersOf(int batch) => holdings.Where(h => h.Whole.Contains(batch)).Aggregate(0u, (mask, h) => mask | (1u << h.Node));
        var fromPeers = new SortedDictionary<(int Batch, int From), uint>();
        var fromSource = new SortedDictionary<int, uint>();
        var unrecoverable = new Dictionary<int, IReadOnlyList<int>>();
        foreach (var (node, batches) in wanted.OrderBy(w => w.Key))
        {
            if (!byNode.TryGetValue(node, out var holding)) continue;
            var lacking = batches.Where(b => !holding.Whole.Contains(b)).Distinct().ToArray();
            if (lacking.Length == 0) continue;
            var plan = DirectRepairPlan.Plan(node, lacking, HoldersOf, alive);
            foreach (var transfer in plan.Transfers)
                fromPeers[(transfer.Batch, transfer.FromNode)] = fromPeers.GetValueOrDefault((transfer.Batch, transfer.FromNode)) | (1u << node);
            if (plan.Unrecoverable.Count == 0) continue;
            if (!sourceUp)
            {
                unrecoverable[node] = plan.Unrecoverable;
                continue;
            }
            foreach (var batch in plan.Unrecoverable) fromSource[batch] = fromSource.GetValueOrDefault(batch) | (1u << node);
        }
        var transfers = fromPeers.Select(t => new BatchTransfer(t.Key.Batch, t.Key.From, t.Value))
            .Concat(fromSource.Select(t => new BatchTransfer(t.Key, Source, t.Value))).ToArray();
        return new RefillPlan(transfers, unrecoverable);
    }

    /// <summary>Source-down recovery: who broadcasts how many RLNC packets so every live node can solve for what it lacks.</summary>
    public static RecoveryPlan Recovery(int nodes, int batchCount, IReadOnlyList<NodeHolding> holdings)
    {
        uint participants = holdings.Aggregate(0u, (mask, h) => mask | (1u << h.Node));
        var holders = Enumerable.Range(0, batchCount)
            .Select(b => holdings.Where(h => h.Whole.Contains(b)).Aggregate(0u, (mask, h) => mask | (1u << h.Node))).ToArray();
        uint targets = holdings.Where(h => h.Whole.Count < batchCount).Aggregate(0u, (mask, h) => mask | (1u << h.Node));
        return new RecoveryPlan(RecoveryAllocation.Solve(nodes, holders, participants), targets, holders);
    }

    /// <summary>The rateless top-up for a node still short: one more packet from each holder of what it has not determined.</summary>
    public static uint TopUpHelpers(RecoveryPlan plan, int target, IEnumerable<int> undetermined) =>
        RecoveryAllocation.Helpers(undetermined, plan.Holders, plan.Allocation.Participants & ~(1u << target));

    /// <summary>The node that streams the dataset to Hub C: among those holding (or about to hold) everything, rotating by
    /// cycle so no one node carries every cycle's egress.</summary>
    public static int ServingNode(IEnumerable<int> candidates, int cycle)
    {
        var ordered = candidates.Order().ToArray();
        return ordered.Length == 0 ? -1 : ordered[cycle % ordered.Length];
    }
}
