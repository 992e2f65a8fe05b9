using System.Text.Json;

namespace ActorSync.EndToEnd.Tests;

/// <summary>`actorsync-lab bench sync`: the bare pipe and a local cluster's warm cycles, in one run (figures, not limits).</summary>
public sealed class BenchSyncTests
{
    [Fact]
    public void The_sync_bench_runs_the_pipe_and_each_warm_cycle_verified_and_reports_every_member()
    {
        var bench = CliRunner.Lab(TimeSpan.FromMinutes(6), "bench", "sync", "--rows", "20000", "--eta", "1", "--warm", "2", "--json");

        Assert.True(bench.ExitCode == 0, bench.ToString());
        using var json = JsonDocument.Parse(bench.Stdout);
        var root = json.RootElement;
        Assert.True(root.GetProperty("verified").GetBoolean());
        Assert.Equal(20000, root.GetProperty("rows").GetInt64());
        Assert.Equal(2, root.GetProperty("warm_cycles_ms").GetArrayLength());
        Assert.True(root.GetProperty("pipe_rows_per_s").GetDouble() > 0 && root.GetProperty("ratio").GetDouble() > 0, bench.Stdout);
        var members = root.GetProperty("members").EnumerateArray().ToArray();
        Assert.Equal(8, members.Length); // seed, orchestrator, both hubs, four nodes
        Assert.All(members, m => Assert.True(m.GetProperty("peak_mib").GetInt64() > 0, m.ToString()));
        Assert.True(members.Sum(m => m.GetProperty("cpu_ms_per_warm_cycle").GetInt64()) == root.GetProperty("cpu_ms_per_warm_cycle").GetInt64());
        Assert.True(root.GetProperty("cpu_ms_per_warm_cycle").GetInt64() > 0);
    }
}
