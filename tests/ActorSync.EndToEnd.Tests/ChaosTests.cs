namespace ActorSync.EndToEnd.Tests;

/// <summary>`actorsync-lab chaos`: a seeded sample of the fault matrix against a multi-process cluster, with zero loss.</summary>
public sealed class ChaosTests
{
    [Fact]
    public void A_chaos_sample_loses_no_rows_and_every_cell_ends_verified_or_cleanly_refused()
    {
        using var temp = new TempDirectory();

        var chaos = CliRunner.Lab(TimeSpan.FromMinutes(15), "chaos", "--seed", "2026", "--sample", "8", "--out", temp.Path);

        Assert.True(chaos.ExitCode == 0, chaos.ToString());
        var lines = File.ReadAllLines(Path.Combine(temp.Path, "chaos.csv"));
        var header = lines[0].Split(',');
        var cells = lines.Skip(1).Select(line => header.Zip(ParseCsv(line)).ToDictionary(p => p.Item1, p => p.Item2)).ToList();
        Assert.Equal(8, cells.Count);
        Assert.All(cells, cell =>
        {
            Assert.Equal("0", cell["rows_lost"]);
            Assert.Contains(cell["outcome"], new[] { "verified", "refused" });
        });
        // The sample takes correlated, operator, packet and process faults in turn; correlated ones on K = 5, r = 3.
        Assert.Contains(cells, c => c["fault"] is "kill-2-nodes" or "kill-2-nodes-0.5s" or "kill-2-nodes-1s" or "kill-2-nodes-2s" or "kill-node-and-orchestrator");
        Assert.Contains(cells, c => c["phase"] == "operator");
        Assert.Contains(cells, c => c["fault"] is "flip" or "truncate" or "duplicate" or "reorder" or "wrong-coefficients" or "unknown-message");
        Assert.Contains(cells, c => c["fault"] is "kill-node" or "kill-hub-b" or "kill-hub-c" or "kill-orchestrator" or "stop-source" or "partition-node" or "restart-node");
        Assert.Contains("8 passed, 0 failed; rows lost 0; seed 2026", chaos.Stdout);
    }

    [Theory]
    [InlineData(new[] { "--faults", "meteor" }, "--faults: 'meteor' is not a fault")]
    [InlineData(new[] { "--phases", "lunch" }, "--phases: 'lunch' is not a phase")]
    [InlineData(new[] { "--faults", "bad-token", "--phases", "delivery" }, "no cell of the matrix matches")]
    [InlineData(new[] { "--sample", "0" }, "--sample 0 must be at least 1")]
    public void Bad_chaos_options_get_one_line_and_exit_2(string[] args, string expected)
    {
        var chaos = CliRunner.Lab(["chaos", .. args]);

        Assert.Equal(2, chaos.ExitCode);
        Assert.Contains(expected, chaos.Stderr);
    }

    private static IEnumerable<string> ParseCsv(string line)
    {
        var field = new System.Text.StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted && c == '"' && i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i++; }
            else if (c == '"') quoted = !quoted;
            else if (c == ',' && !quoted) { yield return field.ToString(); field.Clear(); }
            else field.Append(c);
        }
        yield return field.ToString();
    }
}
