using Akka.Actor;

namespace ActorSync.Cluster.Protocol;

/// <summary>Messages to and from the Orchestrator (Hub A). All bound to <see cref="ActorSyncSerializer"/>.</summary>
public interface IOrchestratorProtocol;

public sealed record GetMode : IOrchestratorProtocol
{
    public static readonly GetMode Instance = new();
}

/// <summary>One switch of mode: normal ⇄ recovery, with why and when (UTC, ISO 8601).</summary>
public sealed record ModeChanged(string From, string To, string Reason, string At) : IOrchestratorProtocol;

/// <summary>The current mode, the health the orchestrator knows of, and the latest mode changes, oldest first.</summary>
public sealed record ModeStatus(string Mode, bool SourceHealthy, bool DestinationHealthy, int[] NodesDown, ModeChanged[] History) : IOrchestratorProtocol;

/// <summary>Send every future <see cref="ModeChanged"/> to this actor (until it stops).</summary>
public sealed record SubscribeModes(IActorRef Subscriber) : IOrchestratorProtocol;

/// <summary>A node actor announces itself (at start, and again now and then so a new singleton learns it).</summary>
public sealed record RegisterNode(int Node, IActorRef Ref) : IOrchestratorProtocol;

/// <summary>A hub announces its supervisor and its database worker (at start, and with every restatement).</summary>
public sealed record RegisterHub(string Hub, IActorRef Supervisor, IActorRef Worker) : IOrchestratorProtocol;

/// <summary>Run one sync cycle; the requester gets a <see cref="CycleReport"/> when it ends, or <see cref="SyncRefused"/>.</summary>
/// <param name="Policy">The conflict policy for reverse sync; <paramref name="TablePolicies"/> are TABLE=POLICY overrides.</param>
public sealed record StartSync(bool Bidirectional, string Policy, string[] TablePolicies) : IOrchestratorProtocol
{
    public static readonly StartSync OneWay = new(false, "source-wins", []);
}

public sealed record SyncRefused(string Reason) : IOrchestratorProtocol;

public sealed record GetSyncStatus : IOrchestratorProtocol
{
    public static readonly GetSyncStatus Instance = new();
}

/// <summary>The latest cycle reports, oldest first, whether a cycle is running now, and how far it is.</summary>
public sealed record SyncStatus(bool Running, CycleProgress Current, CycleReport[] Recent) : IOrchestratorProtocol;

/// <summary>A running cycle's step (<paramref name="Done"/> of <paramref name="Total"/> steps), told by it to the orchestrator.</summary>
public sealed record CycleProgress(int Cycle, string Kind, string Step, int Done, int Total) : IOrchestratorProtocol
{
    public static readonly CycleProgress Idle = new(0, "", "idle", 0, 0);
}

/// <summary>Who the orchestrator knows: every registered node (alive or not) and every hub's supervisor.</summary>
public sealed record GetRoster : IOrchestratorProtocol
{
    public static readonly GetRoster Instance = new();
}

public sealed record RosterNode(int Node, IActorRef Ref, bool Alive);

public sealed record RosterHub(string Hub, IActorRef Supervisor);

public sealed record Roster(RosterNode[] Nodes, RosterHub[] Hubs) : IOrchestratorProtocol;

/// <summary>Payload bytes and packets one link carried during a cycle.</summary>
public sealed record LinkUse(string Link, long Packets, long Bytes);

/// <summary>
/// One cycle, as run: what kind (sync, recovery, repair), in which mode, with which delivery scheme, how much moved on each link, and whether
/// the destination verified equal to the source snapshot. <paramref name="Outcome"/> is "verified", or says what failed.
/// </summary>
public sealed record CycleReport(
    int Cycle,
    string Kind,
    string Mode,
    string Scheme,
    long Dataset,
    string StartedAt,
    long DurationMillis,
    bool Verified,
    string Outcome,
    int BatchCount,
    long BatchSize,
    int BatchesPlaced,
    int XorPackets,
    int UncodedPackets,
    int RlncPackets,
    int RepairTransfers,
    int BatchesApplied,
    long RowsApplied,
    LinkUse[] Links,
    TableCheck[] Checks,
    int ReverseKeys,
    int ReverseWritten,
    int ReverseConflicts) : IOrchestratorProtocol
{
    public long BytesOn(string link) => Links.FirstOrDefault(l => l.Link == link)?.Bytes ?? 0;

    public long PacketsOn(string link) => Links.FirstOrDefault(l => l.Link == link)?.Packets ?? 0;

    /// <summary>The report of a cycle that ended without reporting itself (it crashed): nothing counted, the reason given.</summary>
    public static CycleReport Ended(int cycle, string kind, string mode, string scheme, string startedAt, long durationMillis, string outcome) =>
        new(cycle, kind, mode, scheme, 0, startedAt, durationMillis, false, outcome, 0, 0, 0, 0, 0, 0, 0, 0, 0, [], [], 0, 0, 0);
}
