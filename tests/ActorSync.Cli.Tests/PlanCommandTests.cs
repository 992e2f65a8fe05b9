using System.Text.Json;
using ActorSync.Coding;

namespace ActorSync.Cli.Tests;

public class PlanCommandTests
{
    [Theory]
    [InlineData(4, 2, 1)]
    [InlineData(5, 2, 1)]
    [InlineData(7, 3, 1)]
    [InlineData(6, 3, 2)]
    public void Json_counts_match_the_formulas(int k, int r, int eta)
    {
        var result = CliRunner.Run("plan", "--nodes", $"{k}", "--redundancy", $"{r}", "--eta", $"{eta}", "--json");

        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Stdout);
        var root = json.RootElement;
        long n = Combinatorics.Binomial(k, r) * eta;
        Assert.Equal(n, root.GetProperty("N").GetInt64());
        Assert.Equal(n * r / k, root.GetProperty("M").GetInt64());
        Assert.Equal(Combinatorics.Binomial(k, r + 1) * eta, root.GetProperty("man_packets").GetInt64());
        Assert.Equal(Combinatorics.Binomial(k - 1, r) * eta, root.GetProperty("optimal_packets").GetInt64());
        Assert.Equal(n * (k - r), root.GetProperty("uncoded_repair_transfers").GetInt64());
        var allocation = root.GetProperty("recovery_allocation").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal(allocation.Sum(), root.GetProperty("recovery_packets").GetInt32());
        Assert.Equal(RecoveryAllocation.ForPlacement(new Placement(k, r, eta)).Total, allocation.Sum());
    }

    [Fact]
    public void Json_for_the_thesis_example_has_its_packets()
    {
        var result = CliRunner.Run("plan", "-k", "4", "-r", "2", "--json");

        using var json = JsonDocument.Parse(result.Stdout);
        var first = json.RootElement.GetProperty("man")[0];
        Assert.Equal([1, 2, 4], first.GetProperty("batches").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal([1, 2, 3], first.GetProperty("recipients").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(4, json.RootElement.GetProperty("recovery_packets").GetInt32());
    }

    [Fact]
    public void Tables_show_placement_plans_and_counts()
    {
        var result = CliRunner.Run("plan", "--nodes", "4", "--redundancy", "2");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("B1, B4, B5", result.Stdout);
        Assert.Contains("B4 ⊕ B5 ⊕ B6", result.Stdout);
        Assert.Contains("optimal leader delivery", result.Stdout);
    }

    [Theory]
    [InlineData("redundancy (r) must be between 1 and K−1 = 3", "-k", "4", "-r", "4")]
    [InlineData("nodes (K) must be between 2 and 16", "-k", "17", "-r", "2")]
    [InlineData("eta (η) must be at least 1", "-k", "4", "-r", "2", "--eta", "0")]
    [InlineData("leader must be a node between 1 and K = 4", "-k", "4", "-r", "2", "--leader", "5")]
    public void Bad_settings_get_one_clear_line_and_exit_code_2(string message, params string[] args)
    {
        var result = CliRunner.Run(["plan", .. args]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr); // no stack trace
    }
}
