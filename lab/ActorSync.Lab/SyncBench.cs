using System.Diagnostics;
using System.Text.Json.Serialization;
using ActorSync.Cli;
using ActorSync.Data;
using ActorSync.Data.Schema;
using ActorSync.Tooling;

namespace ActorSync.Lab;

/// <summary>One member's peak working set during the bench, and the CPU it spent per warm cycle (median).</summary>
public sealed record MemberPeak(
    [property: JsonPropertyName("member")] string Member,
    [property: JsonPropertyName("peak_mib")] long PeakMiB,
    [property: JsonPropertyName("cpu_ms_per_warm_cycle")] long CpuMillisPerWarmCycle);

/// <summary>The cluster's warm sync against the bare pipe, measured in one run so the ratio is fair.</summary>
public sealed record SyncBenchResult(
    [property: JsonPropertyName("rows")] long Rows,
    [property: JsonPropertyName("k")] int K,
    [property: JsonPropertyName("r")] int R,
    [property: JsonPropertyName("eta")] int Eta,
    [property: JsonPropertyName("scheme")] string Scheme,
    [property: JsonPropertyName("pipe_rows_per_s")] double PipeRowsPerSecond,
    [property: JsonPropertyName("cluster_rows_per_s")] double ClusterRowsPerSecond,
    [property: JsonPropertyName("ratio")] double Ratio,
    [property: JsonPropertyName("pipe_ms")] long PipeMillis,
    [property: JsonPropertyName("cold_cycle_ms")] long ColdCycleMillis,
    [property: JsonPropertyName("warm_cycle_ms")] long WarmCycleMillis,
    [property: JsonPropertyName("warm_cycles_ms")] IReadOnlyList<long> WarmCyclesMillis,
    [property: JsonPropertyName("cpu_ms_per_warm_cycle")] long CpuMillisPerWarmCycle,
    [property: JsonPropertyName("verified")] bool Verified,
    [property: JsonPropertyName("max_member_peak_mib")] long MaxMemberPeakMiB,
    [property: JsonPropertyName("members")] IReadOnlyList<MemberPeak> Members);

[JsonSerializable(typeof(SyncBenchResult))]
[JsonSourceGenerationOptions(WriteIndented = true)]
internal sealed partial class SyncBenchJsonContext : JsonSerializerContext;

/// <summary>
/// `actorsync-lab bench sync`: in one run, the bare pipe (the source read → a channel → the raw SQLite insert Hub C uses,
/// two threads, no cluster) over N bank-shaped rows, then a fresh local cluster's cold sync and its warm syncs after
/// every row changed (so every batch moves again; the median of several, since the first warm one still meets code
/// paths the cold one did not run), each member's CPU per warm cycle and its peak working set.
/// </summary>
public static class SyncBench
{
    public static async Task<SyncBenchResult> RunAsync(long rows, int k, int r, int eta, string scheme, string? mysql, string sourceKind, int warmCycles,
        bool keep, IReadOnlyList<KeyValuePair<string, string>> extraSettings, Action<string> say)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(warmCycles, 1);
        var work = Path.Combine(Path.GetTempPath(), "actorsync-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        LocalCluster.KillMembersOnInterrupt();
        try
        {
            await using var source = await LocalSource.StartAsync(mysql, sourceKind, work);
            var open = source.Choice.Open();
            say($"source: {source.Description}; seeding {rows:N0} bank-shaped rows");
            await BankSeeder.SeedAsync(open, "bank", BankRow.Generate(rows), replace: true);
            var table = (await open.DiscoverAsync(["bank"]))[0];

            var pipe = await BestPipeAsync(open, table, work);
            say($"bare pipe: {pipe.RowsPerSecond:N0} rows/s ({pipe.Elapsed.TotalMilliseconds:N0} ms)");

            var settings = new Dictionary<string, string>
            {
                ["ACTORSYNC_K"] = $"{k}", ["ACTORSYNC_R"] = $"{r}", ["ACTORSYNC_ETA"] = $"{eta}", ["ACTORSYNC_SCHEME"] = scheme, ["ACTORSYNC_TABLES"] = "bank",
            };
            foreach (var (key, value) in extraSettings) settings[key] = value;
            await using var cluster = await LocalCluster.StartAsync(new LocalCluster.Options(Path.Combine(work, "cluster"), source.Choice, null, [], settings), _ => { },
                TimeSpan.FromMinutes(3));
            var cold = await SyncRunner.StartAsync(cluster, render: false);
            say($"cold sync: {cold.CycleMillis:N0} ms, {(cold.Verified ? "verified" : "NOT verified")}");
            var members = cluster.State().Members;
            var warm = new List<long>();
            var cpu = members.ToDictionary(m => m.Name, _ => new List<long>());
            bool verified = cold.Verified;
            for (int cycle = 1; cycle <= warmCycles; cycle++)
            {
                await source.ExecuteAsync("UPDATE bank SET balance = balance + 1");
                var before = members.ToDictionary(m => m.Name, m => MemberProcesses.CpuMillis(m.Pid));
                var report = await SyncRunner.StartAsync(cluster, render: false);
                foreach (var member in members) cpu[member.Name].Add(MemberProcesses.CpuMillis(member.Pid) - before[member.Name]);
                warm.Add(report.CycleMillis);
                verified &= report.Verified;
                say($"warm sync {cycle}: {report.CycleMillis:N0} ms, {(report.Verified ? "verified" : "NOT verified")}, CPU {members.Sum(m => cpu[m.Name][^1]):N0} ms over all members");
            }
            var peaks = members.Select(m => new MemberPeak(m.Name, MemberProcesses.PeakMiB(m.Pid), Median(cpu[m.Name]))).ToArray();
            long warmMedian = Median(warm);
            double clusterRate = rows / Math.Max(warmMedian / 1000.0, 1e-9);
            return new SyncBenchResult(rows, k, r, eta, scheme, Math.Round(pipe.RowsPerSecond), Math.Round(clusterRate), Math.Round(clusterRate / pipe.RowsPerSecond, 3),
                (long)pipe.Elapsed.TotalMilliseconds, cold.CycleMillis, warmMedian, warm, peaks.Sum(p => p.CpuMillisPerWarmCycle), verified,
                peaks.Max(p => p.PeakMiB), peaks);
        }
        finally
        {
            if (keep) say($"kept {work} (member logs in cluster/logs)");
            else Scratch.TryDelete(work);
        }
    }

    /// <summary>The better of two runs of the bare pipe: the first may meet a colder source.</summary>
    private static async Task<PipeResult> BestPipeAsync(ISyncSource open, TableSchema table, string work)
    {
        PipeResult? pipe = null;
        for (int run = 0; run < 2; run++)
        {
            var file = Path.Combine(work, $"pipe-{run}.db");
            var result = await BarePipe.RunAsync(open, table, file);
            if (pipe is null || result.Elapsed < pipe.Elapsed) pipe = result;
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            foreach (var suffix in new[] { "", "-wal", "-shm" }) File.Delete(file + suffix);
        }
        return pipe!;
    }

    private static long Median(List<long> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
