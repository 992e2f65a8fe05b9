using System.Text.Json;

namespace ActorSync.Cli.Tests;

/// <summary>Checks the bench's output shape and sanity; speed itself is never asserted here.</summary>
public class BenchCommandTests
{
    [Fact]
    public void Bench_coding_json_reports_every_measure()
    {
        var result = CliRunner.Lab("bench", "coding", "--json", "--sample-ms", "5", "--buffer-bytes", "4096");

        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Stdout);
        var root = json.RootElement;
        foreach (var key in new[] { "xor_gbps", "muladd_gbps", "muladd_scalar_gbps", "decode_gbps", "decode_verified_gbps", "sha256_gbps" })
            Assert.True(root.GetProperty(key).GetDouble() > 0, key);
        Assert.Equal(20, root.GetProperty("decode_unknowns").GetInt32());
        Assert.Equal(65536, root.GetProperty("decode_batch_bytes").GetInt32());
        var kernel = root.GetProperty("kernel").GetString()!;
        Assert.True(root.GetProperty("muladd_per_kernel_gbps").TryGetProperty(kernel, out _));
    }
}
