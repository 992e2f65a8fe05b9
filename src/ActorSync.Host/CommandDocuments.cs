using ActorSync.Cluster.Protocol;

namespace ActorSync.Host;

/// <summary>
/// The documents the endpoint answers with for programs (`--json`; README, "JSON replies"). Each is sent as the last
/// reply of its command, after the human ones, and its shape name is the reply's text.
/// </summary>
public static class CommandDocuments
{
    public const string Members = "cluster.members";
    public const string Nodes = "nodes";
    public const string Cycle = "cycle";
    public const string Sync = "sync.status";
    public const string Recovery = "recovery.status";
    public const string Databases = "databases";
    public const string Cdc = "cdc.status";
}

public sealed record MemberView(string Address, string Status, string[] Roles, bool Reachable, bool Leader);

public sealed record MembersDocument(string SeenFrom, MemberView[] Members);

public enum NodeState
{
    Alive,
    Down,
    NeverRegistered,
}

/// <param name="Batches">The whole batches it holds, numbered from 1 as `batches show` names them.</param>
/// <param name="JournalBytes">Null when the node does not answer, or its journal is not a file.</param>
public sealed record NodeView(string Node, NodeState State, string? Address, int[] Batches, long? Dataset, long? JournalBytes);

public sealed record NodesDocument(int K, int R, int N, NodeView[] Nodes);

public sealed record SyncDocument(bool Running, CycleProgress? Current, CycleReport[] Recent);

public sealed record RecoveryDocument(string Mode, bool SourceHealthy, bool DestinationHealthy, string[] NodesDown, ModeChanged[] History, CycleReport[] Recoveries);

public enum DatabaseHealth
{
    Healthy,
    Down,
    HubNotAnswering,
    HubNotRegistered,
}

public sealed record DatabaseView(string Hub, string? Database, DatabaseHealth Health, string LastError);

public sealed record DatabasesDocument(DatabaseView[] Databases);
