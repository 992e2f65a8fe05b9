using ActorSync.Coding.Kernels;
using FsCheck.Xunit;

namespace ActorSync.Coding.Tests;

public class GaloisFieldTests
{
    [Fact]
    public void Table_multiply_equals_shift_and_add_for_every_pair()
    {
        for (int a = 0; a < 256; a++)
            for (int b = 0; b < 256; b++)
                Assert.Equal(GF256.MulSlow((byte)a, (byte)b), GF256.Mul((byte)a, (byte)b));
    }

    [Fact]
    public void Every_nonzero_element_has_an_inverse()
    {
        for (int a = 1; a < 256; a++) Assert.Equal(1, GF256.Mul((byte)a, GF256.Inv((byte)a)));
        Assert.Throws<DivideByZeroException>(() => GF256.Inv(0));
    }

    [Property]
    public bool Multiplication_distributes_over_addition(byte a, byte b, byte c) =>
        GF256.Mul(a, GF256.Add(b, c)) == GF256.Add(GF256.Mul(a, b), GF256.Mul(a, c));

    [Property]
    public bool Multiplication_is_associative(byte a, byte b, byte c) =>
        GF256.Mul(a, GF256.Mul(b, c)) == GF256.Mul(GF256.Mul(a, b), c);

    [Fact]
    public void In_characteristic_2_one_plus_one_is_zero()
    {
        Assert.Equal(0, GF256.Add(1, 1));
        for (int a = 0; a < 256; a++) Assert.Equal(0, GF256.Add((byte)a, (byte)a));
    }

    /// <summary>
    /// Thesis 3.7.2–3.7.4 solve B4+B5=A1, B4+B6=A2, B5+B6=A3 by dividing by 2. Over GF(2^8) the three rows add
    /// to zero, so the system has rank 2: (A1, A2, A3) can't tell the true batches from a shifted set.
    /// </summary>
    [Fact]
    public void Thesis_all_ones_recovery_system_is_singular_in_GF256()
    {
        byte[][] rows = [[1, 1, 0], [1, 0, 1], [0, 1, 1]];
        Assert.Equal(2, Rank(rows));

        // Two different batch triples give the same packets: decoding from them is impossible, not merely hard.
        byte[] truth = [40, 50, 60];
        byte shift = 0x5A;
        byte[] other = truth.Select(v => (byte)(v ^ shift)).ToArray();
        Assert.Equal(Products(rows, truth), Products(rows, other));
        Assert.NotEqual(truth, other);

        // The thesis's own numbers: A1 = 90 is B4+B5 in integers, but the GF(256) sum of 40 and 50 is 40^50 = 26.
        Assert.Equal(26, GF256.Add(40, 50));
    }

    [Fact]
    public void Thesis_3_7_3_system_with_random_nonzero_coefficients_is_solved()
    {
        // The same three peers and batches, with nonzero random coefficients: Node 1 recovers B4, B5, B6.
        var placement = new Placement(4, 2);
        var data = Configurations.RandomBatches(6, 8, seed: 373);
        var known = placement.BatchesOf(0).ToDictionary(b => b, b => data[b]);
        var decoder = new RlncDecoder(known, Enumerable.Range(0, 6), batchSize: 8);
        var random = new Random(1);
        for (int peer = 1; peer <= 3 && !decoder.IsFullRank; peer++)
            decoder.Receive(new RlncEncoder(peer, placement.BatchesOf(peer).ToDictionary(b => b, b => data[b]), random).Next());
        // Rateless: top up in the rare case three random packets were dependent.
        for (int peer = 1; !decoder.IsFullRank; peer = peer % 3 + 1)
            decoder.Receive(new RlncEncoder(peer, placement.BatchesOf(peer).ToDictionary(b => b, b => data[b]), random).Next());

        var result = decoder.Decode();
        Assert.True(result.IsComplete);
        foreach (var b in new[] { 3, 4, 5 }) Assert.Equal(data[b], result.Batches[b]);
    }

    private static byte[] Products(byte[][] rows, byte[] x) =>
        rows.Select(row => row.Select((c, i) => GF256.Mul(c, x[i])).Aggregate((byte)0, (s, v) => (byte)(s ^ v))).ToArray();

    private static int Rank(byte[][] matrix)
    {
        var m = matrix.Select(r => (byte[])r.Clone()).ToArray();
        int rank = 0;
        for (int col = 0; col < m[0].Length && rank < m.Length; col++)
        {
            int pivot = Array.FindIndex(m, rank, r => r[col] != 0);
            if (pivot < 0) continue;
            (m[rank], m[pivot]) = (m[pivot], m[rank]);
            byte inv = GF256.Inv(m[rank][col]);
            GfKernels.Scalar.Mul(inv, m[rank], m[rank]);
            for (int r = 0; r < m.Length; r++)
                if (r != rank && m[r][col] != 0) GfKernels.Scalar.MulAdd(m[r][col], m[rank], m[r]);
            rank++;
        }
        return rank;
    }
}
