using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ActorSync.Coding.Kernels;

/// <summary>GF2P8MULB multiplies 32 byte pairs in the AES field (our field) in one instruction.</summary>
public sealed class Gfni256Kernel : GfKernel
{
    public override string Name => "gfni-256";

    public override bool IsSupported => Gfni.V256.IsSupported;

    public override void Xor(ReadOnlySpan<byte> src, Span<byte> dst)
    {
        CheckLengths(src, dst);
        VectorXor.Xor256(src, dst);
    }

    protected override void MulAddCore(byte c, ReadOnlySpan<byte> src, Span<byte> dst)
    {
        var factor = Vector256.Create(c);
        ref byte s = ref MemoryMarshal.GetReference(src);
        ref byte d = ref MemoryMarshal.GetReference(dst);
        nuint n = (nuint)src.Length, i = 0;
        for (; i + 128 <= n; i += 128)
        {
            var p0 = Gfni.V256.GaloisFieldMultiply(Vector256.LoadUnsafe(ref s, i), factor) ^ Vector256.LoadUnsafe(ref d, i);
            var p1 = Gfni.V256.GaloisFieldMultiply(Vector256.LoadUnsafe(ref s, i + 32), factor) ^ Vector256.LoadUnsafe(ref d, i + 32);
            var p2 = Gfni.V256.GaloisFieldMultiply(Vector256.LoadUnsafe(ref s, i + 64), factor) ^ Vector256.LoadUnsafe(ref d, i + 64);
            var p3 = Gfni.V256.GaloisFieldMultiply(Vector256.LoadUnsafe(ref s, i + 96), factor) ^ Vector256.LoadUnsafe(ref d, i + 96);
            p0.StoreUnsafe(ref d, i);
            p1.StoreUnsafe(ref d, i + 32);
            p2.StoreUnsafe(ref d, i + 64);
            p3.StoreUnsafe(ref d, i + 96);
        }
        for (; i + 32 <= n; i += 32)
            (Gfni.V256.GaloisFieldMultiply(Vector256.LoadUnsafe(ref s, i), factor) ^ Vector256.LoadUnsafe(ref d, i)).StoreUnsafe(ref d, i);
        ScalarKernel.MulAddTail(c, src[(int)i..], dst[(int)i..]);
    }

    protected override void MulCore(byte c, ReadOnlySpan<byte> src, Span<byte> dst)
    {
        var factor = Vector256.Create(c);
        ref byte s = ref MemoryMarshal.GetReference(src);
        ref byte d = ref MemoryMarshal.GetReference(dst);
        nuint n = (nuint)src.Length, i = 0;
        for (; i + 32 <= n; i += 32)
            Gfni.V256.GaloisFieldMultiply(Vector256.LoadUnsafe(ref s, i), factor).StoreUnsafe(ref d, i);
        ScalarKernel.MulTail(c, src[(int)i..], dst[(int)i..]);
    }
}
