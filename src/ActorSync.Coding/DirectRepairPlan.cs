namespace ActorSync.Coding;

public sealed record RepairTransfer(int Batch, int FromNode, int ToNode);

/// <summary>
/// Source up, one node lost its cache: each of its batches comes straight from a live peer that holds it
/// (thesis 3.9). Peers are chosen to minimise the largest number of batches any one peer sends: a greedy
/// assignment, then moves along improving paths (peer a → peer b, where b also holds a batch a was given)
/// until no path leads from a most-loaded peer to one carrying at least two fewer. With no such path the
/// assignment is an optimal semi-matching, which minimises the maximum load.
/// </summary>
public sealed class DirectRepairPlan
{
    public int Target { get; }
    public IReadOnlyList<RepairTransfer> Transfers { get; }

    /// <summary>Batches the target needs that no live peer holds: they must come from the source.</summary>
    public IReadOnlyList<int> Unrecoverable { get; }

    public IReadOnlyDictionary<int, int> LoadPerPeer =>
        Transfers.GroupBy(t => t.FromNode).ToDictionary(g => g.Key, g => g.Count());

    private DirectRepairPlan(int target, IReadOnlyList<RepairTransfer> transfers, IReadOnlyList<int> unrecoverable)
    {
        Target = target;
        Transfers = transfers;
        Unrecoverable = unrecoverable;
    }

    /// <summary>Refills <paramref name="target"/> with every batch placed on it, from the peers in <paramref name="alive"/>.</summary>
    public static DirectRepairPlan ForLostNode(Placement placement, int target, uint alive)
    {
        if ((uint)target >= (uint)placement.Nodes)
            throw new ArgumentOutOfRangeException(nameof(target), target, $"target must be a node 1..{placement.Nodes}; got node {target + 1}.");
        return Plan(target, placement.BatchesOf(target), placement.HoldersOf, alive);
    }

    public static DirectRepairPlan Plan(int target, IEnumerable<int> wanted, Func<int, uint> holdersOf, uint alive)
    {
        uint peers = alive & ~(1u << target);
        var unrecoverable = new List<int>();
        var options = new Dictionary<int, int[]>();
        foreach (var batch in wanted.Distinct())
        {
            var holders = Combinatorics.Members(holdersOf(batch) & peers);
            if (holders.Length == 0) unrecoverable.Add(batch);
            else options[batch] = holders;
        }

        // Greedy: most constrained batches first, each to its least-loaded holder.
        var assigned = new Dictionary<int, List<int>>();
        foreach (var peer in Combinatorics.Members(peers)) assigned[peer] = [];
        foreach (var (batch, holders) in options.OrderBy(o => o.Value.Length).ThenBy(o => o.Key))
            assigned[holders.MinBy(h => assigned[h].Count)].Add(batch);

        while (TryImprove(assigned, options)) { }

        var transfers = assigned
            .SelectMany(a => a.Value.Select(batch => new RepairTransfer(batch, a.Key, target)))
            .OrderBy(t => t.Batch).ToArray();
        return new(target, transfers, unrecoverable);
    }

    /// <summary>Finds a path from a most-loaded peer to a peer with at least two fewer batches and shifts one batch along each step.</summary>
    private static bool TryImprove(Dictionary<int, List<int>> assigned, Dictionary<int, int[]> options)
    {
        int max = assigned.Values.Max(l => l.Count);
        foreach (var start in assigned.Keys.Where(p => assigned[p].Count == max))
        {
            // BFS over peers; cameFrom[b] = (peer a, batch moved from a to b).
            var cameFrom = new Dictionary<int, (int Peer, int Batch)>();
            var queue = new Queue<int>([start]);
            var seen = new HashSet<int> { start };
            while (queue.Count > 0)
            {
                int a = queue.Dequeue();
                foreach (var batch in assigned[a])
                    foreach (var b in options[batch])
                    {
                        if (!seen.Add(b)) continue;
                        cameFrom[b] = (a, batch);
                        if (assigned[b].Count <= max - 2)
                        {
                            for (int at = b; at != start;)
                            {
                                var (from, moved) = cameFrom[at];
                                assigned[from].Remove(moved);
                                assigned[at].Add(moved);
                                at = from;
                            }
                            return true;
                        }
                        queue.Enqueue(b);
                    }
            }
        }
        return false;
    }
}
