namespace ActorSync.Coding.Tests;

public class XorDeliveryTests
{
    [Fact]
    public void Thesis_3_5_packets_come_out_exactly()
    {
        var plan = XorDeliveryPlan.ThesisMan(new Placement(4, 2));

        // P1 = B1⊕B2⊕B4 to nodes 1,2,3; P2 = B1⊕B3⊕B5 to 1,2,4; P3 = B2⊕B3⊕B6 to 1,3,4; P4 = B4⊕B5⊕B6 to 2,3,4.
        int[][] batches = [[1, 2, 4], [1, 3, 5], [2, 3, 6], [4, 5, 6]];
        string[] recipients = ["{1,2,3}", "{1,2,4}", "{1,3,4}", "{2,3,4}"];
        Assert.Equal(4, plan.Packets.Count);
        for (int p = 0; p < 4; p++)
        {
            Assert.Equal(batches[p], plan.Packets[p].Batches.Select(b => b + 1));
            Assert.Equal(recipients[p], Combinatorics.Format(plan.Packets[p].Recipients));
        }
    }

    [Fact]
    public void Thesis_3_5_4_node_1_decodes_B4_from_P1()
    {
        var placement = new Placement(4, 2);
        var data = Configurations.RandomBatches(6, 64, seed: 35);
        var plan = XorDeliveryPlan.ThesisMan(placement);
        var decoder = NodeDecoder(placement, 0, data);

        var result = decoder.Accept(XorDeliveryPlan.Encode(plan.Packets[0], data));

        Assert.Equal(XorAcceptOutcome.Decoded, result.Outcome);
        Assert.Equal([3], result.Decoded);
        Assert.Equal(data[3], decoder.Batch(3)!);
    }

    [Fact]
    public void Leader_plan_for_thesis_example_is_three_broadcasts_and_node_4_needs_two_steps()
    {
        var placement = new Placement(4, 2);
        var plan = XorDeliveryPlan.LeaderBased(placement, leader: 0);
        var data = Configurations.RandomBatches(6, 40, seed: 7);

        Assert.Equal(3, plan.Packets.Count);
        Assert.All(plan.Packets, p => Assert.True(Combinatorics.Contains(p.Group, 0)));
        var node4 = NodeDecoder(placement, 3, data);
        // P1 = B1⊕B2⊕B4 first: node 4 lacks B1, B2 and B4, so it must wait.
        Assert.Equal(XorAcceptOutcome.Held, node4.Accept(XorDeliveryPlan.Encode(plan.Packets[0], data)).Outcome);
        var second = node4.Accept(XorDeliveryPlan.Encode(plan.Packets[1], data));
        Assert.Equal([0], second.Decoded);
        var third = node4.Accept(XorDeliveryPlan.Encode(plan.Packets[2], data));
        Assert.Equal([1, 3], third.Decoded); // B2 directly, then B4 unlocked from the held P1
        Assert.True(node4.IsComplete);
    }

    [Theory]
    [MemberData(nameof(Configurations.All), MemberType = typeof(Configurations))]
    public void Packet_counts_equal_their_formulas(int k, int r, int eta)
    {
        var placement = new Placement(k, r, eta);

        Assert.Equal(Combinatorics.Binomial(k, r + 1) * eta, XorDeliveryPlan.ThesisMan(placement).Packets.Count);
        Assert.Equal(Combinatorics.Binomial(k - 1, r) * eta, XorDeliveryPlan.LeaderBased(placement).Packets.Count);
        Assert.Equal(XorDeliveryPlan.ThesisManPacketCount(k, r, eta), XorDeliveryPlan.ThesisMan(placement).Packets.Count);
        Assert.Equal(XorDeliveryPlan.LeaderPacketCount(k, r, eta), XorDeliveryPlan.LeaderBased(placement).Packets.Count);
    }

    [Theory]
    [MemberData(nameof(Configurations.All), MemberType = typeof(Configurations))]
    public void Every_node_decodes_every_batch_under_the_thesis_plan(int k, int r, int eta) =>
        AssertAllNodesDecode(XorDeliveryPlan.ThesisMan(new Placement(k, r, eta)), seed: k * 100 + r * 10 + eta);

    [Theory]
    [MemberData(nameof(Configurations.All), MemberType = typeof(Configurations))]
    public void Every_node_decodes_every_batch_under_the_leader_plan(int k, int r, int eta) =>
        AssertAllNodesDecode(XorDeliveryPlan.LeaderBased(new Placement(k, r, eta), leader: (k + r) % k), seed: k * 100 + r * 10 + eta);

    [Theory]
    [MemberData(nameof(Configurations.SmallWithGroupsOutsideTheLeader), MemberType = typeof(Configurations))]
    public void Packets_without_the_leader_are_the_XOR_of_leader_packets(int k, int r, int eta)
    {
        var placement = new Placement(k, r, eta);
        var data = Configurations.RandomBatches(placement.BatchCount, 24, seed: k + r + eta);
        var man = XorDeliveryPlan.ThesisMan(placement);
        var leaderPackets = XorDeliveryPlan.LeaderBased(placement, 0).Packets
            .ToDictionary(p => (p.Group, p.Layer), p => XorDeliveryPlan.Encode(p, data).Payload);

        foreach (var packet in man.Packets.Where(p => !Combinatorics.Contains(p.Group, 0)))
        {
            var combined = new byte[24];
            foreach (var x in Combinatorics.Members(packet.Group))
                Kernels.GfKernels.Scalar.Xor(leaderPackets[((packet.Group | 1u) & ~(1u << x), packet.Layer)], combined);
            Assert.Equal(XorDeliveryPlan.Encode(packet, data).Payload, combined);
        }
    }

    [Theory]
    [MemberData(nameof(Configurations.Small), MemberType = typeof(Configurations))]
    public void A_plan_restricted_to_changed_batches_still_delivers_them_to_every_node(int k, int r, int eta)
    {
        var placement = new Placement(k, r, eta);
        var random = new Random(k * 31 + r * 7 + eta);
        for (int trial = 0; trial < 5; trial++)
        {
            var demanded = Enumerable.Range(0, placement.BatchCount).Where(_ => random.Next(3) == 0).ToHashSet();
            foreach (var full in new[] { XorDeliveryPlan.ThesisMan(placement), XorDeliveryPlan.LeaderBased(placement, random.Next(k)) })
            {
                var plan = full.RestrictedTo(demanded);
                Assert.All(plan.Packets, p => Assert.NotEmpty(p.Batches));
                Assert.All(plan.Packets, p => Assert.Subset(demanded, p.Batches.ToHashSet()));
                Assert.True(plan.Packets.Count <= full.Packets.Count);
                Assert.Equal(Enumerable.Range(0, plan.Packets.Count), plan.Packets.Select(p => p.Index));
                AssertAllNodesDecode(plan, seed: trial, wanted: demanded);
            }
        }
    }

    [Fact]
    public void Restricting_to_one_batch_sends_it_once_to_the_nodes_that_lack_it()
    {
        var placement = new Placement(4, 2);
        var plan = XorDeliveryPlan.ThesisMan(placement).RestrictedTo(new HashSet<int> { 0 });
        // B1 sits on {1,2}: it appears in the packets of groups {1,2,3} and {1,2,4}, one for each node lacking it.
        Assert.Equal(2, plan.Packets.Count);
        Assert.All(plan.Packets, p => Assert.Equal([0], p.Batches));
    }

    private static WholeBatchDecoder NodeDecoder(Placement placement, int node, byte[][] data)
    {
        var decoder = new WholeBatchDecoder(placement.BatchCount, data[0].Length);
        foreach (var b in placement.BatchesOf(node)) decoder.AddKnown(b, data[b]);
        return decoder;
    }

    private static void AssertAllNodesDecode(XorDeliveryPlan plan, int seed, IReadOnlySet<int>? wanted = null)
    {
        var placement = plan.Placement;
        var data = Configurations.RandomBatches(placement.BatchCount, 16, seed);
        var packets = plan.Packets.Select(p => XorDeliveryPlan.Encode(p, data)).ToArray();
        var random = new Random(seed);
        for (int node = 0; node < placement.Nodes; node++)
        {
            var decoder = NodeDecoder(placement, node, data);
            // Arrival order is arbitrary on a network: shuffle it per node.
            foreach (var i in Enumerable.Range(0, packets.Length).OrderBy(_ => random.Next()))
                if (Combinatorics.Contains(plan.Packets[i].Recipients, node))
                    Assert.NotEqual(XorAcceptOutcome.Rejected, decoder.Accept(packets[i]).Outcome);

            var missing = decoder.MissingBatches.Where(b => wanted?.Contains(b) ?? true).ToArray();
            Assert.True(missing.Length == 0, $"node {node + 1} still misses {string.Join(",", missing.Select(b => $"B{b + 1}"))}");
            for (int b = 0; b < placement.BatchCount; b++)
                if (wanted?.Contains(b) ?? true) Assert.Equal(data[b], decoder.Batch(b)!);
        }
    }
}
