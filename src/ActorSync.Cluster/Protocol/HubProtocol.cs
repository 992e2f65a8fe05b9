using ActorSync.Coding;
using Akka.Actor;
using Akka.Streams;

namespace ActorSync.Cluster.Protocol;

/// <summary>Messages to and from a HubSupervisor. All bound to <see cref="ActorSyncSerializer"/>.</summary>
public interface IHubProtocol;

/// <summary>Watch this node actor: report when it dies, and again when a node with this number comes back.</summary>
public sealed record WatchNode(int Node, IActorRef Ref) : IHubProtocol;

/// <summary>The node's actor <paramref name="Actor"/> died: a report about an older incarnation than the one registered is stale.</summary>
public sealed record NodeDown(string Hub, int Node, string Reason, IActorRef? Actor = null) : IHubProtocol;

public sealed record NodeUp(string Hub, int Node) : IHubProtocol;

public sealed record DatabaseDown(string Hub, string Database, string Reason) : IHubProtocol;

public sealed record DatabaseUp(string Hub, string Database) : IHubProtocol;

public sealed record GetHubStatus : IHubProtocol
{
    public static readonly GetHubStatus Instance = new();
}

/// <param name="LastError">The last probe failure, or empty.</param>
public sealed record HubStatus(string Hub, string Database, bool DatabaseHealthy, string LastError, int[] NodesUp, int[] NodesDown) : IHubProtocol;

/// <summary>
/// What Hub B needs to route a snapshot's segments as it reads them (<see cref="ActorSync.Coding.Planning.SourceRouter"/>):
/// the placement, the delivery scheme, the live nodes, and the previous dataset's manifest (empty if none) with the
/// batches of it each node holds whole (<paramref name="HeldWhole"/>[n] for node n; empty for nodes not alive).
/// </summary>
public sealed record SnapshotRouting(int Nodes, int Redundancy, int Eta, string Scheme, uint Alive, byte[] PreviousManifest, int[][] HeldWhole);

/// <summary>To Hub B's worker: snapshot the source into <paramref name="BatchCount"/> batches of
/// <paramref name="SegmentSize"/>-byte segments (all tables if none named) and stream them out as they are sealed.</summary>
public sealed record PrepareSnapshot(long Dataset, int BatchCount, byte[] Filter, int SegmentSize, SnapshotRouting Routing, ContentCodec Codec = ContentCodec.None) : IHubProtocol
{
    public SegmentLayout Layout => new(SegmentSize, Codec);
}

/// <summary>The snapshot has started: the schemas (an encoded catalog without row counts yet) and the stream of its
/// segments, routed for the relay.</summary>
public sealed record SnapshotStarted(string Hub, long Dataset, byte[] Schemas, ISourceRef<IDataFrame> Segments) : IHubProtocol;

/// <summary>The snapshot is read and spooled at Hub B: its manifest, its catalog (schemas and table digests) and its size.</summary>
/// <param name="LogPosition">The source's binlog position the snapshot is consistent with (FILE:OFFSET), or empty if it has none.</param>
public sealed record SnapshotPrepared(string Hub, long Dataset, byte[] Manifest, byte[] Catalog, long Rows, long ReadMillis, string LogPosition = "") : IHubProtocol;

/// <summary>To Hub B's worker: the cycle is over, delete the spooled snapshot.</summary>
public sealed record ReleaseSnapshot(long Dataset) : IHubProtocol;

/// <summary>A hub could not do what was asked; <paramref name="Reason"/> names the database, table or setting.</summary>
public sealed record HubFailed(string Hub, string Operation, string Reason) : IHubProtocol;

/// <summary>
/// To Hub C's worker: start applying the dataset, streamed by <paramref name="Node"/> (which may still be receiving
/// it): the batches whose roots differ from those Hub C holds. <paramref name="Schemas"/> is an encoded catalog.
/// </summary>
/// <param name="EnableCapture">Turn change capture on afterwards (bidirectional sync), so local edits can flow back.</param>
public sealed record ApplyDataset(long Dataset, byte[] Schemas, int BatchCount, int SegmentSize, IActorRef Node, bool EnableCapture, ContentCodec Codec = ContentCodec.None) : IHubProtocol
{
    public SegmentLayout Layout => new(SegmentSize, Codec);
}

/// <summary>To Hub C's worker: the dataset's manifest and catalog; finish the apply once its stream has ended, verify, commit.</summary>
public sealed record FinishApply(long Dataset, byte[] Manifest, byte[] Catalog) : IHubProtocol;

/// <summary>Hub C's apply lost its stream (the node went away): nothing was applied; start it again from another node.</summary>
public sealed record ApplyInterrupted(string Hub, long Dataset, string Reason) : IHubProtocol;

/// <summary>One table compared with the source snapshot.</summary>
public sealed record TableCheck(string Table, long SourceRows, long DestinationRows, string SourceDigest, string DestinationDigest)
{
    public bool Equal => SourceRows == DestinationRows && SourceDigest == DestinationDigest;
}

/// <param name="Repaired">Verification failed at first (the destination had drifted), so every batch was applied again.</param>
public sealed record DatasetApplied(string Hub, long Dataset, int BatchesApplied, long RowsWritten, long BytesReceived, bool Repaired, TableCheck[] Checks) : IHubProtocol;

/// <summary>To Hub C's worker: the rows changed locally since the last sync (reverse sync, step 1), as a stream of chunks.</summary>
public sealed record CollectChanges(byte[] Catalog) : IHubProtocol;

/// <param name="Keys">Changed keys in the set; with none, <paramref name="ChangeSet"/> is an empty stream.</param>
public sealed record ChangesCollected(string Hub, int Keys, ISourceRef<IDataFrame> ChangeSet) : IHubProtocol;

/// <summary>To Hub B's worker: read the change set's stream, decide each change by the policies and write the winners to
/// the source in one transaction (step 2).</summary>
public sealed record ResolveChanges(byte[] Catalog, ISourceRef<IDataFrame> ChangeSet, string Policy, string[] TablePolicies) : IHubProtocol;

/// <param name="Resolution">The resolution's chunks (processed log positions, batches to re-ship, conflicts), for Hub C.</param>
/// <param name="ChangeSetBytes">The change set's bytes as they arrived; <paramref name="ResolutionBytes"/> the resolution's.</param>
public sealed record ChangesResolved(string Hub, int KeysChanged, int WrittenToSource, int Conflicts, long ChangeSetBytes, long ResolutionBytes,
    ISourceRef<IDataFrame> Resolution) : IHubProtocol;

/// <summary>To Hub C's worker: trim the change log and record the conflicts, from the resolution's stream (step 3).</summary>
public sealed record CompleteChanges(byte[] Catalog, ISourceRef<IDataFrame> Resolution) : IHubProtocol;

public sealed record ChangesCompleted(string Hub) : IHubProtocol;
