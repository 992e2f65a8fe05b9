namespace ActorSync.Coding.Tests;

public class PlacementTests
{
    [Fact]
    public void Thesis_3_3_1_example_comes_out_exactly()
    {
        var placement = new Placement(4, 2);

        Assert.Equal(6, placement.BatchCount);
        Assert.Equal(3, placement.BatchesPerNode);
        // Node 1 {B1,B2,B3}, Node 2 {B1,B4,B5}, Node 3 {B2,B4,B6}, Node 4 {B3,B5,B6}, written 1-based.
        int[][] expected = [[1, 2, 3], [1, 4, 5], [2, 4, 6], [3, 5, 6]];
        for (int node = 0; node < 4; node++)
            Assert.Equal(expected[node], placement.BatchesOf(node).Select(b => b + 1));
    }

    [Theory]
    [MemberData(nameof(Configurations.All), MemberType = typeof(Configurations))]
    public void Every_batch_sits_on_r_nodes_and_every_node_holds_M(int k, int r, int eta)
    {
        var placement = new Placement(k, r, eta);

        Assert.Equal(Combinatorics.Binomial(k, r) * eta, placement.BatchCount);
        Assert.Equal(placement.BatchCount * r / k, placement.BatchesPerNode);
        for (int b = 0; b < placement.BatchCount; b++)
        {
            Assert.Equal(r, Combinatorics.Count(placement.HoldersOf(b)));
            Assert.Equal(b, placement.BatchOn(placement.HoldersOf(b), placement.LayerOf(b)));
        }
        for (int node = 0; node < k; node++)
            Assert.Equal(placement.BatchesPerNode, placement.BatchesOf(node).Count);
        // Each r-subset carries exactly η batches.
        Assert.All(Enumerable.Range(0, placement.BatchCount).GroupBy(placement.HoldersOf), g => Assert.Equal(eta, g.Count()));
    }

    [Theory]
    [MemberData(nameof(Configurations.Small), MemberType = typeof(Configurations))]
    public void Losing_any_r_minus_1_nodes_loses_no_batch_and_losing_r_does(int k, int r, int eta)
    {
        var placement = new Placement(k, r, eta);
        foreach (var lost in Combinatorics.Subsets(k, r - 1))
            Assert.All(Enumerable.Range(0, placement.BatchCount), b => Assert.NotEqual(0u, placement.HoldersOf(b) & ~lost));
        foreach (var lost in Combinatorics.Subsets(k, r))
            Assert.Contains(Enumerable.Range(0, placement.BatchCount), b => (placement.HoldersOf(b) & ~lost) == 0);
    }

    [Theory]
    [InlineData(1, 1, 1, "nodes")]
    [InlineData(17, 2, 1, "nodes")]
    [InlineData(4, 0, 1, "redundancy")]
    [InlineData(4, 4, 1, "redundancy")]
    [InlineData(4, 2, 0, "eta")]
    [InlineData(16, 8, 100, "eta")]
    public void Out_of_range_settings_are_rejected_by_name(int k, int r, int eta, string setting)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new Placement(k, r, eta));
        Assert.Equal(setting, error.ParamName);
        Assert.Contains(setting, error.Message);
    }
}
