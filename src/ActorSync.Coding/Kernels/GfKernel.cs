namespace ActorSync.Coding.Kernels;

/// <summary>
/// Bulk GF(256) arithmetic over byte spans. All kernels compute the same thing as <see cref="ScalarKernel"/>;
/// they differ only in the instructions they use. Source and destination must have the same length.
/// </summary>
public abstract class GfKernel
{
    public abstract string Name { get; }

    public abstract bool IsSupported { get; }

    /// <summary>dst ^= src.</summary>
    public abstract void Xor(ReadOnlySpan<byte> src, Span<byte> dst);

    /// <summary>dst ^= c·src, the inner step of encoding and of Gaussian elimination.</summary>
    public void MulAdd(byte c, ReadOnlySpan<byte> src, Span<byte> dst)
    {
        CheckLengths(src, dst);
        if (c == 0) return;
        if (c == 1) { Xor(src, dst); return; }
        MulAddCore(c, src, dst);
    }

    /// <summary>dst = c·src.</summary>
    public void Mul(byte c, ReadOnlySpan<byte> src, Span<byte> dst)
    {
        CheckLengths(src, dst);
        if (c == 0) { dst.Clear(); return; }
        if (c == 1) { src.CopyTo(dst); return; }
        MulCore(c, src, dst);
    }

    protected abstract void MulAddCore(byte c, ReadOnlySpan<byte> src, Span<byte> dst);

    protected abstract void MulCore(byte c, ReadOnlySpan<byte> src, Span<byte> dst);

    protected static void CheckLengths(ReadOnlySpan<byte> src, Span<byte> dst)
    {
        if (src.Length != dst.Length)
            throw new ArgumentException($"source has {src.Length} bytes but destination has {dst.Length}; they must be equal.");
    }

    public override string ToString() => Name;
}
