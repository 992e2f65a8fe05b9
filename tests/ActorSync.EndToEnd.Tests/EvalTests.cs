using System.Globalization;
using ActorSync.Coding;

namespace ActorSync.EndToEnd.Tests;

/// <summary>`actorsync-lab eval --quick`: the K=4, r=2, N=6 point in every mode, on fresh multi-process clusters.</summary>
public sealed class EvalTests
{
    [Fact]
    public void The_quick_eval_measures_exactly_the_counts_the_formulas_give_in_every_mode()
    {
        using var temp = new TempDirectory();

        var eval = CliRunner.Lab(TimeSpan.FromMinutes(10), "eval", "--quick", "--recovery", "--out", temp.Path);

        Assert.True(eval.ExitCode == 0, eval.ToString());
        var lines = File.ReadAllLines(Path.Combine(temp.Path, "results.csv"));
        var header = lines[0].Split(',');
        var rows = lines.Skip(1).Select(line => header.Zip(line.Split(',')).ToDictionary(p => p.Item1, p => p.Item2)).ToList();
        Assert.Equal(DeliveryCost.Names.Keys.Order(), rows.Select(r => r["mode"]).Order());
        var placement = new Placement(4, 2, 1);
        foreach (var row in rows)
        {
            long Value(string column) => long.Parse(row[column], CultureInfo.InvariantCulture);
            var cost = DeliveryCost.Of(DeliveryCost.Names[row["mode"]], placement);
            Assert.Equal("true", row["verified"]);
            Assert.Equal(cost.SourcePackets, Value("source_packets"));
            Assert.Equal(cost.SourcePackets * Value("batch_bytes"), Value("source_bytes"));
            Assert.Equal(cost.RelayPackets, Value("relay_packets"));
            Assert.Equal(cost.RelayPackets * Value("batch_bytes"), Value("relay_bytes"));
            Assert.Equal(placement.BatchCount, Value("min_node_ingress_packets"));
            Assert.Equal(placement.BatchCount, Value("max_node_ingress_packets"));
            Assert.Equal(4521, Value("rows"));
            Assert.True(Value("cpu_ms") > 0 && Value("peak_member_mib") > 0, string.Join(",", row.Values));
        }
        // Tables 5.1–5.8's experiment: each node rebuilt in turn from its peers while the source is down.
        var recoveries = File.ReadAllLines(Path.Combine(temp.Path, "recovery.csv")).Skip(1).Select(line => line.Split(',')).ToList();
        Assert.Equal(["1", "2", "3", "4"], recoveries.Select(r => r[4]));
        Assert.All(recoveries, r =>
        {
            // The rebuilt node wants all N batches: at least N packets of RLNC (a rare rank deficit adds a top-up).
            Assert.InRange(long.Parse(r[6], CultureInfo.InvariantCulture), placement.BatchCount, 2 * placement.BatchCount);
            Assert.Equal("verified", r[8]);
        });
        var report = File.ReadAllText(Path.Combine(temp.Path, "report.md"));
        Assert.Contains("## Linear-coded recovery with the source down", report);
        Assert.True(File.Exists(Path.Combine(temp.Path, "source-packets-by-mode.png")));
        Assert.Contains("| 4 | 2 | 1 | 6 | leader | 0 |", report);
        Assert.Contains("4 runs; 4 verified; 4 with measured counts equal to the formulas", eval.Stdout);
    }

    [Theory]
    [InlineData(new[] { "--grid", "4:2" }, "--grid: '4:2' is not K:r:η")]
    [InlineData(new[] { "--grid", "4:5:1" }, "--grid: 4:5:1")]
    [InlineData(new[] { "--modes", "leader,fastest" }, "--modes: 'fastest' is not one of")]
    [InlineData(new[] { "--latency-ms", "-5" }, "--latency-ms: '-5'")]
    [InlineData(new[] { "--data", "synthetic:x" }, "--data: 'synthetic:x'")]
    public void Bad_eval_options_get_one_line_and_exit_2(string[] args, string expected)
    {
        var eval = CliRunner.Lab(["eval", .. args]);

        Assert.Equal(2, eval.ExitCode);
        Assert.Contains(expected, eval.Stderr);
        Assert.DoesNotContain("   at ", eval.Stderr);
    }
}
