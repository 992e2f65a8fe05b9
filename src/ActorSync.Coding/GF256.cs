namespace ActorSync.Coding;

/// <summary>
/// GF(2^8) with the AES polynomial x^8+x^4+x^3+x+1 (0x11B). That polynomial is the one GFNI's GF2P8MULB
/// multiplies in, so the GFNI kernels need no basis change. 3 generates the multiplicative group.
/// Addition and subtraction are both XOR: the field has characteristic 2, so 1+1 = 0.
/// </summary>
public static class GF256
{
    public const int Polynomial = 0x11B;
    public const byte Generator = 3;

    private static readonly byte[] Exp = new byte[512];
    private static readonly byte[] Log = new byte[256];
    private static readonly byte[] Inverse = new byte[256];

    /// <summary>MulTable[a*256+b] = a·b. 64 KiB; the scalar reference kernel reads it.</summary>
    internal static readonly byte[] MulTable = new byte[256 * 256];

    static GF256()
    {
        int x = 1;
        for (int i = 0; i < 255; i++)
        {
            Exp[i] = (byte)x;
            Log[x] = (byte)i;
            x = MulSlow((byte)x, Generator);
        }
        for (int i = 255; i < 512; i++) Exp[i] = Exp[i - 255];
        for (int a = 1; a < 256; a++) Inverse[a] = Exp[255 - Log[a]];
        for (int a = 0; a < 256; a++)
            for (int b = 0; b < 256; b++)
                MulTable[a * 256 + b] = Mul((byte)a, (byte)b);
    }

    public static byte Add(byte a, byte b) => (byte)(a ^ b);

    public static byte Mul(byte a, byte b) => a == 0 || b == 0 ? (byte)0 : Exp[Log[a] + Log[b]];

    public static byte Inv(byte a) =>
        a == 0 ? throw new DivideByZeroException("0 has no inverse in GF(256).") : Inverse[a];

    /// <summary>Shift-and-add multiply; used to build the tables and as an independent check of them.</summary>
    public static byte MulSlow(byte a, byte b)
    {
        int product = 0, aa = a, bb = b;
        while (bb != 0)
        {
            if ((bb & 1) != 0) product ^= aa;
            aa <<= 1;
            if ((aa & 0x100) != 0) aa ^= Polynomial;
            bb >>= 1;
        }
        return (byte)product;
    }
}
