using ActorSync.Coding.Planning;

namespace ActorSync.Coding.Tests;

public class CyclePlannerTests
{
    private static readonly Placement Thesis = new(4, 2);

    private static NodeHolding Holding(int node, IEnumerable<int> whole) => new(node, whole.ToHashSet());

    [Fact]
    public void A_node_that_lost_its_cache_is_refilled_from_peers_with_the_load_spread()
    {
        var holdings = new[] { Holding(0, Thesis.BatchesOf(0)), Holding(1, []), Holding(2, Thesis.BatchesOf(2)), Holding(3, Thesis.BatchesOf(3)) };

        var plan = CyclePlanner.Refill(holdings, CyclePlanner.Placed(Thesis, [0, 1, 2, 3]), sourceUp: true);

        Assert.Equal(Thesis.BatchesOf(1), plan.Transfers.Select(t => t.Batch).Order());
        Assert.All(plan.Transfers, t => Assert.Equal(1u << 1, t.To));
        Assert.All(plan.Transfers, t => Assert.True(Thesis.Holds(t.From, t.Batch)));
        Assert.True(plan.Transfers.GroupBy(t => t.From).Max(g => g.Count()) <= 1, "one peer carries more than it must");
        Assert.Empty(plan.Unrecoverable);
    }

    [Fact]
    public void One_copy_serves_every_node_lacking_a_batch_and_the_source_sends_only_what_no_peer_holds()
    {
        var holdings = new[] { Holding(0, [0, 1, 2]), Holding(1, []), Holding(2, []) };

        var plan = CyclePlanner.Refill(holdings, CyclePlanner.Everything(5, [0, 1, 2]), sourceUp: true);

        Assert.All(plan.Transfers.Where(t => t.Batch < 3), t => Assert.Equal((0, 0b110u), (t.From, t.To)));
        Assert.Equal([3, 4], plan.Transfers.Where(t => t.FromSource).Select(t => t.Batch));
        Assert.All(plan.Transfers.Where(t => t.FromSource), t => Assert.Equal(0b111u, t.To));
        Assert.Equal(3 * 2 + 2 * 3, plan.Deliveries); // 3 batches to 2 nodes, 2 batches to 3 nodes
    }

    [Fact]
    public void With_the_source_down_what_no_live_node_holds_is_named_per_node()
    {
        var holdings = new[] { Holding(0, [0]), Holding(1, []) };

        var plan = CyclePlanner.Refill(holdings, CyclePlanner.Everything(2, [0, 1]), sourceUp: false);

        Assert.Equal([1], plan.Unrecoverable[0]);
        Assert.Equal([1], plan.Unrecoverable[1]);
        Assert.Equal(new BatchTransfer(0, 0, 0b10), Assert.Single(plan.Transfers));
    }

    [Fact]
    public void Recovery_allocates_the_cut_set_optimum_over_the_live_holdings()
    {
        var holdings = Enumerable.Range(0, 4).Select(n => Holding(n, n == 2 ? [] : Thesis.BatchesOf(n))).ToArray();

        var plan = CyclePlanner.Recovery(Thesis.Nodes, Thesis.BatchCount, holdings);

        Assert.Equal(0b1111u, plan.Targets);
        Assert.Empty(plan.Allocation.Unrecoverable);
        Assert.Equal(RecoveryAllocation.Solve(4, plan.Holders, 0b1111).Total, plan.Allocation.Total);
        Assert.Equal(0, plan.Allocation.PacketsPerNode[2]);
        Assert.NotEqual(0u, CyclePlanner.TopUpHelpers(plan, 2, [0]));
    }

    [Fact]
    public void The_serving_node_rotates_by_cycle()
    {
        Assert.Equal([1, 3, 1], new[] { 0, 1, 2 }.Select(cycle => CyclePlanner.ServingNode([3, 1], cycle)));
        Assert.Equal(-1, CyclePlanner.ServingNode([], 1));
    }
}
