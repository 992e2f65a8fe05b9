using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ActorSync.Coding.Kernels;

/// <summary>
/// The split-nibble method (as in ISA-L and klauspost/reedsolomon): c·x = Low[x &amp; 15] ^ High[x &gt;&gt; 4],
/// each a 16-entry table looked up 32 bytes at a time with VPSHUFB.
/// </summary>
public sealed class Avx2Kernel : GfKernel
{
    // VPSHUFB looks up within each 128-bit lane, so both lanes carry the same 16-byte table.
    private static readonly Vector256<byte>[] LowTables = new Vector256<byte>[256];
    private static readonly Vector256<byte>[] HighTables = new Vector256<byte>[256];

    static Avx2Kernel()
    {
        Span<byte> low = stackalloc byte[16];
        Span<byte> high = stackalloc byte[16];
        for (int c = 0; c < 256; c++)
        {
            for (int i = 0; i < 16; i++)
            {
                low[i] = GF256.Mul((byte)c, (byte)i);
                high[i] = GF256.Mul((byte)c, (byte)(i << 4));
            }
            LowTables[c] = Vector256.Create(Vector128.Create<byte>(low), Vector128.Create<byte>(low));
            HighTables[c] = Vector256.Create(Vector128.Create<byte>(high), Vector128.Create<byte>(high));
        }
    }

    public override string Name => "avx2";

    public override bool IsSupported => Avx2.IsSupported;

    public override void Xor(ReadOnlySpan<byte> src, Span<byte> dst)
    {
        CheckLengths(src, dst);
        VectorXor.Xor256(src, dst);
    }

    protected override void MulAddCore(byte c, ReadOnlySpan<byte> src, Span<byte> dst)
    {
        var low = LowTables[c];
        var high = HighTables[c];
        ref byte s = ref MemoryMarshal.GetReference(src);
        ref byte d = ref MemoryMarshal.GetReference(dst);
        nuint n = (nuint)src.Length, i = 0;
        for (; i + 64 <= n; i += 64)
        {
            var p0 = Product(Vector256.LoadUnsafe(ref s, i), low, high) ^ Vector256.LoadUnsafe(ref d, i);
            var p1 = Product(Vector256.LoadUnsafe(ref s, i + 32), low, high) ^ Vector256.LoadUnsafe(ref d, i + 32);
            p0.StoreUnsafe(ref d, i);
            p1.StoreUnsafe(ref d, i + 32);
        }
        for (; i + 32 <= n; i += 32)
            (Product(Vector256.LoadUnsafe(ref s, i), low, high) ^ Vector256.LoadUnsafe(ref d, i)).StoreUnsafe(ref d, i);
        ScalarKernel.MulAddTail(c, src[(int)i..], dst[(int)i..]);
    }

    protected override void MulCore(byte c, ReadOnlySpan<byte> src, Span<byte> dst)
    {
        var low = LowTables[c];
        var high = HighTables[c];
        ref byte s = ref MemoryMarshal.GetReference(src);
        ref byte d = ref MemoryMarshal.GetReference(dst);
        nuint n = (nuint)src.Length, i = 0;
        for (; i + 32 <= n; i += 32)
            Product(Vector256.LoadUnsafe(ref s, i), low, high).StoreUnsafe(ref d, i);
        ScalarKernel.MulTail(c, src[(int)i..], dst[(int)i..]);
    }

    private static Vector256<byte> Product(Vector256<byte> x, Vector256<byte> low, Vector256<byte> high)
    {
        var nibble = Vector256.Create((byte)0x0F);
        var lo = Avx2.Shuffle(low, x & nibble);
        var hi = Avx2.Shuffle(high, Avx2.ShiftRightLogical(x.AsUInt16(), 4).AsByte() & nibble);
        return lo ^ hi;
    }
}
