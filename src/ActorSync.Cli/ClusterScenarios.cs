using System.Globalization;
using ActorSync.Control;

namespace ActorSync.Cli;

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
            var row = (await cluster.QueryAsync(["node", "list"])).Rows?.FirstOrDefault(r => r[0] == node);
            if (row is not null && row[1] == "alive" && int.TryParse(row[3], out int count) && count >= batches) return row[4];
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{node} did not come back with its {batches} batches: {string.Join(" ", row ?? [])}");
            await Task.Delay(500);
        }
    }

    public static async Task AwaitModeAsync(LocalCluster cluster, string mode)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            await using var client = await CommandClient.ConnectAsync(cluster.OrchestratorEndpoint, cluster.Token, TimeSpan.FromSeconds(5));
            await foreach (var reply in client.RunAsync(["recovery", "status"]))
                if (reply.Kind == ReplyKind.Text && reply.Text!.StartsWith($"mode: {mode};", StringComparison.Ordinal)) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the cluster did not switch to {mode} mode.");
            await Task.Delay(200);
        }
    }

    public static async Task<int> LastCycleAsync(LocalCluster cluster)
    {
        var rows = (await cluster.QueryAsync(["sync", "status"])).Rows ?? [];
        return rows.Length == 0 ? 0 : int.Parse(rows[^1][0], CultureInfo.InvariantCulture);
    }

    /// <summary>Waits for the next finished cycle of the kind after <paramref name="after"/>; a failed one throws.</summary>
    public static async Task<CycleRow> AwaitCycleAsync(LocalCluster cluster, int after, string kind)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            var rows = (await cluster.QueryAsync(["sync", "status"])).Rows ?? [];
            var row = rows.FirstOrDefault(r => int.Parse(r[0], CultureInfo.InvariantCulture) > after && r[1] == kind);
            if (row is not null)
            {
                long N(int i) => long.Parse(row[i], CultureInfo.InvariantCulture);
                var cycle = new CycleRow((int)N(0), kind, row[2], N(4), N(5), N(6), N(7), row[9]);
                if (cycle.Outcome.StartsWith("failed", StringComparison.Ordinal)) throw new InvalidOperationException($"cycle {cycle.Cycle} ({kind}) {cycle.Outcome}");
                return cycle;
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no {kind} cycle ran after cycle {after}.");
            await Task.Delay(500);
        }
    }

    /// <summary>The recovery or repair cycle numbered <paramref name="cycle"/>, from `recovery status`.</summary>
    public static async Task<RecoveryRow> RecoveryAsync(LocalCluster cluster, int cycle)
    {
        var rows = (await cluster.QueryAsync(["recovery", "status"], title: "last recoveries and repairs")).Rows ?? [];
        var row = rows.FirstOrDefault(r => r[0] == cycle.ToString(CultureInfo.InvariantCulture))
            ?? throw new InvalidOperationException($"cycle {cycle} is not among the last recoveries and repairs.");
        long N(int i) => long.Parse(row[i], CultureInfo.InvariantCulture);
        return new RecoveryRow(cycle, row[1], N(2), N(3), N(4), N(5), row[6]);
    }
}
