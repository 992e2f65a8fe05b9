namespace ActorSync.Cluster.Protocol;

/// <summary>What a cycle does: the names its reports, progress, logs, metrics and JSON documents carry.</summary>
public static class CycleKinds
{
    /// <summary>Snapshot the source, place, deliver, apply to Hub C, verify.</summary>
    public const string Sync = "sync";

    /// <summary>The source is down: Hub C and lost nodes are served from the nodes' caches (RLNC where needed).</summary>
    public const string Recovery = "recovery";

    /// <summary>A node came back without its batches: its peers send them (direct repair).</summary>
    public const string Repair = "repair";
}

/// <summary>The orchestrator's mode.</summary>
public static class Modes
{
    public const string Normal = "normal";

    /// <summary>The source database is down.</summary>
    public const string Recovery = "recovery";
}
