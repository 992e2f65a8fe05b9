using ActorSync.Coding.Kernels;

namespace ActorSync.Coding;

public enum XorScheme
{
    /// <summary>Maddah-Ali–Niesen as in the thesis: one packet per (r+1)-subset and layer, C(K,r+1)·η.</summary>
    ThesisMan,

    /// <summary>Yu–Maddah-Ali–Avestimehr for "every node wants every batch": only subsets holding a leader, C(K−1,r)·η.</summary>
    Leader,
}

/// <summary>One XOR packet: the XOR of <see cref="Batches"/>, meant for the nodes in <see cref="Recipients"/>.</summary>
public sealed record XorPacketSpec(int Index, uint Group, int Layer, int[] Batches, uint Recipients);

/// <summary>An encoded XOR packet as it travels: which batches it combines, the payload, and a checksum over both.</summary>
public sealed record XorPacket(int Index, int[] Batches, byte[] Payload, byte[] Checksum)
{
    public static XorPacket Create(int index, int[] batches, byte[] payload) =>
        new(index, batches, payload, ComputeChecksum(index, batches, payload));

    public bool IsIntact => PacketChecksum.Matches(Checksum, ComputeChecksum(Index, Batches, Payload));

    private static byte[] ComputeChecksum(int index, int[] batches, byte[] payload) =>
        PacketChecksum.Compute([index, .. batches], payload);
}

/// <summary>
/// Coded delivery after placement: each node holds M batches and wants the other N−M. For a group G of r+1
/// nodes and a layer j, the packet is ⊕_{i∈G} W(G∖{i}, j): node i lacks exactly W(G∖{i}, j) and holds the other r
/// terms (each of their subsets contains i), so one packet serves r+1 nodes.
/// </summary>
public sealed class XorDeliveryPlan
{
    public XorScheme Scheme { get; }
    public Placement Placement { get; }

    /// <summary>The leader node for <see cref="XorScheme.Leader"/>; −1 for the thesis scheme.</summary>
    public int Leader { get; }

    public IReadOnlyList<XorPacketSpec> Packets { get; }

    private XorDeliveryPlan(XorScheme scheme, Placement placement, int leader, IReadOnlyList<XorPacketSpec> packets)
    {
        Scheme = scheme;
        Placement = placement;
        Leader = leader;
        Packets = packets;
    }

    public static long ThesisManPacketCount(int nodes, int redundancy, int eta) =>
        Combinatorics.Binomial(nodes, redundancy + 1) * eta;

    public static long LeaderPacketCount(int nodes, int redundancy, int eta) =>
        Combinatorics.Binomial(nodes - 1, redundancy) * eta;

    /// <summary>The thesis plan (section 3.5): every (r+1)-subset, each packet sent to its group only.</summary>
    public static XorDeliveryPlan ThesisMan(Placement placement) =>
        new(XorScheme.ThesisMan, placement, -1,
            Build(placement, Combinatorics.Subsets(placement.Nodes, placement.Redundancy + 1), broadcast: false));

    /// <summary>
    /// The optimal plan when every node wants every batch: only the groups that contain <paramref name="leader"/>,
    /// broadcast to all nodes. The other C(K−1,r+1)·η packets are redundant: write Y_A = ⊕_{i∈A} W(A∖{i}) for an
    /// (r+1)-set A. For any (r+2)-set B, ⊕_{x∈B} Y_{B∖{x}} = 0, because each W(B∖{x,i}) appears twice (once for x,
    /// once for i). Taking B = A ∪ {leader} with the leader ∉ A gives Y_A = ⊕_{x∈A} Y_{A∪{leader}∖{x}}: an XOR of
    /// packets that all contain the leader. So a node outside a leader group first decodes every batch whose
    /// subset holds the leader (from the groups it belongs to), then peels the rest. C(K−1,r)·η is also a lower
    /// bound: the leader alone lacks that many batches and each packet carries one batch's worth of bytes.
    /// </summary>
    public static XorDeliveryPlan LeaderBased(Placement placement, int leader = 0)
    {
        if ((uint)leader >= (uint)placement.Nodes)
            throw new ArgumentOutOfRangeException(nameof(leader), leader,
                $"leader must be a node 1..{placement.Nodes}; got node {leader + 1}.");
        var groups = Combinatorics.Subsets(placement.Nodes, placement.Redundancy + 1)
            .Where(g => Combinatorics.Contains(g, leader));
        return new(XorScheme.Leader, placement, leader, Build(placement, groups, broadcast: true));
    }

    /// <summary>
    /// The plan for delivering only <paramref name="demanded"/> (an incremental cycle: the batches that changed, and
    /// any a node lost): every packet keeps only its demanded terms, and packets left with none are dropped. This is
    /// the same plan with the other batches set to zero, a linear projection, so the thesis plan's and the leader
    /// plan's decodability both carry over: every node still decodes every demanded batch it does not cache.
    /// Packets are renumbered from 0.
    /// </summary>
    public XorDeliveryPlan RestrictedTo(IReadOnlySet<int> demanded)
    {
        var packets = new List<XorPacketSpec>();
        foreach (var packet in Packets)
        {
            var kept = packet.Batches.Where(demanded.Contains).ToArray();
            if (kept.Length > 0) packets.Add(packet with { Index = packets.Count, Batches = kept });
        }
        return new XorDeliveryPlan(Scheme, Placement, Leader, packets);
    }

    private static List<XorPacketSpec> Build(Placement placement, IEnumerable<uint> groups, bool broadcast)
    {
        var packets = new List<XorPacketSpec>();
        foreach (var group in groups)
            for (int layer = 0; layer < placement.Eta; layer++)
            {
                var batches = Combinatorics.Members(group)
                    .Select(i => placement.BatchOn(group & ~(1u << i), layer))
                    .Order().ToArray();
                packets.Add(new XorPacketSpec(packets.Count, group, layer, batches, broadcast ? placement.AllNodes : group));
            }
        return packets;
    }

    /// <summary>The packet, ready to send: the XOR of its batches, with its checksum.</summary>
    public static XorPacket Encode(XorPacketSpec packet, IReadOnlyList<byte[]> batches, GfKernel? kernel = null) =>
        Encode(packet.Index, packet.Batches, b => batches[b], kernel);

    /// <summary>Packet <paramref name="index"/> as the XOR of <paramref name="batches"/>, read one at a time (e.g. from a spool).</summary>
    public static XorPacket Encode(int index, int[] batches, Func<int, byte[]> read, GfKernel? kernel = null)
    {
        if (batches.Length == 0) throw new ArgumentException("an XOR packet needs at least one batch.", nameof(batches));
        kernel ??= GfKernels.Best;
        var payload = (byte[])read(batches[0]).Clone();
        for (int i = 1; i < batches.Length; i++)
        {
            var batch = read(batches[i]);
            if (batch.Length != payload.Length)
                throw new ArgumentException($"batch B{batches[i] + 1} has {batch.Length} bytes, not the {payload.Length} of B{batches[0] + 1}: batches must be padded alike.", nameof(batches));
            kernel.Xor(batch, payload);
        }
        return XorPacket.Create(index, batches, payload);
    }
}
