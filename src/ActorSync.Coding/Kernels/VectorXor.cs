using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ActorSync.Coding.Kernels;

/// <summary>XOR loops shared by the vector kernels of each width.</summary>
internal static class VectorXor
{
    public static void Xor256(ReadOnlySpan<byte> src, Span<byte> dst)
    {
        ref byte s = ref MemoryMarshal.GetReference(src);
        ref byte d = ref MemoryMarshal.GetReference(dst);
        nuint n = (nuint)src.Length, i = 0;
        for (; i + 128 <= n; i += 128)
        {
            var a0 = Vector256.LoadUnsafe(ref s, i) ^ Vector256.LoadUnsafe(ref d, i);
            var a1 = Vector256.LoadUnsafe(ref s, i + 32) ^ Vector256.LoadUnsafe(ref d, i + 32);
            var a2 = Vector256.LoadUnsafe(ref s, i + 64) ^ Vector256.LoadUnsafe(ref d, i + 64);
            var a3 = Vector256.LoadUnsafe(ref s, i + 96) ^ Vector256.LoadUnsafe(ref d, i + 96);
            a0.StoreUnsafe(ref d, i);
            a1.StoreUnsafe(ref d, i + 32);
            a2.StoreUnsafe(ref d, i + 64);
            a3.StoreUnsafe(ref d, i + 96);
        }
        for (; i + 32 <= n; i += 32)
            (Vector256.LoadUnsafe(ref s, i) ^ Vector256.LoadUnsafe(ref d, i)).StoreUnsafe(ref d, i);
        ScalarKernel.XorTail(src[(int)i..], dst[(int)i..]);
    }

    public static void Xor512(ReadOnlySpan<byte> src, Span<byte> dst)
    {
        ref byte s = ref MemoryMarshal.GetReference(src);
        ref byte d = ref MemoryMarshal.GetReference(dst);
        nuint n = (nuint)src.Length, i = 0;
        for (; i + 256 <= n; i += 256)
        {
            var a0 = Vector512.LoadUnsafe(ref s, i) ^ Vector512.LoadUnsafe(ref d, i);
            var a1 = Vector512.LoadUnsafe(ref s, i + 64) ^ Vector512.LoadUnsafe(ref d, i + 64);
            var a2 = Vector512.LoadUnsafe(ref s, i + 128) ^ Vector512.LoadUnsafe(ref d, i + 128);
            var a3 = Vector512.LoadUnsafe(ref s, i + 192) ^ Vector512.LoadUnsafe(ref d, i + 192);
            a0.StoreUnsafe(ref d, i);
            a1.StoreUnsafe(ref d, i + 64);
            a2.StoreUnsafe(ref d, i + 128);
            a3.StoreUnsafe(ref d, i + 192);
        }
        for (; i + 64 <= n; i += 64)
            (Vector512.LoadUnsafe(ref s, i) ^ Vector512.LoadUnsafe(ref d, i)).StoreUnsafe(ref d, i);
        Xor256(src[(int)i..], dst[(int)i..]);
    }

}
