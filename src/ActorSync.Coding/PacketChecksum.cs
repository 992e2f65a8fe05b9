using System.Buffers.Binary;
using System.IO.Hashing;

namespace ActorSync.Coding;

/// <summary>
/// XXH128 over a packet's header integers and byte fields: a fast transport check that keeps a flipped or truncated
/// byte out of decoding. Not a defence against a hostile sender; the SHA-256 batch digests are.
/// </summary>
public static class PacketChecksum
{
    public const int Size = 16;

    public static byte[] Compute(ReadOnlySpan<int> header, params ReadOnlySpan<byte[]> fields)
    {
        var hash = new XxHash128();
        Span<byte> word = stackalloc byte[4];
        foreach (var value in header)
        {
            BinaryPrimitives.WriteInt32LittleEndian(word, value);
            hash.Append(word);
        }
        foreach (var field in fields)
        {
            BinaryPrimitives.WriteInt32LittleEndian(word, field.Length);
            hash.Append(word);
            hash.Append(field);
        }
        return hash.GetCurrentHash();
    }

    public static bool Matches(byte[] expected, byte[] actual) =>
        expected.Length == Size && expected.AsSpan().SequenceEqual(actual);
}
