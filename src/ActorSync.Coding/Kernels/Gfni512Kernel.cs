using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ActorSync.Coding.Kernels;

/// <summary>GF2P8MULB multiplies 64 byte pairs in the AES field (our field) in one instruction.</summary>
public sealed class Gfni512Kernel : GfKernel
{
    public override string Name => "gfni-512";

    public override bool IsSupported => Gfni.V512.IsSupported && Vector512.IsHardwareAccelerated;

    public override void Xor(ReadOnlySpan<byte> src, Span<byte> dst)
    {
        CheckLengths(src, dst);
        VectorXor.Xor512(src, dst);
    }

    protected override void MulAddCore(byte c, ReadOnlySpan<byte> src, Span<byte> dst)
    {
        var factor = Vector512.Create(c);
        ref byte s = ref MemoryMarshal.GetReference(src);
        ref byte d = ref MemoryMarshal.GetReference(dst);
        nuint n = (nuint)src.Length, i = 0;
        for (; i + 256 <= n; i += 256)
        {
            var p0 = Gfni.V512.GaloisFieldMultiply(Vector512.LoadUnsafe(ref s, i), factor) ^ Vector512.LoadUnsafe(ref d, i);
            var p1 = Gfni.V512.GaloisFieldMultiply(Vector512.LoadUnsafe(ref s, i + 64), factor) ^ Vector512.LoadUnsafe(ref d, i + 64);
            var p2 = Gfni.V512.GaloisFieldMultiply(Vector512.LoadUnsafe(ref s, i + 128), factor) ^ Vector512.LoadUnsafe(ref d, i + 128);
            var p3 = Gfni.V512.GaloisFieldMultiply(Vector512.LoadUnsafe(ref s, i + 192), factor) ^ Vector512.LoadUnsafe(ref d, i + 192);
            p0.StoreUnsafe(ref d, i);
            p1.StoreUnsafe(ref d, i + 64);
            p2.StoreUnsafe(ref d, i + 128);
            p3.StoreUnsafe(ref d, i + 192);
        }
        for (; i + 64 <= n; i += 64)
            (Gfni.V512.GaloisFieldMultiply(Vector512.LoadUnsafe(ref s, i), factor) ^ Vector512.LoadUnsafe(ref d, i)).StoreUnsafe(ref d, i);
        ScalarKernel.MulAddTail(c, src[(int)i..], dst[(int)i..]);
    }

    protected override void MulCore(byte c, ReadOnlySpan<byte> src, Span<byte> dst)
    {
        var factor = Vector512.Create(c);
        ref byte s = ref MemoryMarshal.GetReference(src);
        ref byte d = ref MemoryMarshal.GetReference(dst);
        nuint n = (nuint)src.Length, i = 0;
        for (; i + 64 <= n; i += 64)
            Gfni.V512.GaloisFieldMultiply(Vector512.LoadUnsafe(ref s, i), factor).StoreUnsafe(ref d, i);
        ScalarKernel.MulTail(c, src[(int)i..], dst[(int)i..]);
    }
}
