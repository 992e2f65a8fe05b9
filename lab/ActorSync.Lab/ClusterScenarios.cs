using System.Text.Json;
using ActorSync.Cli;
using ActorSync.Cluster;
using ActorSync.Cluster.Protocol;
using ActorSync.Control;
using ActorSync.Tooling;

namespace ActorSync.Lab;

/// <summary>
/// Faults and waits on a local cluster, through its processes and its command endpoint only: what `demo` shows and
/// `eval` measures.
/// </summary>
public static class ClusterScenarios
{
    /// <summary>A finished cycle as `sync status` lists it.</summary>
    public sealed record CycleRow(int Cycle, string Kind, string Mode, long Millis, long SourceBytes, long RelayBytes, long PeerBytes, string Outcome);

    /// <summary>A recovery or repair cycle as `recovery status` lists it.</summary>
    public sealed record RecoveryRow(int Cycle, string Kind, long Millis, long RlncPackets, long PeerRecoveryBytes, long RepairTransfers, string Outcome);

    /// <summary>kill -9 of a node's process, its journal deleted too if asked; returns once the launcher restarted it.</summary>
    public static async Task CrashAsync(LocalCluster cluster, string node, bool wipeJournal, Action<string> say)
    {
        int pid = cluster.PidOf(node);
        LocalCluster.Signal(pid, LocalCluster.Sigkill);
        say($"kill -9 {node} (pid {pid})" + (wipeJournal ? ", journal deleted" : ""));
        if (wipeJournal)
        {
            // The launcher restarts it after a second; delete the journal before that.
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (LocalCluster.IsAlive(pid) && DateTime.UtcNow < deadline) await Task.Delay(20);
            foreach (var file in Directory.GetFiles(Path.Combine(cluster.StateDirectory, "data", node), "*.journal.db*")) File.Delete(file);
        }
        var wait = DateTime.UtcNow.AddSeconds(60);
        while (cluster.PidOf(node) == pid)
        {
            if (DateTime.UtcNow > wait) throw new TimeoutException($"the launcher did not restart {node}.");
            await Task.Delay(100);
        }
    }

    /// <summary>Waits until the node is alive and holds at least this many batches; returns their names.</summary>
    public static async Task<string> AwaitNodeHoldsAsync(LocalCluster cluster, string node, int batches)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            var nodes = (await cluster.DocumentAsync(["node", "list"])).GetProperty("nodes").EnumerateArray();
            var entry = nodes.FirstOrDefault(n => n.GetProperty("node").GetString() == node);
            var held = entry.ValueKind == JsonValueKind.Object ? entry.GetProperty("batches").EnumerateArray().Select(b => $"B{b.GetInt32()}").ToArray() : [];
            if (entry.ValueKind == JsonValueKind.Object && entry.GetProperty("state").GetString() == "alive" && held.Length >= batches) return string.Join(" ", held);
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{node} did not come back with its {batches} batches: {(entry.ValueKind == JsonValueKind.Object ? entry.ToString() : "not listed")}");
            await Task.Delay(500);
        }
    }

    public static async Task AwaitModeAsync(LocalCluster cluster, string mode)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await cluster.DocumentAsync(["recovery", "status"])).GetProperty("mode").GetString() != mode)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the cluster did not switch to {mode} mode.");
            await Task.Delay(200);
        }
    }

    /// <summary>The last cycles the orchestrator keeps, oldest first, as `sync status --json` gives them.</summary>
    public static async Task<CycleReport[]> CyclesAsync(LocalCluster cluster) =>
        (await cluster.DocumentAsync(["sync", "status"])).GetProperty("recent").Deserialize<CycleReport[]>(Reply.DocumentOptions) ?? [];

    public static async Task<int> LastCycleAsync(LocalCluster cluster) => (await CyclesAsync(cluster)) is { Length: > 0 } cycles ? cycles[^1].Cycle : 0;

    /// <summary>Waits for the next finished cycle of the kind after <paramref name="after"/>; a failed one throws.</summary>
    public static async Task<CycleRow> AwaitCycleAsync(LocalCluster cluster, int after, string kind)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            var report = (await CyclesAsync(cluster)).FirstOrDefault(r => r.Cycle > after && r.Kind == kind);
            if (report is not null)
            {
                var cycle = new CycleRow(report.Cycle, kind, report.Mode, report.DurationMillis, report.BytesOn(LinkCounters.SourceEgress), report.BytesOn(LinkCounters.Relay),
                    report.BytesOn(LinkCounters.PeerRecovery) + report.BytesOn(LinkCounters.PeerRepair), report.Outcome);
                if (cycle.Outcome.StartsWith("failed", StringComparison.Ordinal)) throw new InvalidOperationException($"cycle {cycle.Cycle} ({kind}) {cycle.Outcome}");
                return cycle;
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no {kind} cycle ran after cycle {after}.");
            await Task.Delay(500);
        }
    }

    /// <summary>The recovery or repair cycle numbered <paramref name="cycle"/>, from `recovery status --json`.</summary>
    public static async Task<RecoveryRow> RecoveryAsync(LocalCluster cluster, int cycle)
    {
        var recoveries = (await cluster.DocumentAsync(["recovery", "status"])).GetProperty("recoveries").Deserialize<CycleReport[]>(Reply.DocumentOptions) ?? [];
        var report = recoveries.FirstOrDefault(r => r.Cycle == cycle)
            ?? throw new InvalidOperationException($"cycle {cycle} is not among the last recoveries and repairs.");
        return new RecoveryRow(cycle, report.Kind, report.DurationMillis, report.RlncPackets, report.BytesOn(LinkCounters.PeerRecovery), report.RepairTransfers, report.Outcome);
    }
}
