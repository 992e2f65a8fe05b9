using System.Buffers.Binary;

namespace ActorSync.Coding;

/// <summary>
/// One batch of a dataset: its content length and one SHA-256 per content segment. Its root covers the segment size,
/// the content length and the segment digests in order (a two-level Merkle tree), so one damaged segment is found
/// and re-sent alone, and the root names the batch as a whole. Padding is not content: a batch keeps its root when
/// the dataset's padded size changes.
/// </summary>
public sealed class BatchDescriptor
{
    public long ContentLength { get; }
    public IReadOnlyList<byte[]> SegmentDigests { get; }
    public byte[] Root { get; }

    public BatchDescriptor(SegmentLayout layout, long contentLength, IReadOnlyList<byte[]> segmentDigests)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(contentLength);
        if (segmentDigests.Count != layout.CountFor(contentLength))
            throw new ArgumentException($"{contentLength} content bytes take {layout.CountFor(contentLength)} segments of {layout.Size}, not {segmentDigests.Count}.", nameof(segmentDigests));
        foreach (var digest in segmentDigests)
            if (digest.Length != Digest.Size) throw new ArgumentException($"a segment digest has {digest.Length} bytes, not {Digest.Size}.", nameof(segmentDigests));
        ContentLength = contentLength;
        SegmentDigests = segmentDigests;
        Root = RootOf(layout, contentLength, segmentDigests);
    }

    public static byte[] RootOf(SegmentLayout layout, long contentLength, IReadOnlyList<byte[]> segmentDigests)
    {
        var header = new byte[16];
        "asb2"u8.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(4), layout.Size);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(8), contentLength);
        var parts = new ReadOnlyMemory<byte>[segmentDigests.Count + 1];
        parts[0] = header;
        for (int i = 0; i < segmentDigests.Count; i++) parts[i + 1] = segmentDigests[i];
        return Digest.Of(parts);
    }
}

/// <summary>
/// What every side of a sync agrees a dataset is: the segment size, the common padded batch size (the longest
/// batch's content; XOR and RLNC need equal lengths), each batch's descriptor, and a dataset digest over the roots.
/// </summary>
public sealed class BatchManifest
{
    private const byte FormatVersion = 3;
    private const int HeaderSize = 10;

    public SegmentLayout Layout { get; }

    /// <summary>The padded size of every batch: the longest content length.</summary>
    public long BatchSize { get; }

    public IReadOnlyList<BatchDescriptor> Batches { get; }

    /// <summary>Each batch's root, by batch.</summary>
    public IReadOnlyList<byte[]> BatchDigests { get; }

    public byte[] DatasetDigest { get; }

    public int BatchCount => Batches.Count;

    /// <summary>Segments in every padded batch.</summary>
    public int SegmentCount => Layout.CountFor(BatchSize);

    public BatchManifest(SegmentLayout layout, IReadOnlyList<BatchDescriptor> batches)
    {
        Layout = layout;
        Batches = batches;
        BatchSize = batches.Count == 0 ? 0 : batches.Max(b => b.ContentLength);
        BatchDigests = batches.Select(b => b.Root).ToArray();
        DatasetDigest = ComputeDatasetDigest(BatchDigests);
    }

    public static byte[] ComputeDatasetDigest(IReadOnlyList<byte[]> roots)
    {
        var count = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(count, roots.Count);
        var parts = new ReadOnlyMemory<byte>[roots.Count + 1];
        parts[0] = count;
        for (int i = 0; i < roots.Count; i++) parts[i + 1] = roots[i];
        return Digest.Of(parts);
    }

    /// <summary>The padded length of segment <paramref name="index"/>, the same in every batch.</summary>
    public int PaddedLength(int index) => Layout.LengthOf(index, BatchSize);

    /// <summary>How many of segment <paramref name="index"/>'s bytes are the batch's content; the rest is zero padding.</summary>
    public int ContentLength(int batch, int index) => Layout.LengthOf(index, Batches[batch].ContentLength);

    /// <summary>The digest of a segment's content, or null for a segment that is all padding.</summary>
    public byte[]? SegmentDigest(int batch, int index) =>
        index < Batches[batch].SegmentDigests.Count ? Batches[batch].SegmentDigests[index] : null;

    /// <summary>True if <paramref name="content"/> is exactly segment <paramref name="index"/>'s content.</summary>
    public bool VerifyContent(int batch, int index, ReadOnlySpan<byte> content)
    {
        if ((uint)batch >= (uint)BatchCount || (uint)index >= (uint)SegmentCount || content.Length != ContentLength(batch, index)) return false;
        return SegmentDigest(batch, index) is not { } digest ? content.IsEmpty : Digest.Matches(digest, Digest.Of(content));
    }

    /// <summary>True if <paramref name="padded"/> is segment <paramref name="index"/> of the padded batch: its content, then zeros.</summary>
    public bool VerifyPadded(int batch, int index, ReadOnlySpan<byte> padded)
    {
        if ((uint)batch >= (uint)BatchCount || (uint)index >= (uint)SegmentCount || padded.Length != PaddedLength(index)) return false;
        int content = ContentLength(batch, index);
        return !padded[content..].ContainsAnyExcept((byte)0) && VerifyContent(batch, index, padded[..content]);
    }

    /// <summary>True if the padded batch has the right size, zero padding, and every segment matches its digest.</summary>
    public bool Verify(int batch, ReadOnlySpan<byte> paddedBatch)
    {
        if ((uint)batch >= (uint)BatchCount || paddedBatch.Length != BatchSize) return false;
        for (int i = 0; i < SegmentCount; i++)
            if (!VerifyPadded(batch, i, paddedBatch.Slice((int)Layout.OffsetOf(i), PaddedLength(i)))) return false;
        return true;
    }

    /// <summary>The batches whose roots differ, or that exist on one side only.</summary>
    public IReadOnlyList<int> Diff(BatchManifest other)
    {
        var differing = new List<int>();
        for (int b = 0; b < Math.Max(BatchCount, other.BatchCount); b++)
            if (b >= BatchCount || b >= other.BatchCount || !BatchDigests[b].AsSpan().SequenceEqual(other.BatchDigests[b]))
                differing.Add(b);
        return differing;
    }

    /// <summary>
    /// Version 3: segment size, batch count, content codec, then per batch its content length and segment digests.
    /// (Version 2, which node journals may still hold, has no codec byte: its content is plain records.)
    /// </summary>
    public byte[] Encode()
    {
        int digests = Batches.Sum(b => b.SegmentDigests.Count);
        var bytes = new byte[HeaderSize + Batches.Count * 8 + digests * Digest.Size];
        bytes[0] = FormatVersion;
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(1), Layout.Size);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(5), Batches.Count);
        bytes[9] = (byte)Layout.Codec;
        int offset = HeaderSize;
        foreach (var batch in Batches)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(offset), batch.ContentLength);
            offset += 8;
            foreach (var digest in batch.SegmentDigests)
            {
                digest.CopyTo(bytes, offset);
                offset += Digest.Size;
            }
        }
        return bytes;
    }

    /// <summary>Reads <see cref="Encode"/>'s bytes; throws <see cref="InvalidDataException"/> on another version or damage.</summary>
    public static BatchManifest Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 1 || bytes[0] is not (2 or FormatVersion))
            throw new InvalidDataException($"the batch manifest has format {(bytes.Length < 1 ? "(none)" : bytes[0])}; this build reads formats 2 and {FormatVersion}.");
        int header = bytes[0] == 2 ? 9 : HeaderSize;
        if (bytes.Length < header) throw new InvalidDataException($"a batch manifest has {bytes.Length} bytes, fewer than its {header}-byte header.");
        int size = BinaryPrimitives.ReadInt32LittleEndian(bytes[1..]);
        int count = BinaryPrimitives.ReadInt32LittleEndian(bytes[5..]);
        var codec = header == 9 ? ContentCodec.None : (ContentCodec)bytes[9];
        SegmentLayout layout;
        try { layout = new SegmentLayout(size, codec); }
        catch (ArgumentOutOfRangeException error) { throw new InvalidDataException($"the batch manifest names segment size {size} and content codec {(int)codec}: {error.Message}", error); }
        if (count < 0 || count > Placement.MaxBatches) throw new InvalidDataException($"the batch manifest claims {count} batches.");
        var batches = new BatchDescriptor[count];
        int offset = header;
        for (int b = 0; b < count; b++)
        {
            if (bytes.Length - offset < 8) throw new InvalidDataException($"the batch manifest ends inside batch B{b + 1}.");
            long length = BinaryPrimitives.ReadInt64LittleEndian(bytes[offset..]);
            offset += 8;
            if (length < 0 || layout.CountFor(length) > (bytes.Length - offset) / Digest.Size)
                throw new InvalidDataException($"the batch manifest's batch B{b + 1} claims {length} bytes, more than its digests cover.");
            var digests = new byte[layout.CountFor(length)][];
            for (int i = 0; i < digests.Length; i++, offset += Digest.Size) digests[i] = bytes.Slice(offset, Digest.Size).ToArray();
            batches[b] = new BatchDescriptor(layout, length, digests);
        }
        if (offset != bytes.Length) throw new InvalidDataException($"the batch manifest has {bytes.Length - offset} bytes after its last batch.");
        return new BatchManifest(layout, batches);
    }

    /// <summary>The manifest of whole batches held in memory (content only, no padding).</summary>
    public static BatchManifest Of(SegmentLayout layout, IReadOnlyList<ReadOnlyMemory<byte>> contents) =>
        new(layout, contents.Select(content => new BatchDescriptor(layout, content.Length,
            Enumerable.Range(0, layout.CountFor(content.Length))
                .Select(i => Digest.Of(content.Span.Slice((int)layout.OffsetOf(i), layout.LengthOf(i, content.Length)))).ToArray())).ToArray());
}
