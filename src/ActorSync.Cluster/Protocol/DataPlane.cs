using ActorSync.Coding;

namespace ActorSync.Cluster.Protocol;

/// <summary>
/// The elements of the streams between members (Akka.Streams StreamRefs): one segment each, never more, so no message
/// is large and memory is bounded by the streams' windows. All bound to <see cref="ActorSyncSerializer"/>.
/// </summary>
public interface IDataFrame;

/// <summary>
/// Segment <paramref name="Index"/> of batch <paramref name="Batch"/>: <paramref name="Length"/> bytes of content with
/// SHA-256 <paramref name="Digest"/>, then zeros up to the padded segment length (the payload's length).
/// </summary>
public sealed record SegmentFrame(long Dataset, int Batch, int Index, int Length, byte[] Digest, byte[] Payload) : IDataFrame;

/// <summary>Segment <paramref name="Index"/> of XOR packet <paramref name="Packet"/> (<see cref="XorSegmentPacket"/> on the wire).</summary>
public sealed record XorFrame(long Dataset, int Packet, int Index, SegmentTerm[] Terms, byte[] Payload, byte[] Checksum) : IDataFrame
{
    public XorSegmentPacket ToPacket() => new(Packet, Index, Terms, Payload, Checksum);

    public static XorFrame From(long dataset, XorSegmentPacket p) => new(dataset, p.Packet, p.Index, p.Terms, p.Payload, p.Checksum);
}

/// <summary>Segment <paramref name="Index"/> of an RLNC packet (<see cref="RlncSegmentPacket"/> on the wire).</summary>
public sealed record RlncFrame(long Dataset, int Sender, int Sequence, int Index, int[] BatchIds, byte[] Coefficients, byte[] Payload, byte[] Checksum) : IDataFrame
{
    public RlncSegmentPacket ToPacket() => new(Sender, Sequence, Index, BatchIds, Coefficients, Payload, Checksum);

    public static RlncFrame From(long dataset, RlncSegmentPacket p) => new(dataset, p.Sender, p.Sequence, p.Index, p.BatchIds, p.Coefficients, p.Payload, p.Checksum);
}

/// <summary>Why a frame crosses the relay: the links it is counted on follow from it.</summary>
public enum FrameKind : byte
{
    /// <summary>A batch from the source to the nodes it is placed on.</summary>
    Placement = 1,

    /// <summary>A coded XOR packet from the source.</summary>
    Xor = 2,

    /// <summary>A batch from the source to nodes it is not placed on (the direct and partial baselines).</summary>
    Uncoded = 3,

    /// <summary>A batch from a peer to a node that lost it (direct repair).</summary>
    Repair = 4,

    /// <summary>A batch sent uncoded after coded delivery or recovery left a node short.</summary>
    Fallback = 5,

    /// <summary>An RLNC packet from a peer (source-down recovery).</summary>
    Recovery = 6,
}

/// <summary>A frame on its way to the relay, with the nodes the relay forwards it to.</summary>
public sealed record Routed(uint Recipients, FrameKind Kind, IDataFrame Frame) : IDataFrame;

/// <summary>A chunk of a reverse-sync change set or resolution: at most one segment of its encoded bytes.</summary>
public sealed record ChangeChunk(int Sequence, byte[] Bytes) : IDataFrame;
