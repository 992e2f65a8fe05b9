using ActorSync.Coding;

namespace ActorSync.Cluster.Nodes;

/// <summary>One segment for Hub C: segment <paramref name="Index"/> of batch <paramref name="Batch"/>, padded to <paramref name="PaddedLength"/>.</summary>
public readonly record struct FeedItem(int Batch, int Index, SegmentId Id, int Length, int PaddedLength);

/// <summary>
/// Which segments a node streams to Hub C, and in what order, while the dataset may still be arriving: every segment,
/// in index order, of each batch whose root will differ from the one Hub C holds. A batch is known to differ as soon
/// as Hub C's root is not the previous dataset's, or a segment arrives that differs from the previous dataset's at
/// that place; the others are decided by the manifest, when it comes. Batches are served round-robin, so Hub C's
/// writes follow the source's key order across buckets. Before the manifest only full segments leave (a partial
/// one's padded length depends on the dataset's padded size). Knows nothing of actors.
/// </summary>
public sealed class DestinationFeed
{
    private readonly int _segmentSize;
    private readonly BatchManifest? _previous;
    private readonly byte[]?[] _destinationRoots;
    private readonly Func<SegmentId, bool> _held;
    private readonly bool[] _dirty;
    private readonly int[] _next;
    private readonly Dictionary<(int Batch, int Index), (SegmentId Id, int Length)> _arrived = new();
    private readonly LinkedList<int> _rotation = new();
    private BatchManifest? _manifest;

    /// <param name="previous">The dataset the node held when this one started (null if none): what an unchanged segment is.</param>
    /// <param name="destinationRoots">The roots Hub C holds, by batch (null entries: none).</param>
    /// <param name="held">Whether the node's store holds a segment.</param>
    public DestinationFeed(int batchCount, int segmentSize, BatchManifest? previous, byte[]?[] destinationRoots, bool replaceAll, Func<SegmentId, bool> held)
    {
        _segmentSize = segmentSize;
        _previous = previous?.BatchCount == batchCount && previous.Layout.Size == segmentSize ? previous : null;
        _destinationRoots = destinationRoots.Length == batchCount ? destinationRoots : new byte[]?[batchCount];
        _held = held;
        _dirty = new bool[batchCount];
        _next = new int[batchCount];
        for (int b = 0; b < batchCount; b++)
            if (replaceAll || _previous is null || _destinationRoots[b] is not { } root || !root.AsSpan().SequenceEqual(_previous.BatchDigests[b]))
                MarkDirty(b);
    }

    /// <summary>A segment of the new dataset the node now holds (placed, decoded or refilled).</summary>
    public void Arrived(int batch, int index, SegmentId id, int length)
    {
        if ((uint)batch >= (uint)_dirty.Length) return;
        _arrived[(batch, index)] = (id, length);
        if (!_dirty[batch] && (_previous?.SegmentDigest(batch, index) is not { } before || SegmentId.Of(before) != id)) MarkDirty(batch);
    }

    /// <summary>The dataset's manifest: every segment is known now, and the last batches that differ are marked.</summary>
    public void Manifest(BatchManifest manifest)
    {
        _manifest = manifest;
        for (int b = 0; b < _dirty.Length; b++)
            if (!_dirty[b] && (_destinationRoots[b] is not { } root || !root.AsSpan().SequenceEqual(manifest.BatchDigests[b]))) MarkDirty(b);
        for (var node = _rotation.First; node is not null;)
        {
            var next = node.Next;
            if (_next[node.Value] >= manifest.SegmentCount) _rotation.Remove(node); // already served whole
            node = next;
        }
    }

    /// <summary>True once the manifest is known and every differing batch has been served whole.</summary>
    public bool IsComplete => _manifest is not null && _rotation.Count == 0;

    public int BatchesServed => _dirty.Count(d => d) - _rotation.Count;

    /// <summary>The next segment to send, if one is ready; the caller sends it, then asks again.</summary>
    public bool TryNext(out FeedItem item)
    {
        for (var node = _rotation.First; node is not null; node = node.Next)
        {
            int batch = node.Value;
            if (!TryItem(batch, _next[batch], out item)) continue;
            _next[batch]++;
            _rotation.Remove(node);
            if (_manifest is null || _next[batch] < _manifest.SegmentCount) _rotation.AddLast(batch);
            return true;
        }
        item = default;
        return false;
    }

    private bool TryItem(int batch, int index, out FeedItem item)
    {
        item = default;
        if (_manifest is { } manifest)
        {
            if (index >= manifest.SegmentCount) return false;
            var id = SegmentId.Of(manifest.SegmentDigest(batch, index) ?? Digest.Empty);
            if (!_held(id)) return false;
            item = new FeedItem(batch, index, id, manifest.ContentLength(batch, index), manifest.PaddedLength(index));
            return true;
        }
        if (!_arrived.TryGetValue((batch, index), out var arrived) || arrived.Length != _segmentSize || !_held(arrived.Id)) return false;
        item = new FeedItem(batch, index, arrived.Id, arrived.Length, _segmentSize);
        return true;
    }

    private void MarkDirty(int batch)
    {
        _dirty[batch] = true;
        if (_manifest is null || _next[batch] < _manifest.SegmentCount) _rotation.AddLast(batch);
    }
}
