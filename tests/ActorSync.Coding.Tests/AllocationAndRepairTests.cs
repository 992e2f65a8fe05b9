namespace ActorSync.Coding.Tests;

public class AllocationAndRepairTests
{
    [Theory]
    [InlineData(4, 2, 4)]
    [InlineData(5, 2, 8)]
    [InlineData(7, 3, 24)]
    public void Integer_optimum_matches_the_issue_examples(int k, int r, int total)
    {
        var allocation = RecoveryAllocation.ForPlacement(new Placement(k, r));
        Assert.Equal(total, allocation.Total);
        Assert.True(allocation.PacketsPerNode.Max() - allocation.PacketsPerNode.Min() <= 1, "load is not spread");
    }

    [Fact]
    public void Thesis_3_8_4_counts_four_coded_against_twelve_uncoded()
    {
        var placement = new Placement(4, 2);
        Assert.Equal([1, 1, 1, 1], RecoveryAllocation.ForPlacement(placement).PacketsPerNode);
        Assert.Equal(12, placement.BatchCount * (placement.Nodes - placement.Redundancy)); // each batch to K−r nodes
    }

    [Theory]
    [MemberData(nameof(Configurations.All), MemberType = typeof(Configurations))]
    public void Fractional_bound_is_N_times_K_minus_r_over_K_minus_1_and_the_total_is_its_ceiling_or_more(int k, int r, int eta)
    {
        var placement = new Placement(k, r, eta);
        var allocation = RecoveryAllocation.ForPlacement(placement);
        double fractional = (double)placement.BatchCount * (k - r) / (k - 1);

        Assert.Equal(fractional, allocation.FractionalLowerBound, 9);
        Assert.True(allocation.Total >= Math.Ceiling(fractional - 1e-9));
        Assert.True(allocation.Total <= placement.BatchCount * (k - r)); // never worse than uncoded
    }

    [Theory]
    [MemberData(nameof(Configurations.Small), MemberType = typeof(Configurations))]
    public void Allocation_meets_the_cut_set_bound_and_one_packet_fewer_cannot(int k, int r, int eta)
    {
        var placement = new Placement(k, r, eta);
        var x = RecoveryAllocation.ForPlacement(placement).PacketsPerNode.ToArray();

        Assert.True(MeetsCutSet(x, k, r, eta), $"[{string.Join(",", x)}] violates a cut");
        // Brute force: no allocation with one packet fewer in all meets every cut.
        Assert.False(AnyMeetsCutSet(x.Sum() - 1, k, r, eta, placement.BatchesPerNode));
    }

    [Fact]
    public void Losing_r_nodes_makes_their_shared_batches_unrecoverable_and_says_which()
    {
        var placement = new Placement(4, 2);
        var holders = Enumerable.Range(0, 6).Select(placement.HoldersOf).ToArray();
        var allocation = RecoveryAllocation.Solve(4, holders, participants: 0b1100); // nodes 1 and 2 are gone

        Assert.Equal([0], allocation.Unrecoverable); // B1 lived only on nodes 1 and 2
    }

    [Fact]
    public void Thesis_3_9_direct_repair_of_node_1()
    {
        var placement = new Placement(4, 2);
        var plan = DirectRepairPlan.ForLostNode(placement, 0, placement.AllNodes);

        // Node 2 → B1, Node 3 → B2, Node 4 → B3.
        Assert.Equal([new RepairTransfer(0, 1, 0), new RepairTransfer(1, 2, 0), new RepairTransfer(2, 3, 0)], plan.Transfers);
        Assert.Empty(plan.Unrecoverable);
    }

    [Theory]
    [MemberData(nameof(Configurations.All), MemberType = typeof(Configurations))]
    public void Direct_repair_comes_from_holders_and_spreads_the_load_evenly(int k, int r, int eta)
    {
        var placement = new Placement(k, r, eta);
        for (int lost = 0; lost < k; lost++)
        {
            var plan = DirectRepairPlan.ForLostNode(placement, lost, placement.AllNodes);
            if (r == 1)
            {
                Assert.Equal(placement.BatchesOf(lost), plan.Unrecoverable); // no other copy exists
                continue;
            }
            Assert.Equal(placement.BatchesOf(lost), plan.Transfers.Select(t => t.Batch));
            Assert.All(plan.Transfers, t => Assert.True(placement.Holds(t.FromNode, t.Batch) && t.FromNode != lost));
            int best = (placement.BatchesPerNode + k - 2) / (k - 1); // ⌈M/(K−1)⌉, reachable by symmetry
            Assert.Equal(best, plan.LoadPerPeer.Values.Max());
        }
    }

    [Fact]
    public void Direct_repair_with_a_dead_peer_uses_the_remaining_holders()
    {
        var placement = new Placement(5, 3);
        uint alive = placement.AllNodes & ~(1u << 1);
        var plan = DirectRepairPlan.ForLostNode(placement, 0, alive);

        Assert.Empty(plan.Unrecoverable);
        Assert.DoesNotContain(plan.Transfers, t => t.FromNode == 1);
        Assert.Equal(placement.BatchesPerNode, plan.Transfers.Count);
    }

    private static bool MeetsCutSet(int[] x, int k, int r, int eta)
    {
        for (uint s = 1; s < (1u << k) - 1; s++)
        {
            int sum = Combinatorics.Members(s).Sum(i => x[i]);
            if (sum < Combinatorics.Binomial(Combinatorics.Count(s), r) * eta) return false;
        }
        return true;
    }

    private static bool AnyMeetsCutSet(int total, int k, int r, int eta, int cap)
    {
        if (total < 0) return false;
        var x = new int[k];
        bool Search(int node, int left)
        {
            if (node == k - 1)
            {
                if (left > cap) return false;
                x[node] = left;
                return MeetsCutSet(x, k, r, eta);
            }
            for (int v = 0; v <= Math.Min(left, cap); v++)
            {
                x[node] = v;
                if (Search(node + 1, left - v)) return true;
            }
            return false;
        }
        return Search(0, total);
    }
}
