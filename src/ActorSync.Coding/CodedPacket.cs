using System.Buffers.Binary;
using System.IO.Hashing;

namespace ActorSync.Coding;

/// <summary>
/// A random linear combination Σ Coefficients[k]·B[BatchIds[k]] over GF(256), sent by one node during
/// source-down recovery. The checksum (XXH128) covers every field, so a flipped or truncated byte is caught on
/// receipt, before it can poison the elimination. It is a fast transport check, not a defence against a hostile
/// sender: that is the SHA-256 batch digest in the <see cref="BatchManifest"/>, checked on every decoded batch.
/// </summary>
public sealed record CodedPacket(int Sender, int Sequence, int[] BatchIds, byte[] Coefficients, byte[] Payload, byte[] Checksum)
{
    public const int ChecksumSize = 16;

    public static CodedPacket Create(int sender, int sequence, int[] batchIds, byte[] coefficients, byte[] payload) =>
        new(sender, sequence, batchIds, coefficients, payload, ComputeChecksum(sender, sequence, batchIds, coefficients, payload));

    public bool IsIntact =>
        Checksum.Length == ChecksumSize
        && Checksum.AsSpan().SequenceEqual(ComputeChecksum(Sender, Sequence, BatchIds, Coefficients, Payload));

    public static byte[] ComputeChecksum(int sender, int sequence, int[] batchIds, byte[] coefficients, byte[] payload)
    {
        var hash = new XxHash128();
        Span<byte> word = stackalloc byte[4];
        foreach (var value in (ReadOnlySpan<int>)[sender, sequence, batchIds.Length, coefficients.Length, payload.Length])
        {
            BinaryPrimitives.WriteInt32LittleEndian(word, value);
            hash.Append(word);
        }
        foreach (var id in batchIds)
        {
            BinaryPrimitives.WriteInt32LittleEndian(word, id);
            hash.Append(word);
        }
        hash.Append(coefficients);
        hash.Append(payload);
        return hash.GetCurrentHash();
    }
}
