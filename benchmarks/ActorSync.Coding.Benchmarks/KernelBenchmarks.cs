using ActorSync.Coding.Kernels;
using BenchmarkDotNet.Attributes;

namespace ActorSync.Coding.Benchmarks;

/// <summary>Each supported kernel at L1, L2 and DRAM-sized buffers. Compare within one run: the machine is noisy.</summary>
[MemoryDiagnoser]
public class KernelBenchmarks
{
    private byte[] _src = [];
    private byte[] _dst = [];
    private GfKernel _kernel = GfKernels.Scalar;

    public static IEnumerable<string> Kernels => GfKernels.Supported.Select(k => k.Name);

    [ParamsSource(nameof(Kernels))]
    public string Kernel { get; set; } = "scalar";

    [Params(4 * 1024, 64 * 1024, 8 * 1024 * 1024)]
    public int Bytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _kernel = GfKernels.ByName(Kernel);
        _src = new byte[Bytes];
        _dst = new byte[Bytes];
        new Random(1).NextBytes(_src);
    }

    [Benchmark(Baseline = true)]
    public void Xor() => _kernel.Xor(_src, _dst);

    [Benchmark]
    public void MulAdd() => _kernel.MulAdd(0x8E, _src, _dst);
}
