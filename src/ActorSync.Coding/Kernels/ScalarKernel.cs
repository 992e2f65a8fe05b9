namespace ActorSync.Coding.Kernels;

/// <summary>The reference: one byte at a time through the 64 KiB product table. Every other kernel must equal it.</summary>
public sealed class ScalarKernel : GfKernel
{
    public override string Name => "scalar";

    public override bool IsSupported => true;

    public override void Xor(ReadOnlySpan<byte> src, Span<byte> dst)
    {
        CheckLengths(src, dst);
        XorTail(src, dst);
    }

    protected override void MulAddCore(byte c, ReadOnlySpan<byte> src, Span<byte> dst) => MulAddTail(c, src, dst);

    protected override void MulCore(byte c, ReadOnlySpan<byte> src, Span<byte> dst) => MulTail(c, src, dst);

    // The loops below also finish the bytes that do not fill a vector, for the vector kernels.
    internal static void MulAddTail(byte c, ReadOnlySpan<byte> src, Span<byte> dst)
    {
        var row = GF256.MulTable.AsSpan(c * 256, 256);
        for (int i = 0; i < src.Length; i++) dst[i] ^= row[src[i]];
    }

    internal static void MulTail(byte c, ReadOnlySpan<byte> src, Span<byte> dst)
    {
        var row = GF256.MulTable.AsSpan(c * 256, 256);
        for (int i = 0; i < src.Length; i++) dst[i] = row[src[i]];
    }

    internal static void XorTail(ReadOnlySpan<byte> src, Span<byte> dst)
    {
        for (int i = 0; i < src.Length; i++) dst[i] ^= src[i];
    }
}
