namespace ActorSync.Coding;

/// <summary>How a full sync gets every batch to every node: the two baselines the thesis compares, and the coded schemes.</summary>
public enum DeliveryMode
{
    /// <summary>No placement: the source sends every batch, and the relay forwards it to every node.</summary>
    Direct,

    /// <summary>Placement, then each batch a node lacks, uncoded from the source (once, forwarded to every node lacking it).</summary>
    Partial,

    /// <summary>Placement, then the thesis's XOR packets, one per (r+1)-subset: C(K,r+1)·η.</summary>
    ThesisMan,

    /// <summary>Placement, then only the XOR packets whose subset holds a leader, broadcast: C(K−1,r)·η.</summary>
    Leader,
}

/// <summary>
/// The packets one full sync into empty caches puts on each link, from the formulas and plans alone. The source sends
/// each packet once over its link to the relay (the scarce link), and the relay forwards a copy to each recipient.
/// Every packet carries one padded batch, so bytes are packets × batch size.
/// </summary>
/// <param name="PlacementPackets">Source packets of the placement phase: each batch once, relayed to its r holders.</param>
/// <param name="DeliveryPackets">Source packets of the delivery phase.</param>
/// <param name="RelayPackets">Copies the relay forwards to nodes, both phases.</param>
/// <param name="NodeIngressPackets">Packets each node receives, by node.</param>
public sealed record DeliveryCost(DeliveryMode Mode, long PlacementPackets, long DeliveryPackets, long RelayPackets, long[] NodeIngressPackets)
{
    public static readonly IReadOnlyDictionary<string, DeliveryMode> Names = new Dictionary<string, DeliveryMode>
    {
        ["direct"] = DeliveryMode.Direct,
        ["partial"] = DeliveryMode.Partial,
        ["thesis-man"] = DeliveryMode.ThesisMan,
        ["leader"] = DeliveryMode.Leader,
    };

    public static string NameOf(DeliveryMode mode) => Names.Single(n => n.Value == mode).Key;

    /// <summary>Source → relay packets in all.</summary>
    public long SourcePackets => PlacementPackets + DeliveryPackets;

    /// <summary>What the source link would carry with no relay, each copy sent by the source itself.</summary>
    public long UnicastSourcePackets => RelayPackets;

    public static DeliveryCost Of(DeliveryMode mode, Placement placement)
    {
        long n = placement.BatchCount, k = placement.Nodes, r = placement.Redundancy;
        long[] Each(Func<int, long> perNode) => Enumerable.Range(0, placement.Nodes).Select(perNode).ToArray();
        switch (mode)
        {
            case DeliveryMode.Direct:
                return new(mode, 0, n, n * k, Each(_ => n));
            case DeliveryMode.Partial:
                long missing = r == k ? 0 : n; // with r < K every batch is missing somewhere
                return new(mode, n, missing, n * k, Each(_ => n));
            case DeliveryMode.ThesisMan or DeliveryMode.Leader:
                var plan = mode == DeliveryMode.Leader ? XorDeliveryPlan.LeaderBased(placement) : XorDeliveryPlan.ThesisMan(placement);
                long copies = plan.Packets.Sum(p => (long)Combinatorics.Count(p.Recipients));
                return new(mode, n, plan.Packets.Count, n * r + copies,
                    Each(node => placement.BatchesPerNode + plan.Packets.Count(p => Combinatorics.Contains(p.Recipients, node))));
            default:
                throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown delivery mode");
        }
    }
}
