using System.Numerics;

namespace ActorSync.Coding;

/// <summary>
/// How many RLNC packets each node broadcasts when the source is down (cooperative data exchange).
/// Every participant wants every batch some participant holds. Let g(S) be the number of batches held only by
/// nodes in S. The nodes outside S can learn those only from S, so for every proper subset S of the participants,
/// Σ_{i∈S} x_i ≥ g(S) (the cut-set bound); with random coefficients over a large enough field it is also enough.
/// g is supermodular, so the feasible x form an integral polymatroid: any allocation grown one feasible step at
/// a time until stuck has the largest possible total. We search the smallest total T that can be reached, and
/// grow the nodes evenly so the load is spread.
/// For the symmetric placement: (4,2) gives 1 each, 4 in all; (5,2) gives 8; (7,3) gives 24.
/// </summary>
public sealed class RecoveryAllocation
{
    /// <summary>Packets per node, indexed by node; zero for nodes that do not take part.</summary>
    public IReadOnlyList<int> PacketsPerNode { get; }

    public int Total { get; }

    /// <summary>Σ_j g(P∖{j}) / (|P|−1), the bound from the single-node cuts; for symmetric placement it is the
    /// fractional optimum N(K−r)/(K−1), reachable only by splitting batches into sub-packets.</summary>
    public double FractionalLowerBound { get; }

    /// <summary>Batches no participant holds: lost until the source returns.</summary>
    public IReadOnlyList<int> Unrecoverable { get; }

    public uint Participants { get; }

    private RecoveryAllocation(int[] packets, double fractional, IReadOnlyList<int> unrecoverable, uint participants)
    {
        PacketsPerNode = packets;
        Total = packets.Sum();
        FractionalLowerBound = fractional;
        Unrecoverable = unrecoverable;
        Participants = participants;
    }

    /// <summary>All K nodes alive with their full placed caches.</summary>
    public static RecoveryAllocation ForPlacement(Placement placement) =>
        Solve(placement.Nodes, Enumerable.Range(0, placement.BatchCount).Select(placement.HoldersOf).ToArray(), placement.AllNodes);

    /// <summary>
    /// The general case: <paramref name="holders"/>[b] is the mask of nodes holding batch b (a node that lost its
    /// cache holds nothing); <paramref name="participants"/> are the alive nodes that send and receive.
    /// </summary>
    public static RecoveryAllocation Solve(int nodes, IReadOnlyList<uint> holders, uint participants)
    {
        if (nodes is < 1 or > Placement.MaxNodes)
            throw new ArgumentOutOfRangeException(nameof(nodes), nodes, $"nodes must be between 1 and {Placement.MaxNodes}.");
        participants &= (1u << nodes) - 1;
        int size = 1 << nodes;

        var heldBy = new int[size];
        var unrecoverable = new List<int>();
        var capacity = new int[nodes];
        for (int b = 0; b < holders.Count; b++)
        {
            uint mask = holders[b] & participants;
            if (mask == 0) { unrecoverable.Add(b); continue; }
            heldBy[mask]++;
            foreach (var i in Combinatorics.Members(mask)) capacity[i]++;
        }

        // g[S] = batches whose participating holders all lie in S (sum over submasks).
        var g = heldBy.Select(c => (long)c).ToArray();
        for (int bit = 0; bit < nodes; bit++)
            for (int s = 0; s < size; s++)
                if ((s & (1 << bit)) != 0) g[s] += g[s ^ (1 << bit)];

        var members = Combinatorics.Members(participants);
        var packets = new int[nodes];
        if (members.Length < 2) return new(packets, 0, unrecoverable, participants);

        double singleCuts = members.Sum(j => (double)g[participants & ~(1u << j)]);
        double fractional = singleCuts / (members.Length - 1);
        long total = Math.Max((long)Math.Ceiling(fractional - 1e-9), members.Max(j => g[participants & ~(1u << j)]));
        while (!TryFill(total, members, participants, g, capacity, packets))
            total++; // terminates: sending every held batch uncoded (x = capacity) meets every cut
        return new(packets, fractional, unrecoverable, participants);
    }

    /// <summary>Grows x evenly while x(A) ≤ T − g(P∖A) for every nonempty A ⊆ P and x ≤ capacity; true if x(P) reaches T.</summary>
    private static bool TryFill(long total, int[] members, uint participants, long[] g, int[] capacity, int[] x)
    {
        Array.Clear(x);
        long sum = 0;
        while (sum < total)
        {
            long before = sum;
            long quantum = Math.Max(1, (total - sum) / members.Length);
            foreach (var i in members.OrderBy(m => x[m]).ToArray())
            {
                long step = Math.Min(Math.Min(quantum, total - sum), Slack(i, participants, g, capacity, x, total));
                if (step <= 0) continue;
                x[i] += (int)step;
                sum += step;
            }
            if (sum == before) return false; // maximal: no node can grow, and the polymatroid says no order does better
        }
        return true;
    }

    private static long Slack(int node, uint participants, long[] g, int[] capacity, int[] x, long total)
    {
        long slack = capacity[node] - x[node];
        uint others = participants & ~(1u << node);
        // Every A = {node} ∪ B, B ⊆ others.
        for (uint b = others; ; b = (b - 1) & others)
        {
            uint a = b | (1u << node);
            long used = 0;
            for (uint m = a; m != 0; m &= m - 1) used += x[BitOperations.TrailingZeroCount(m)];
            slack = Math.Min(slack, total - g[participants & ~a] - used);
            if (b == 0) break;
        }
        return slack;
    }

    /// <summary>The nodes that can help a decoder short of rank: those holding any batch it has not determined.</summary>
    public static uint Helpers(IEnumerable<int> undeterminedBatches, IReadOnlyList<uint> holders, uint participants)
    {
        uint helpers = 0;
        foreach (var b in undeterminedBatches) helpers |= holders[b];
        return helpers & participants;
    }
}
