namespace ActorSync.Cluster.Protocol;

/// <summary>Commands to a NodeActor and its replies. All bound to <see cref="ActorSyncSerializer"/>.</summary>
public interface INodeProtocol;

/// <summary>What a NodeActor journals, and its snapshot. All bound to <see cref="ActorSyncSerializer"/>.</summary>
public interface INodeEvent;

/// <summary>Cache this batch of dataset <paramref name="Dataset"/>; <paramref name="Digest"/> is its manifest SHA-256.</summary>
public sealed record StoreBatch(long Dataset, int Batch, byte[] Data, byte[] Digest) : INodeProtocol;

public sealed record BatchStored(int Node, long Dataset, int Batch) : INodeProtocol;

/// <summary>The batch was not cached, because it failed its digest or belongs to an older dataset. Send it again.</summary>
public sealed record BatchRejected(int Node, long Dataset, int Batch, string Reason) : INodeProtocol;

public sealed record GetBatch(int Batch) : INodeProtocol;

public sealed record BatchData(int Node, long Dataset, int Batch, byte[] Data, byte[] Digest) : INodeProtocol;

public sealed record BatchMissing(int Node, int Batch) : INodeProtocol;

public sealed record GetHoldings : INodeProtocol
{
    public static readonly GetHoldings Instance = new();
}

/// <summary>The batches a node holds for its current dataset: journaled ones, and ones decoded (held in memory).</summary>
/// <param name="JournalBytes">The size of the node's journal file(s) on disk, or -1 where it is not a local file (MariaDB).</param>
public sealed record Holdings(int Node, long Dataset, int[] Batches, int[] Decoded, long JournalBytes = -1) : INodeProtocol;

/// <summary>Forget every cached batch, as a node that lost its disk would (operators and fault tests).</summary>
public sealed record DropCache : INodeProtocol
{
    public static readonly DropCache Instance = new();
}

public sealed record CacheDropped(int Node) : INodeProtocol;

/// <summary>Journaled: a verified batch entered the cache. A newer dataset replaces the older one's batches.</summary>
public sealed record BatchCached(long Dataset, int Batch, byte[] Data, byte[] Digest) : INodeEvent;

/// <summary>Journaled: the cache was emptied.</summary>
public sealed record CacheCleared : INodeEvent
{
    public static readonly CacheCleared Instance = new();
}

/// <summary>The whole cache and the manifest (batch size 0 and no digests if none yet), saved every few events.</summary>
public sealed record NodeCacheSnapshot(long Dataset, CachedBatch[] Batches, int BatchSize, byte[][] Digests, byte[] Catalog) : INodeEvent;

public sealed record CachedBatch(int Batch, byte[] Data, byte[] Digest);

/// <summary>
/// The dataset's manifest: its batch size and every batch's digest, so the node can verify what it decodes, and the
/// dataset's catalog (schemas and snapshot digests, opaque to the node), so the cluster can serve Hub C while the
/// source is down. A newer dataset keeps the cached batches whose digest it still lists, and drops the rest.
/// </summary>
public sealed record StoreManifest(long Dataset, int BatchSize, byte[][] Digests, byte[] Catalog) : INodeProtocol;

public sealed record ManifestStored(int Node, long Dataset) : INodeProtocol;

/// <summary>Journaled: the manifest of the node's current dataset.</summary>
public sealed record ManifestCached(long Dataset, int BatchSize, byte[][] Digests, byte[] Catalog) : INodeEvent;

public sealed record GetManifest : INodeProtocol
{
    public static readonly GetManifest Instance = new();
}

/// <summary>The node's current manifest and catalog; dataset 0 and no digests if it has none yet.</summary>
public sealed record NodeManifest(int Node, long Dataset, int BatchSize, byte[][] Digests, byte[] Catalog) : INodeProtocol;

/// <summary>An XOR packet of coded delivery (<see cref="ActorSync.Coding.XorPacket"/> on the wire).</summary>
public sealed record XorPacketMessage(long Dataset, int Index, int[] Batches, byte[] Payload, byte[] Checksum) : INodeProtocol;

/// <summary>What the node made of an XOR packet: the outcome name, the batches it decoded, those that failed their digest.</summary>
public sealed record XorAccepted(int Node, long Dataset, int Index, string Outcome, int[] Decoded, int[] FailedVerification) : INodeProtocol;

/// <summary>Ask the node for <paramref name="Count"/> fresh RLNC packets over the batches it holds (source-down recovery).</summary>
public sealed record EncodeRecovery(long Dataset, int Count) : INodeProtocol;

/// <summary>An RLNC packet (<see cref="ActorSync.Coding.CodedPacket"/> on the wire).</summary>
public sealed record RlncPacketMessage(long Dataset, int Sender, int Sequence, int[] BatchIds, byte[] Coefficients, byte[] Payload, byte[] Checksum) : INodeProtocol;

/// <summary>What the node made of an RLNC packet; <paramref name="Undetermined"/> is what it still lacks (ask its holders).</summary>
public sealed record RlncAccepted(int Node, long Dataset, string Outcome, int Rank, int Unknowns, int[] Decoded, int[] Undetermined, int[] FailedVerification) : INodeProtocol;

/// <summary>
/// Journal these decoded batches into the cache: a node that lost its journal and was rebuilt by peer recovery
/// while the source is down keeps its placed batches durably again.
/// </summary>
public sealed record CacheDecoded(long Dataset, int[] Batches) : INodeProtocol;

public sealed record DecodedCached(int Node, long Dataset, int[] Batches) : INodeProtocol;

/// <summary>
/// Chaos testing only (actorsync.chaos.enabled): damage the next <paramref name="Count"/> packets that reach this node
/// of kind <paramref name="Kind"/> (any, batch, xor, rlnc) in the way <paramref name="Fault"/> names (see
/// <see cref="ActorSync.Cluster.Nodes.PacketGremlin"/>). Count 0 only asks how the gremlin stands.
/// </summary>
public sealed record ArmPacketFault(string Fault, int Count, string Kind) : INodeProtocol;

/// <summary>The fault armed (or still armed for <paramref name="Remaining"/> packets), the packets damaged since the
/// node started, or <paramref name="Refused"/> says why not.</summary>
public sealed record PacketFaultArmed(int Node, string Fault, int Remaining, int Damaged, string Refused) : INodeProtocol;

/// <summary>A message no actor handles: what a peer of another version might send. Nodes must log it and go on.</summary>
public sealed record ChaosNoise(byte[] Data) : INodeProtocol;
