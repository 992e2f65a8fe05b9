using System.Diagnostics;
using System.Text.Json.Serialization;
using ActorSync.Cli;
using ActorSync.Coding;
using ActorSync.Coding.Kernels;
using ActorSync.Tooling;

namespace ActorSync.Lab;

/// <summary>Throughput of the coding kernels and of RLNC decoding, measured in one process so ratios are fair.</summary>
public sealed record CodingBenchResult(
    [property: JsonPropertyName("kernel")] string Kernel,
    [property: JsonPropertyName("buffer_bytes")] int BufferBytes,
    [property: JsonPropertyName("xor_gbps")] double XorGBps,
    [property: JsonPropertyName("muladd_gbps")] double MulAddGBps,
    [property: JsonPropertyName("muladd_scalar_gbps")] double MulAddScalarGBps,
    [property: JsonPropertyName("muladd_per_kernel_gbps")] IReadOnlyDictionary<string, double> MulAddPerKernelGBps,
    [property: JsonPropertyName("decode_unknowns")] int DecodeUnknowns,
    [property: JsonPropertyName("decode_batch_bytes")] int DecodeBatchBytes,
    [property: JsonPropertyName("decode_gbps")] double DecodeGBps,
    [property: JsonPropertyName("decode_verified_gbps")] double DecodeVerifiedGBps,
    [property: JsonPropertyName("sha256_gbps")] double Sha256GBps,
    [property: JsonPropertyName("muladd_over_xor")] double MulAddOverXor,
    [property: JsonPropertyName("muladd_over_scalar")] double MulAddOverScalar,
    [property: JsonPropertyName("target_muladd_at_least_70pct_of_xor")] bool MeetsMulAddTarget,
    [property: JsonPropertyName("target_decode_at_least_1_gbps")] bool MeetsDecodeTarget);

[JsonSerializable(typeof(CodingBenchResult))]
[JsonSourceGenerationOptions(WriteIndented = true)]
internal sealed partial class BenchJsonContext : JsonSerializerContext;

public static class CodingBench
{
    /// <param name="bufferBytes">Kernel buffer size; 64 KiB keeps source and destination in L2.</param>
    /// <param name="sampleTime">How long each of the five samples of a measurement runs; the median is reported.</param>
    public static CodingBenchResult Run(int bufferBytes, TimeSpan sampleTime, int unknowns = 20, int batchBytes = 64 * 1024)
    {
        var kernel = GfKernels.Best;
        var random = new Random(1);
        var src = new byte[bufferBytes];
        var dst = new byte[bufferBytes];
        random.NextBytes(src);
        random.NextBytes(dst);

        double Kernel(Action<byte[], byte[]> step) => Measure(() => { step(src, dst); return bufferBytes; }, sampleTime);
        double xor = Kernel((s, d) => kernel.Xor(s, d));
        var perKernel = GfKernels.Supported.ToDictionary(k => k.Name, k => Round(Kernel((s, d) => k.MulAdd(0x8E, s, d))));
        double mulAdd = perKernel[kernel.Name];
        double scalar = perKernel[GfKernels.Scalar.Name];
        double sha = Measure(() => { Digest.Of(src); return bufferBytes; }, sampleTime);
        double decode = MeasureDecode(unknowns, batchBytes, sampleTime, verify: false);
        double decodeVerified = MeasureDecode(unknowns, batchBytes, sampleTime, verify: true);

        return new CodingBenchResult(kernel.Name, bufferBytes, Round(xor), Round(mulAdd), Round(scalar), perKernel,
            unknowns, batchBytes, Round(decode), Round(decodeVerified), Round(sha),
            Math.Round(mulAdd / xor, 3), Math.Round(mulAdd / scalar, 1), mulAdd >= 0.7 * xor, decode >= 1.0);
    }

    /// <summary>
    /// Recovered bytes per second for a node missing <paramref name="unknowns"/> batches: receive u packets (the
    /// coefficient elimination, with each packet's checksum) and solve the payloads. With <paramref name="verify"/>
    /// each recovered batch is also checked against its SHA-256 manifest digest. Encoding is the sender's cost.
    /// </summary>
    private static double MeasureDecode(int unknowns, int batchBytes, TimeSpan sampleTime, bool verify)
    {
        var random = new Random(2);
        var batches = Enumerable.Range(0, unknowns).ToDictionary(b => b, _ =>
        {
            var batch = new byte[batchBytes];
            random.NextBytes(batch);
            return batch;
        });
        // Whole batches of content, in 64 KiB segments: verification checks every segment's SHA-256.
        var manifest = BatchManifest.Of(SegmentLayout.Default, batches.OrderBy(b => b.Key).Select(b => (ReadOnlyMemory<byte>)b.Value).ToArray());
        var encoder = new RlncEncoder(0, batches, random);
        var packets = Enumerable.Range(0, unknowns + 2).Select(_ => encoder.Next()).ToArray();
        var none = new Dictionary<int, byte[]>();

        return Measure(() =>
        {
            var decoder = new RlncDecoder(none, batches.Keys, batchBytes, verify ? manifest : null);
            foreach (var packet in packets)
            {
                if (decoder.IsFullRank) break;
                decoder.Receive(packet);
            }
            var result = decoder.Decode();
            if (!result.IsComplete) throw new InvalidOperationException("benchmark decode fell short of rank");
            return (long)unknowns * batchBytes;
        }, sampleTime);
    }

    /// <summary>Median GB/s over five samples after a warm-up; each sample repeats the work for <paramref name="sampleTime"/>.</summary>
    private static double Measure(Func<long> work, TimeSpan sampleTime)
    {
        var samples = new double[5];
        for (int i = -1; i < samples.Length; i++)
        {
            long bytes = 0;
            var clock = Stopwatch.StartNew();
            do bytes += work(); while (clock.Elapsed < sampleTime);
            if (i >= 0) samples[i] = bytes / clock.Elapsed.TotalSeconds / 1e9;
        }
        Array.Sort(samples);
        return samples[samples.Length / 2];
    }

    private static double Round(double value) => Math.Round(value, 2);
}
