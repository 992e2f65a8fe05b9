namespace ActorSync.Coding;

/// <summary>
/// A random linear combination Σ Coefficients[k]·B[BatchIds[k]] over GF(256), sent by one node during
/// source-down recovery. The checksum covers every field, so a flipped or truncated byte is caught on receipt.
/// </summary>
public sealed record CodedPacket(int Sender, int Sequence, int[] BatchIds, byte[] Coefficients, byte[] Payload, byte[] Checksum)
{
    public static CodedPacket Create(int sender, int sequence, int[] batchIds, byte[] coefficients, byte[] payload) =>
        new(sender, sequence, batchIds, coefficients, payload, ComputeChecksum(sender, sequence, batchIds, coefficients, payload));

    public bool IsIntact => PacketChecksum.Matches(Checksum, ComputeChecksum(Sender, Sequence, BatchIds, Coefficients, Payload));

    private static byte[] ComputeChecksum(int sender, int sequence, int[] batchIds, byte[] coefficients, byte[] payload) =>
        PacketChecksum.Compute([sender, sequence, .. batchIds], coefficients, payload);
}
