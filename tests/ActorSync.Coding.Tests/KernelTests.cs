using ActorSync.Coding.Kernels;

namespace ActorSync.Coding.Tests;

public class KernelTests
{
    public static TheoryData<string> SupportedKernels()
    {
        var data = new TheoryData<string>();
        foreach (var kernel in GfKernels.Supported) data.Add(kernel.Name);
        return data;
    }

    private static IEnumerable<int> Lengths() => Enumerable.Range(0, 301).Concat([1 << 12, 65_536 + 17, (1 << 20) + 3]);

    [Theory]
    [MemberData(nameof(SupportedKernels))]
    public void MulAdd_equals_the_scalar_reference_for_every_length(string name)
    {
        var kernel = GfKernels.ByName(name);
        var random = new Random(name.GetHashCode(StringComparison.Ordinal));
        foreach (var length in Lengths())
        {
            var src = RandomBytes(random, length + 1)[1..]; // offset by one: unaligned spans
            var dst = RandomBytes(random, length);
            var expected = (byte[])dst.Clone();
            byte c = (byte)random.Next(256);

            GfKernels.Scalar.MulAdd(c, src, expected);
            kernel.MulAdd(c, src, dst);

            Assert.True(expected.AsSpan().SequenceEqual(dst), $"{name} mul-add differs at length {length}, c={c}");
        }
    }

    [Theory]
    [MemberData(nameof(SupportedKernels))]
    public void Mul_and_Xor_equal_the_scalar_reference_for_every_length(string name)
    {
        var kernel = GfKernels.ByName(name);
        var random = new Random(7);
        foreach (var length in Lengths())
        {
            var src = RandomBytes(random, length);
            var dst = RandomBytes(random, length);
            byte c = (byte)random.Next(256);
            var expectedMul = new byte[length];
            var expectedXor = (byte[])dst.Clone();
            GfKernels.Scalar.Mul(c, src, expectedMul);
            GfKernels.Scalar.Xor(src, expectedXor);

            var mul = new byte[length];
            kernel.Mul(c, src, mul);
            kernel.Xor(src, dst);

            Assert.True(expectedMul.AsSpan().SequenceEqual(mul), $"{name} mul differs at length {length}");
            Assert.True(expectedXor.AsSpan().SequenceEqual(dst), $"{name} xor differs at length {length}");
        }
    }

    [Theory]
    [MemberData(nameof(SupportedKernels))]
    public void Every_coefficient_multiplies_every_byte_correctly(string name)
    {
        var kernel = GfKernels.ByName(name);
        var all = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        for (int c = 0; c < 256; c++)
        {
            var product = new byte[256];
            kernel.MulAdd((byte)c, all, product);
            for (int x = 0; x < 256; x++) Assert.Equal(GF256.MulSlow((byte)c, (byte)x), product[x]);
        }
    }

    [Fact]
    public void Mismatched_lengths_are_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => GfKernels.Best.MulAdd(3, new byte[10], new byte[11]));
        Assert.Contains("10", error.Message);
    }

    [Fact]
    public void Unknown_kernel_name_lists_the_known_ones()
    {
        var error = Assert.Throws<ArgumentException>(() => GfKernels.ByName("sse9"));
        Assert.Contains("scalar", error.Message);
    }

    [Fact]
    public void The_chosen_kernel_is_a_supported_one()
    {
        Assert.Contains(GfKernels.Best, GfKernels.Supported);
        Assert.Contains(GfKernels.Scalar, GfKernels.Supported);
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
