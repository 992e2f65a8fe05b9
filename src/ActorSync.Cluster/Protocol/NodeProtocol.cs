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

/// <summary>The batches a node holds for its current dataset.</summary>
public sealed record Holdings(int Node, long Dataset, int[] Batches) : INodeProtocol;

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

/// <summary>The whole cache, saved every few events so a restart replays little.</summary>
public sealed record NodeCacheSnapshot(long Dataset, CachedBatch[] Batches) : INodeEvent;

public sealed record CachedBatch(int Batch, byte[] Data, byte[] Digest);
