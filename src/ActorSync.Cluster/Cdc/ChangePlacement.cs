namespace ActorSync.Cluster.Cdc;

/// <summary>
/// Where a change batch goes and when it counts as placed. Pure: the change batch's sequence picks a rotating
/// r-subset of the live nodes (spreading the load), and a batch is durable once r distinct nodes journaled it; the
/// offset advances over placed batches in sequence order only, so it never passes a hole.
/// </summary>
public sealed class ChangePlacement(int redundancy)
{
    private readonly SortedDictionary<long, HashSet<int>> _acks = new();

    public int Redundancy => redundancy;

    /// <summary>The nodes to send batch <paramref name="sequence"/> to, leaving out those that already hold it; fewer than r if too few live.</summary>
    public IReadOnlyList<int> Targets(long sequence, IReadOnlyList<int> live, IReadOnlySet<int>? holding = null)
    {
        var candidates = live.Where(n => holding is null || !holding.Contains(n)).Order().ToArray();
        int needed = redundancy - (holding?.Count ?? 0);
        if (candidates.Length == 0 || needed <= 0) return [];
        int start = (int)(sequence % candidates.Length);
        return Enumerable.Range(0, Math.Min(needed, candidates.Length)).Select(i => candidates[(start + i) % candidates.Length]).ToArray();
    }

    public void Sent(long sequence) => _acks.TryAdd(sequence, []);

    public IReadOnlySet<int> Holders(long sequence) => _acks.TryGetValue(sequence, out var nodes) ? nodes : new HashSet<int>();

    public void Acknowledged(long sequence, int node)
    {
        if (_acks.TryGetValue(sequence, out var nodes)) nodes.Add(node);
    }

    /// <summary>The batches now placed, lowest sequence first, each removed: those at the front with r holders.</summary>
    public IReadOnlyList<long> TakePlaced()
    {
        var placed = new List<long>();
        while (_acks.Count > 0)
        {
            var (sequence, nodes) = _acks.First();
            if (nodes.Count < redundancy) break;
            placed.Add(sequence);
            _acks.Remove(sequence);
        }
        return placed;
    }

    public IEnumerable<long> Waiting => _acks.Keys;

    public void Clear() => _acks.Clear();
}
