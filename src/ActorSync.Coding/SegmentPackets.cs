using ActorSync.Coding.Kernels;

namespace ActorSync.Coding;

/// <summary>A 32-byte SHA-256 segment digest as a value: the key segments are stored and decoded by.</summary>
public readonly record struct SegmentId(ulong A, ulong B, ulong C, ulong D)
{
    public static SegmentId Of(ReadOnlySpan<byte> digest)
    {
        if (digest.Length != Digest.Size) throw new ArgumentException($"a segment digest has {Digest.Size} bytes, not {digest.Length}.", nameof(digest));
        return new(BitConverter.ToUInt64(digest), BitConverter.ToUInt64(digest[8..]), BitConverter.ToUInt64(digest[16..]), BitConverter.ToUInt64(digest[24..]));
    }

    public byte[] ToBytes()
    {
        var bytes = new byte[Digest.Size];
        BitConverter.TryWriteBytes(bytes, A);
        BitConverter.TryWriteBytes(bytes.AsSpan(8), B);
        BitConverter.TryWriteBytes(bytes.AsSpan(16), C);
        BitConverter.TryWriteBytes(bytes.AsSpan(24), D);
        return bytes;
    }

    /// <summary>The digest in lower-case hex: the segment's file name in a store.</summary>
    public string Hex => Convert.ToHexStringLower(ToBytes());

    public override string ToString() => Hex[..12];
}

/// <summary>Segment <c>Index</c> of batch <paramref name="Batch"/> as a term of a packet: its content length and digest.</summary>
public sealed record SegmentTerm(int Batch, int Length, byte[] Digest)
{
    public SegmentId Id => SegmentId.Of(Digest);
}

/// <summary>
/// Segment <paramref name="Index"/> of XOR packet <paramref name="Packet"/>: the XOR of its terms' segment
/// <paramref name="Index"/>, each padded with zeros to the payload's length. The terms carry their digests, so a
/// receiver verifies what it decodes at once, and the checksum covers every field.
/// </summary>
public sealed record XorSegmentPacket(int Packet, int Index, SegmentTerm[] Terms, byte[] Payload, byte[] Checksum)
{
    public static XorSegmentPacket Create(int packet, int index, SegmentTerm[] terms, byte[] payload) =>
        new(packet, index, terms, payload, ComputeChecksum(packet, index, terms, payload));

    public bool IsIntact => PacketChecksum.Matches(Checksum, ComputeChecksum(Packet, Index, Terms, Payload));

    /// <summary>
    /// The packet segment over <paramref name="terms"/>: <paramref name="read"/> copies a term's content into the span
    /// it is given (at least the term's length) and returns its length.
    /// </summary>
    public static XorSegmentPacket Encode(int packet, int index, SegmentTerm[] terms, int paddedLength, Func<SegmentTerm, Span<byte>, int> read,
        GfKernel? kernel = null)
    {
        if (terms.Length == 0) throw new ArgumentException("an XOR packet needs at least one term.", nameof(terms));
        kernel ??= GfKernels.Best;
        var payload = new byte[paddedLength];
        var scratch = terms.Length > 1 ? new byte[paddedLength] : [];
        for (int t = 0; t < terms.Length; t++)
        {
            if (terms[t].Length > paddedLength)
                throw new ArgumentException($"term B{terms[t].Batch + 1} has {terms[t].Length} bytes, more than the {paddedLength}-byte segment.", nameof(terms));
            if (terms[t].Length == 0) continue;
            if (t == 0) { read(terms[t], payload); continue; }
            int length = read(terms[t], scratch);
            kernel.Xor(scratch.AsSpan(0, length), payload.AsSpan(0, length));
        }
        return Create(packet, index, terms, payload);
    }

    private static byte[] ComputeChecksum(int packet, int index, SegmentTerm[] terms, byte[] payload)
    {
        var header = new int[2 + 2 * terms.Length];
        header[0] = packet;
        header[1] = index;
        for (int t = 0; t < terms.Length; t++) (header[2 + 2 * t], header[3 + 2 * t]) = (terms[t].Batch, terms[t].Length);
        return PacketChecksum.Compute(header, [.. terms.Select(t => t.Digest), payload]);
    }
}

/// <summary>
/// Segment <paramref name="Index"/> of an RLNC packet: Σ Coefficients[k]·segment(BatchIds[k], Index) over GF(256), every
/// segment zero-padded to the payload's length. All segments of one packet (one sender and sequence) share the
/// coefficients, so a receiver decides once whether the packet adds rank, and solves each segment index alike.
/// </summary>
public sealed record RlncSegmentPacket(int Sender, int Sequence, int Index, int[] BatchIds, byte[] Coefficients, byte[] Payload, byte[] Checksum)
{
    public static RlncSegmentPacket Create(int sender, int sequence, int index, int[] batchIds, byte[] coefficients, byte[] payload) =>
        new(sender, sequence, index, batchIds, coefficients, payload, ComputeChecksum(sender, sequence, index, batchIds, coefficients, payload));

    public bool IsIntact => PacketChecksum.Matches(Checksum, ComputeChecksum(Sender, Sequence, Index, BatchIds, Coefficients, Payload));

    /// <summary>The packet's segment: <paramref name="read"/> copies batch b's content at this index into the span and returns its length.</summary>
    public static RlncSegmentPacket Encode(int sender, int sequence, int index, int[] batchIds, byte[] coefficients, int paddedLength,
        Func<int, Span<byte>, int> read, GfKernel? kernel = null)
    {
        if (batchIds.Length != coefficients.Length)
            throw new ArgumentException($"{coefficients.Length} coefficients for {batchIds.Length} batches.", nameof(coefficients));
        kernel ??= GfKernels.Best;
        var payload = new byte[paddedLength];
        var scratch = new byte[paddedLength];
        for (int k = 0; k < batchIds.Length; k++)
        {
            int length = read(batchIds[k], scratch);
            kernel.MulAdd(coefficients[k], scratch.AsSpan(0, length), payload.AsSpan(0, length));
        }
        return Create(sender, sequence, index, batchIds, coefficients, payload);
    }

    private static byte[] ComputeChecksum(int sender, int sequence, int index, int[] batchIds, byte[] coefficients, byte[] payload) =>
        PacketChecksum.Compute([sender, sequence, index, .. batchIds], coefficients, payload);
}
