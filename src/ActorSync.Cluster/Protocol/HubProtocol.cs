using Akka.Actor;

namespace ActorSync.Cluster.Protocol;

/// <summary>Messages to and from a HubSupervisor. All bound to <see cref="ActorSyncSerializer"/>.</summary>
public interface IHubProtocol;

/// <summary>Watch this node actor: report when it dies, and again when a node with this number comes back.</summary>
public sealed record WatchNode(int Node, IActorRef Ref) : IHubProtocol;

public sealed record NodeDown(string Hub, int Node, string Reason) : IHubProtocol;

public sealed record NodeUp(string Hub, int Node) : IHubProtocol;

public sealed record DatabaseDown(string Hub, string Database, string Reason) : IHubProtocol;

public sealed record DatabaseUp(string Hub, string Database) : IHubProtocol;

public sealed record GetHubStatus : IHubProtocol
{
    public static readonly GetHubStatus Instance = new();
}

/// <param name="LastError">The last probe failure, or empty.</param>
public sealed record HubStatus(string Hub, string Database, bool DatabaseHealthy, string LastError, int[] NodesUp, int[] NodesDown) : IHubProtocol;

/// <summary>To Hub B's worker: snapshot the source into <paramref name="BatchCount"/> batches (all tables if none named).</summary>
public sealed record PrepareSnapshot(long Dataset, int BatchCount, string[] Tables) : IHubProtocol;

/// <summary>The snapshot is spooled at Hub B: its manifest, its catalog (schemas and table digests) and its size.</summary>
public sealed record SnapshotPrepared(string Hub, long Dataset, int BatchSize, byte[][] Digests, byte[] Catalog, long Rows, long ReadMillis) : IHubProtocol;

/// <summary>To Hub B's worker: one batch of a prepared snapshot, across the source link.</summary>
public sealed record FetchBatch(long Dataset, int Batch) : IHubProtocol;

public sealed record SourceBatch(long Dataset, int Batch, byte[] Data, byte[] Digest) : IHubProtocol;

/// <summary>To Hub B's worker: the XOR of these batches of a prepared snapshot, as packet <paramref name="Index"/>.</summary>
public sealed record EncodeXor(long Dataset, int Index, int[] Batches) : IHubProtocol;

/// <summary>To Hub B's worker: the cycle is over, delete the spooled snapshot.</summary>
public sealed record ReleaseSnapshot(long Dataset) : IHubProtocol;

/// <summary>A hub could not do what was asked; <paramref name="Reason"/> names the database, table or setting.</summary>
public sealed record HubFailed(string Hub, string Operation, string Reason) : IHubProtocol;

/// <summary>To Hub C's worker: apply the dataset, fetching from <paramref name="Node"/> every batch it does not hold yet.</summary>
/// <param name="EnableCapture">Turn change capture on afterwards (bidirectional sync), so local edits can flow back.</param>
public sealed record ApplyDataset(long Dataset, int BatchSize, byte[][] Digests, byte[] Catalog, IActorRef Node, bool EnableCapture) : IHubProtocol;

/// <summary>One table compared with the source snapshot.</summary>
public sealed record TableCheck(string Table, long SourceRows, long DestinationRows, string SourceDigest, string DestinationDigest)
{
    public bool Equal => SourceRows == DestinationRows && SourceDigest == DestinationDigest;
}

/// <param name="Repaired">Verification failed at first (the destination had drifted), so every batch was applied again.</param>
public sealed record DatasetApplied(string Hub, long Dataset, int BatchesApplied, long RowsWritten, long BytesReceived, bool Repaired, TableCheck[] Checks) : IHubProtocol;

/// <summary>To Hub C's worker: the rows changed locally since the last sync (reverse sync, step 1).</summary>
public sealed record CollectChanges(byte[] Catalog) : IHubProtocol;

/// <param name="ChangeSet">An encoded <see cref="ActorSync.Data.ReverseChangeSet"/>.</param>
public sealed record ChangesCollected(string Hub, byte[] ChangeSet, int Keys) : IHubProtocol;

/// <summary>To Hub B's worker: decide the changes by the policies and write the winners to the source (step 2).</summary>
public sealed record ResolveChanges(byte[] Catalog, byte[] ChangeSet, string Policy, string[] TablePolicies) : IHubProtocol;

/// <param name="Resolution">An encoded <see cref="ActorSync.Data.ReverseResolution"/>.</param>
public sealed record ChangesResolved(string Hub, byte[] Resolution, int KeysChanged, int WrittenToSource, int Conflicts) : IHubProtocol;

/// <summary>To Hub C's worker: trim the change log and record the conflicts (step 3).</summary>
public sealed record CompleteChanges(byte[] Catalog, byte[] Resolution) : IHubProtocol;

public sealed record ChangesCompleted(string Hub) : IHubProtocol;
