namespace ActorSync.Coding.Tests;

/// <summary>
/// The expected link counts of each delivery mode. They are what `actorsync-lab eval` checks the measured counters
/// against, so they are derived here from the plans and checked against the closed forms and each other.
/// </summary>
public class DeliveryCostTests
{
    [Theory]
    [MemberData(nameof(Configurations.All), MemberType = typeof(Configurations))]
    public void Source_packets_follow_the_closed_forms(int k, int r, int eta)
    {
        var placement = new Placement(k, r, eta);
        long n = placement.BatchCount;

        var direct = DeliveryCost.Of(DeliveryMode.Direct, placement);
        var partial = DeliveryCost.Of(DeliveryMode.Partial, placement);
        var thesis = DeliveryCost.Of(DeliveryMode.ThesisMan, placement);
        var leader = DeliveryCost.Of(DeliveryMode.Leader, placement);

        Assert.Equal((0L, n), (direct.PlacementPackets, direct.DeliveryPackets));
        Assert.Equal((n, n), (partial.PlacementPackets, partial.DeliveryPackets));
        Assert.Equal((n, XorDeliveryPlan.ThesisManPacketCount(k, r, eta)), (thesis.PlacementPackets, thesis.DeliveryPackets));
        Assert.Equal((n, XorDeliveryPlan.LeaderPacketCount(k, r, eta)), (leader.PlacementPackets, leader.DeliveryPackets));
        // The leader scheme never sends more than the thesis scheme, nor than uncoded delivery.
        Assert.True(leader.DeliveryPackets <= thesis.DeliveryPackets);
        Assert.True(leader.DeliveryPackets <= partial.DeliveryPackets);
    }

    [Theory]
    [MemberData(nameof(Configurations.All), MemberType = typeof(Configurations))]
    public void Every_mode_puts_the_same_copies_on_the_relay_and_the_same_packets_into_each_node(int k, int r, int eta)
    {
        // The honest reading: past the relay, coding saves nothing. Each node receives N packets of one batch's size
        // in every mode (its M placed batches plus the packets addressed to it), so relay → nodes carries N·K.
        var placement = new Placement(k, r, eta);
        long n = placement.BatchCount;

        foreach (var mode in Enum.GetValues<DeliveryMode>())
        {
            var cost = DeliveryCost.Of(mode, placement);
            Assert.Equal(n * k, cost.RelayPackets);
            Assert.Equal(cost.RelayPackets, cost.UnicastSourcePackets);
            Assert.All(cost.NodeIngressPackets, packets => Assert.Equal(n, packets));
        }
    }

    [Fact]
    public void The_thesis_example_K4_r2_counts()
    {
        var placement = new Placement(4, 2);

        var counts = Enum.GetValues<DeliveryMode>().Select(m => DeliveryCost.Of(m, placement))
            .ToDictionary(c => DeliveryCost.NameOf(c.Mode), c => c.SourcePackets);

        // Direct sends the least over the source link when placement is counted: coding pays off only for the
        // delivery phase, i.e. when placement happened earlier (off-peak, or the caches are already warm).
        Assert.Equal(new Dictionary<string, long> { ["direct"] = 6, ["partial"] = 12, ["thesis-man"] = 10, ["leader"] = 9 }, counts);
    }
}
