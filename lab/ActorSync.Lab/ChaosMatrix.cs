using ActorSync.Cli;
using ActorSync.Tooling;
namespace ActorSync.Lab;

/// <summary>One cell of the chaos matrix: a fault, in a phase of the sync.</summary>
public sealed record ChaosScenario(string Fault, string Phase)
{
    public string Name => $"{Fault}@{Phase}";
}

/// <summary>
/// The fault matrix of `actorsync-lab chaos`: process faults in every phase, packet faults where packets flow, and bad
/// operator input. A seeded sample keeps CI short; --all runs every cell.
/// </summary>
public static class ChaosMatrix
{
    public static readonly string[] Phases = ["placement", "delivery", "recovery", "apply", "reverse", "follow"];

    /// <summary>The faults continuous sync must ride out mid-stream (docs/CDC.md), each a cell of the follow phase (MySQL sources only).</summary>
    public static readonly string[] FollowFaults = ["kill-hub-b", "kill-node", "kill-hub-c", "stop-source"];

    /// <summary>kill -9 and restarts of members, the source stopped, a node cut off and healed.</summary>
    public static readonly IReadOnlyDictionary<string, string> ProcessFaults = new Dictionary<string, string>
    {
        ["kill-node"] = "kill -9 of a node process; the launcher restarts it (on-failure) and it replays its journal",
        ["kill-hub-b"] = "kill -9 of hub-b, the source's hub",
        ["kill-hub-c"] = "kill -9 of hub-c, the destination's hub",
        ["kill-orchestrator"] = "kill -9 of the orchestrator (Hub A)",
        ["stop-source"] = "the source stopped mid-cycle (mariadbd killed, or the SQLite source file taken away), then back",
        ["partition-node"] = "a node cut off from every peer (SIGSTOP) past the failure detector and split-brain resolver, then healed (SIGCONT)",
        ["restart-node"] = "a graceful restart of a node (SIGTERM: it leaves the cluster, then starts again)",
    };

    /// <summary>
    /// Correlated failures: r − 1 members lost together, which the placement promises to survive. They run on their
    /// own cluster with K = <see cref="WideNodes"/>, r = <see cref="WideRedundancy"/>, so two nodes are r − 1.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> CorrelatedFaults = new Dictionary<string, string>
    {
        ["kill-2-nodes"] = "kill -9 of two nodes at the same instant (K=5, r=3: r − 1 at once)",
        ["kill-2-nodes-0.5s"] = "kill -9 of two nodes 0.5 s apart (K=5, r=3)",
        ["kill-2-nodes-1s"] = "kill -9 of two nodes 1 s apart (K=5, r=3)",
        ["kill-2-nodes-2s"] = "kill -9 of two nodes 2 s apart (K=5, r=3)",
        ["kill-node-and-orchestrator"] = "kill -9 of a node and of the orchestrator's member together (K=5, r=3)",
    };

    public const int WideNodes = 5, WideRedundancy = 3;

    /// <summary>The phases a correlated cell runs in: where nodes are busiest (packets in flight) and where Hub C applies.</summary>
    public static readonly string[] CorrelatedPhases = ["placement", "delivery", "apply"];

    public static bool NeedsWideCluster(string fault) => CorrelatedFaults.ContainsKey(fault);

    /// <summary>How far apart the two kills of a correlated fault are.</summary>
    public static TimeSpan SecondKillAfter(string fault) => fault switch
    {
        "kill-2-nodes-0.5s" => TimeSpan.FromSeconds(0.5),
        "kill-2-nodes-1s" => TimeSpan.FromSeconds(1),
        "kill-2-nodes-2s" => TimeSpan.FromSeconds(2),
        _ => TimeSpan.Zero,
    };

    /// <summary>Packets damaged on arrival at a node (its gremlin, actorsync.chaos.enabled), or a message it does not know.</summary>
    public static readonly IReadOnlyDictionary<string, string> PacketFaults = new Dictionary<string, string>
    {
        ["flip"] = "one byte of 2 packets flipped on arrival",
        ["truncate"] = "2 packets cut short on arrival",
        ["duplicate"] = "2 packets delivered twice",
        ["reorder"] = "2 packets held back and delivered after the next",
        ["wrong-coefficients"] = "2 packets from a lying peer: other coefficients or batches under a matching checksum",
        ["unknown-message"] = "3 messages of a type no node handles, sent over remoting to every node",
    };

    /// <summary>Mistakes an operator makes; each must be refused clearly, with the cluster and its data untouched.</summary>
    public static readonly IReadOnlyDictionary<string, string> OperatorFaults = new Dictionary<string, string>
    {
        ["wrong-seeds"] = "a member given a seed of another system name, and one given a seed nobody listens on",
        ["bad-token"] = "a command with the wrong token",
        ["bad-credentials"] = "a MySQL password that is wrong",
        ["out-of-range"] = "K, r and η out of range (r > K, η = 0)",
        ["hostile-table"] = "table names that try SQL injection",
    };

    /// <summary>The packets that flow in a phase: placement batches, XOR delivery packets, RLNC recovery packets.</summary>
    public static string? PacketKind(string phase) => phase switch
    {
        "placement" => "batch",
        "delivery" => "xor",
        "recovery" => "rlnc",
        _ => null,
    };

    public static IReadOnlyList<ChaosScenario> All(bool mysqlSource)
    {
        var cells = new List<ChaosScenario>();
        foreach (var phase in Phases)
        {
            if (phase == "follow")
            {
                if (mysqlSource) cells.AddRange(FollowFaults.Select(fault => new ChaosScenario(fault, phase)));
                continue;
            }
            foreach (var fault in ProcessFaults.Keys)
                if (!(fault == "stop-source" && phase == "recovery")) // the source is already down there
                    cells.Add(new ChaosScenario(fault, phase));
            if (CorrelatedPhases.Contains(phase))
                cells.AddRange(CorrelatedFaults.Keys.Select(fault => new ChaosScenario(fault, phase)));
            foreach (var fault in PacketFaults.Keys)
            {
                var kind = PacketKind(phase);
                bool applies = fault == "unknown-message" || (kind is not null && !(fault == "wrong-coefficients" && kind == "batch"));
                if (applies) cells.Add(new ChaosScenario(fault, phase));
            }
        }
        foreach (var fault in OperatorFaults.Keys)
            if (fault != "bad-credentials" || mysqlSource)
                cells.Add(new ChaosScenario(fault, "operator"));
        return cells;
    }

    public static string CategoryOf(string fault) =>
        ProcessFaults.ContainsKey(fault) ? "process" : CorrelatedFaults.ContainsKey(fault) ? "correlated" : PacketFaults.ContainsKey(fault) ? "packet" : "operator";

    public static string Describe(string fault) =>
        ProcessFaults.GetValueOrDefault(fault) ?? CorrelatedFaults.GetValueOrDefault(fault) ?? PacketFaults.GetValueOrDefault(fault)
        ?? OperatorFaults.GetValueOrDefault(fault) ?? fault;

    /// <summary>
    /// The cells to run: those matching the filters, then a seeded sample of <paramref name="sample"/> (all of them if
    /// null), taken in turn from correlated, operator, packet and process faults so even a short sample meets each kind. The same
    /// seed gives the same sample.
    /// </summary>
    public static IReadOnlyList<ChaosScenario> Sample(IReadOnlyList<ChaosScenario> all, int seed, int? sample, IReadOnlyCollection<string> faults, IReadOnlyCollection<string> phases)
    {
        var known = ProcessFaults.Keys.Concat(CorrelatedFaults.Keys).Concat(PacketFaults.Keys).Concat(OperatorFaults.Keys).ToHashSet();
        foreach (var fault in faults.Where(f => !known.Contains(f)))
            throw new ArgumentException($"--faults: '{fault}' is not a fault; one of: {string.Join(", ", known)}.");
        foreach (var phase in phases.Where(p => !Phases.Contains(p) && p != "operator"))
            throw new ArgumentException($"--phases: '{phase}' is not a phase; one of: {string.Join(", ", Phases.Append("operator"))}.");
        var matching = all.Where(c => (faults.Count == 0 || faults.Contains(c.Fault)) && (phases.Count == 0 || phases.Contains(c.Phase))).ToList();
        if (matching.Count == 0) throw new ArgumentException("no cell of the matrix matches --faults and --phases.");
        var random = new Random(seed);
        var queues = matching.OrderBy(_ => random.Next()).GroupBy(c => CategoryOf(c.Fault)).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new Queue<ChaosScenario>(g)).ToList();
        var interleaved = new List<ChaosScenario>();
        while (queues.Any(q => q.Count > 0))
            foreach (var queue in queues.Where(q => q.Count > 0))
                interleaved.Add(queue.Dequeue());
        return sample is { } n ? interleaved.Take(n).ToList() : interleaved;
    }
}
