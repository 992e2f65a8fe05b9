using Akka.Streams;

namespace ActorSync.Cluster.Protocol;

/// <summary>Commands to a NodeActor and its replies. All bound to <see cref="ActorSyncSerializer"/>.</summary>
public interface INodeProtocol;

/// <summary>What a NodeActor journals, and its snapshot: metadata only, each with a format version. All bound to <see cref="ActorSyncSerializer"/>.</summary>
public interface INodeEvent;

public sealed record GetHoldings : INodeProtocol
{
    public static readonly GetHoldings Instance = new();
}

/// <summary>What a node holds of its current dataset: the batches it holds whole, and those it holds in part.</summary>
/// <param name="JournalBytes">The size of the node's journal file(s) on disk, or -1 where it is not a local file (MariaDB).</param>
/// <param name="StoreBytes">The bytes in its segment store.</param>
public sealed record Holdings(int Node, long Dataset, int[] Whole, int[] Partial, long JournalBytes = -1, long StoreBytes = 0) : INodeProtocol;

/// <summary>Forget every cached segment, as a node that lost its disk would (operators and fault tests).</summary>
public sealed record DropCache : INodeProtocol
{
    public static readonly DropCache Instance = new();
}

public sealed record CacheDropped(int Node) : INodeProtocol;

/// <summary>
/// The dataset's manifest (an encoded <see cref="ActorSync.Coding.BatchManifest"/>: every batch's segment digests) and
/// its catalog (schemas and snapshot digests, opaque to the node), so the node can verify what it decodes and the
/// cluster can serve Hub C while the source is down. A newer dataset keeps every segment it still lists.
/// </summary>
public sealed record StoreManifest(long Dataset, byte[] Manifest, byte[] Catalog) : INodeProtocol;

/// <summary>The node holds <paramref name="Dataset"/>'s manifest now (or a newer one), and these of its batches.</summary>
public sealed record ManifestStored(int Node, long Dataset, int[] Whole, int[] Partial) : INodeProtocol;

public sealed record GetManifest : INodeProtocol
{
    public static readonly GetManifest Instance = new();
}

/// <summary>The node's current manifest and catalog; dataset 0 and an empty manifest if it has none yet.</summary>
public sealed record NodeManifest(int Node, long Dataset, byte[] Manifest, byte[] Catalog) : INodeProtocol;

/// <summary>Open this round's inbox: a stream the relay sends the node's frames into, with back-pressure.</summary>
public sealed record OpenInbox(long Dataset, int Round) : INodeProtocol;

public sealed record InboxOpened(int Node, long Dataset, int Round, ISinkRef<IDataFrame> Inbox) : INodeProtocol;

/// <summary>
/// The round's stream into the node ended and everything it brought is journaled: segments stored, frames rejected
/// (damaged, or not matching their digests), segments decoded from XOR packets, and held packets dropped.
/// </summary>
public sealed record InboxClosed(int Node, long Dataset, int Round, int Stored, int Rejected, int Decoded, int Dropped, string Error) : INodeProtocol;

/// <summary>One batch to send whole, as <paramref name="Kind"/> frames, to the nodes in <paramref name="Recipients"/>.</summary>
public sealed record SegmentOffer(int Batch, uint Recipients, FrameKind Kind);

/// <summary>To a node (or Hub B's source): offer a stream of these batches' segments, padded, for the relay.</summary>
public sealed record OfferSegments(long Dataset, SegmentOffer[] Offers) : INodeProtocol, IHubProtocol;

/// <param name="Node">The node that offers, or -1 for the source.</param>
public sealed record SegmentsOffered(int Node, long Dataset, ISourceRef<IDataFrame> Segments) : INodeProtocol, IHubProtocol;

/// <summary>Offer <paramref name="Count"/> fresh RLNC packets over the batches the node holds, for <paramref name="Recipients"/>.</summary>
public sealed record OfferRecovery(long Dataset, int Count, uint Recipients) : INodeProtocol;

public sealed record RecoveryOffered(int Node, long Dataset, int Packets, ISourceRef<IDataFrame> Segments) : INodeProtocol;

/// <summary>Solve for what the RLNC packets received so far determine, and keep it.</summary>
public sealed record SolveRecovery(long Dataset) : INodeProtocol;

/// <summary>What the node made of the RLNC packets: batches decoded and kept, still undetermined (ask their holders),
/// and decoded but failing their digests (a lying peer).</summary>
public sealed record RecoverySolved(int Node, long Dataset, int[] Decoded, int[] Undetermined, int[] FailedVerification, int Rank, int Unknowns) : INodeProtocol;

/// <summary>
/// From Hub C: stream it the batches of <paramref name="Dataset"/> whose roots differ from <paramref name="Roots"/>
/// (its stored roots; empty entries for none), every batch if <paramref name="ReplaceAll"/>, as the node comes to hold
/// them. The node may still be receiving the dataset: the stream waits for what is not there yet.
/// </summary>
public sealed record FeedDestination(long Dataset, int BatchCount, int SegmentSize, byte[][] Roots, bool ReplaceAll) : INodeProtocol;

public sealed record DestinationFeedOffered(int Node, long Dataset, ISourceRef<IDataFrame> Segments) : INodeProtocol;

/// <summary>
/// Chaos testing only (actorsync.chaos.enabled): damage the next <paramref name="Count"/> frames that reach this node
/// of kind <paramref name="Kind"/> (any, batch, xor, rlnc) in the way <paramref name="Fault"/> names (see
/// <see cref="ActorSync.Cluster.Nodes.PacketGremlin"/>). Count 0 only asks how the gremlin stands.
/// </summary>
public sealed record ArmPacketFault(string Fault, int Count, string Kind) : INodeProtocol;

/// <summary>The fault armed (or still armed for <paramref name="Remaining"/> packets), the packets damaged since the
/// node started, or <paramref name="Refused"/> says why not.</summary>
public sealed record PacketFaultArmed(int Node, string Fault, int Remaining, int Damaged, string Refused) : INodeProtocol;

/// <summary>A message no actor handles: what a peer of another version might send. Nodes must log it and go on.</summary>
public sealed record ChaosNoise(byte[] Data) : INodeProtocol;

/// <summary>One segment a node holds: segment <paramref name="Index"/> of batch <paramref name="Batch"/>, by content digest,
/// and where its content lies in the node's segment store (pack file and offset).</summary>
public sealed record StoredSegment(int Batch, int Index, int Length, byte[] Digest, int Pack, long Offset);

/// <summary>Journaled: the manifest of a dataset the node now holds (format 2: segments).</summary>
public sealed record ManifestCached(long Dataset, byte[] Manifest, byte[] Catalog) : INodeEvent;

/// <summary>Journaled, a window at a time: segments of a dataset stored in the segment store and verified.</summary>
public sealed record SegmentsStored(long Dataset, StoredSegment[] Segments) : INodeEvent;

/// <summary>Journaled: the cache was emptied.</summary>
public sealed record CacheCleared : INodeEvent
{
    public static readonly CacheCleared Instance = new();
}

/// <summary>
/// The node's metadata, saved every few events: its current dataset (manifest, catalog, the segments held), and the
/// segments of a newer dataset that arrived before its manifest. No segment bytes: those are in the segment store.
/// </summary>
public sealed record NodeCacheSnapshot(long Dataset, byte[] Manifest, byte[] Catalog, StoredSegment[] Held, long PendingDataset, StoredSegment[] Pending) : INodeEvent;

/// <summary>A journal entry of the format before segments (whole batches in the journal): replayed as nothing, so such
/// a node starts empty and is refilled by repair.</summary>
public sealed record LegacyJournalEntry(string Manifest) : INodeEvent;

