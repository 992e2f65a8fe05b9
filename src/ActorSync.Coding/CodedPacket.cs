using System.Buffers.Binary;

namespace ActorSync.Coding;

/// <summary>
/// A random linear combination Σ Coefficients[k]·B[BatchIds[k]] over GF(256), sent by one node during
/// source-down recovery. The digest covers every field, so a flipped or truncated byte is caught on receipt.
/// </summary>
public sealed record CodedPacket(int Sender, int Sequence, int[] BatchIds, byte[] Coefficients, byte[] Payload, byte[] Digest)
{
    public static CodedPacket Create(int sender, int sequence, int[] batchIds, byte[] coefficients, byte[] payload) =>
        new(sender, sequence, batchIds, coefficients, payload, ComputeDigest(sender, sequence, batchIds, coefficients, payload));

    public bool IsIntact =>
        Coding.Digest.Matches(Digest, ComputeDigest(Sender, Sequence, BatchIds, Coefficients, Payload));

    public static byte[] ComputeDigest(int sender, int sequence, int[] batchIds, byte[] coefficients, byte[] payload)
    {
        var header = new byte[12 + 4 * batchIds.Length];
        BinaryPrimitives.WriteInt32LittleEndian(header, sender);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(4), sequence);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), batchIds.Length);
        for (int i = 0; i < batchIds.Length; i++)
            BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(12 + 4 * i), batchIds[i]);
        return Coding.Digest.Of(header, coefficients, payload);
    }
}
