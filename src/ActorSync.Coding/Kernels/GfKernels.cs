namespace ActorSync.Coding.Kernels;

/// <summary>Chooses the fastest kernel this CPU supports, once, at start-up.</summary>
public static class GfKernels
{
    /// <summary>Set to a kernel name (scalar, avx2, gfni-256, gfni-512) to force that kernel.</summary>
    public const string OverrideVariable = "ACTORSYNC_GF_KERNEL";

    public static readonly ScalarKernel Scalar = new();

    /// <summary>Every kernel, fastest first; <see cref="Supported"/> filters by CPU.</summary>
    public static IReadOnlyList<GfKernel> All { get; } =
        [new Gfni512Kernel(), new Gfni256Kernel(), new Avx2Kernel(), Scalar];

    public static IReadOnlyList<GfKernel> Supported { get; } = All.Where(k => k.IsSupported).ToArray();

    private static readonly Lazy<GfKernel> Chosen = new(() => Choose(Environment.GetEnvironmentVariable(OverrideVariable)));

    /// <summary>The fastest supported kernel, or the one named by <see cref="OverrideVariable"/>.</summary>
    public static GfKernel Best => Chosen.Value;

    public static GfKernel ByName(string name)
    {
        var kernel = All.FirstOrDefault(k => string.Equals(k.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException(
                $"unknown GF kernel '{name}'; known kernels: {string.Join(", ", All.Select(k => k.Name))}.", nameof(name));
        if (!kernel.IsSupported)
            throw new PlatformNotSupportedException(
                $"GF kernel '{kernel.Name}' is not supported by this CPU; supported: {string.Join(", ", Supported.Select(k => k.Name))}.");
        return kernel;
    }

    private static GfKernel Choose(string? requested) =>
        string.IsNullOrWhiteSpace(requested) ? Supported[0] : ByName(requested.Trim());
}
