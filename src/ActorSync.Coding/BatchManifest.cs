using System.Buffers.Binary;

namespace ActorSync.Coding;

/// <summary>
/// What both sides of a sync agree a dataset is: the common batch size, a digest per batch over its content
/// (padding excluded, so a new padded size alone does not mark every batch changed), and a dataset digest
/// over the batch digests.
/// </summary>
public sealed class BatchManifest
{
    public int BatchSize { get; }
    public IReadOnlyList<byte[]> BatchDigests { get; }
    public byte[] DatasetDigest { get; }
    public int BatchCount => BatchDigests.Count;

    public BatchManifest(int batchSize, IReadOnlyList<byte[]> batchDigests)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, BatchFrame.HeaderSize);
        for (int b = 0; b < batchDigests.Count; b++)
            if (batchDigests[b].Length != Digest.Size)
                throw new ArgumentException($"digest of batch B{b + 1} has {batchDigests[b].Length} bytes, not {Digest.Size}.", nameof(batchDigests));
        BatchSize = batchSize;
        BatchDigests = batchDigests;
        DatasetDigest = ComputeDatasetDigest(batchDigests);
    }

    public static byte[] ComputeDatasetDigest(IReadOnlyList<byte[]> batchDigests)
    {
        var count = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(count, batchDigests.Count);
        var parts = new ReadOnlyMemory<byte>[batchDigests.Count + 1];
        parts[0] = count;
        for (int i = 0; i < batchDigests.Count; i++) parts[i + 1] = batchDigests[i];
        return Digest.Of(parts);
    }

    /// <summary>The digest of a padded batch (over header and content), or null if its framing or padding is damaged.</summary>
    public static byte[]? DigestOf(ReadOnlySpan<byte> paddedBatch)
    {
        ReadOnlySpan<byte> content;
        try { content = BatchFrame.Content(paddedBatch); }
        catch (InvalidDataException) { return null; }
        return paddedBatch[content.Length..].ContainsAnyExcept((byte)0) ? null : Digest.Of(content);
    }

    /// <summary>True if the padded batch has the right size, intact framing and zero padding, and its digest matches.</summary>
    public bool Verify(int batch, ReadOnlySpan<byte> paddedBatch)
    {
        if ((uint)batch >= (uint)BatchCount || paddedBatch.Length != BatchSize) return false;
        return DigestOf(paddedBatch) is { } digest && Digest.Matches(BatchDigests[batch], digest);
    }

    /// <summary>The batches whose digests differ, or that exist on one side only.</summary>
    public IReadOnlyList<int> Diff(BatchManifest other)
    {
        var differing = new List<int>();
        for (int b = 0; b < Math.Max(BatchCount, other.BatchCount); b++)
            if (b >= BatchCount || b >= other.BatchCount || !BatchDigests[b].AsSpan().SequenceEqual(other.BatchDigests[b]))
                differing.Add(b);
        return differing;
    }
}
