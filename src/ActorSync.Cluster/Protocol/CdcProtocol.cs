namespace ActorSync.Cluster.Protocol;

/// <summary>Continuous sync (change data capture) messages. All bound to <see cref="CdcSerializer"/>.</summary>
public interface ICdcProtocol;

/// <summary>What change capture journals (Hub B's offsets, the nodes' change batches), each with a format version.</summary>
public interface ICdcEvent;

/// <summary>To the orchestrator: snapshot, then follow the source's binlog. Answered by <see cref="FollowStarted"/> or <see cref="FollowRefused"/>.</summary>
public sealed record StartFollow : ICdcProtocol
{
    public static readonly StartFollow Instance = new();
}

public sealed record FollowStarted(string Position) : ICdcProtocol;

/// <summary>Continuous sync cannot start or go on; <paramref name="Reason"/> names the setting, table or member.</summary>
public sealed record FollowRefused(string Reason) : ICdcProtocol;

/// <summary>To the orchestrator (forwarded to Hub B's capture): end continuous sync. Answered by <see cref="FollowStopped"/>.</summary>
public sealed record StopFollow : ICdcProtocol
{
    public static readonly StopFollow Instance = new();
}

public sealed record FollowStopped(string Position) : ICdcProtocol;

/// <summary>To the orchestrator (forwarded to Hub B's capture): how far capture, placement and apply are.</summary>
public sealed record GetCdcStatus : ICdcProtocol
{
    public static readonly GetCdcStatus Instance = new();
}

/// <param name="Captured">The binlog position read up to; <paramref name="Placed"/>: journaled on r nodes (the durable offset);
/// <paramref name="Applied"/>: committed to SQLite.</param>
/// <param name="LagMillis">How long the oldest captured change not yet applied has waited since its source commit (0 when none waits).</param>
/// <param name="EventsBehind">Row changes captured and not yet applied.</param>
/// <param name="Stopped">Tables whose continuous sync stopped, "table: reason".</param>
/// <param name="Error">Why capture is not reading now (the source is down, …), or empty.</param>
public sealed record CdcStatus(bool Following, string Captured, string Placed, string Applied, long LagMillis, long EventsBehind,
    long EventsCaptured, long EventsApplied, long BatchesPlaced, string[] Stopped, string Error) : ICdcProtocol;

/// <summary>To Hub C's applier: the destination holds the source as of <paramref name="Position"/>; apply what follows it.</summary>
/// <param name="Fresh">A new follow: tables stopped before are cleared (the snapshot copied them again).</param>
public sealed record FollowFrom(string Position, byte[] Catalog, bool Fresh) : ICdcProtocol;

public sealed record FollowReady(string Position) : ICdcProtocol;

/// <summary>
/// To Hub B's capture: follow the binlog from <paramref name="From"/> for the catalog's tables, and the tables the
/// encoded <see cref="ActorSync.Data.SyncFilter"/> selects that are created later.
/// </summary>
public sealed record BeginCapture(string From, byte[] Catalog, byte[] Filter) : ICdcProtocol;

/// <summary>Capture is running (sent on start, and now and then so a new orchestrator singleton learns it).</summary>
public sealed record CaptureRunning(string From) : ICdcProtocol;

/// <summary>From Hub B's capture: the binlog no longer holds its offset (purged); continuous sync needs a new snapshot.</summary>
public sealed record CaptureNeedsSnapshot(string Reason) : ICdcProtocol;

/// <summary>To a node's change log: keep this change batch (encoded <see cref="ActorSync.Data.Cdc.ChangeBatch"/>) until compacted.</summary>
public sealed record StoreChanges(long Sequence, string From, string To, byte[] Batch) : ICdcProtocol;

/// <summary>The node journaled change batch <paramref name="Sequence"/>.</summary>
public sealed record ChangesStored(int Node, long Sequence) : ICdcProtocol;

/// <summary>To Hub C's applier: a change batch placed on r nodes, to apply in order.</summary>
public sealed record ApplyChangeBatch(long Sequence, byte[] Batch) : ICdcProtocol;

/// <summary>Hub C committed everything up to <paramref name="Position"/>; <paramref name="Rows"/> row changes so far.</summary>
public sealed record ChangeBatchApplied(long Sequence, string Position, long Rows) : ICdcProtocol;

/// <summary>To a node's change log: the change batches that end after <paramref name="Position"/>, in order.</summary>
public sealed record GetChangesSince(string Position) : ICdcProtocol;

public sealed record ChangesSince(int Node, byte[][] Batches) : ICdcProtocol;

/// <summary>To a node's change log: forget the batches that end at or before <paramref name="UpTo"/> (applied, and in the batch cache).</summary>
public sealed record CompactChanges(string UpTo) : ICdcProtocol;

/// <summary>Journaled by Hub B's capture: following started from a snapshot at <paramref name="From"/>.</summary>
public sealed record CaptureBegun(string From, byte[] Catalog, byte[] Filter) : ICdcEvent;

/// <summary>Journaled by Hub B's capture with the offset of a change batch that carried schema changes: the followed tables since.</summary>
public sealed record CaptureCatalogChanged(byte[] Catalog) : ICdcEvent;

/// <summary>Journaled by Hub B's capture once change batch <paramref name="Sequence"/> is on r nodes: the durable offset.</summary>
public sealed record CaptureOffset(string Position, long Sequence, string[] Stopped) : ICdcEvent;

public sealed record CaptureEnded : ICdcEvent
{
    public static readonly CaptureEnded Instance = new();
}

/// <summary>Hub B's capture state, saved every few hundred offsets.</summary>
public sealed record CaptureSnapshot(bool Following, string Position, long Sequence, byte[] Catalog, string[] Stopped, byte[] Filter) : ICdcEvent;

/// <summary>Journaled by a node: a change batch it keeps.</summary>
public sealed record ChangeBatchKept(long Sequence, string From, string To, byte[] Batch) : ICdcEvent;

public sealed record ChangesCompacted(string UpTo) : ICdcEvent;
