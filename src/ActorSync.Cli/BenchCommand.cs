using System.CommandLine;
using System.Text.Json;
using Spectre.Console;

namespace ActorSync.Cli;

/// <summary><c>actorsync bench coding</c>: kernel and decode throughput as JSON or a table.</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "print JSON" };
        var bufferBytes = new Option<int>("--buffer-bytes") { Description = "kernel buffer size", DefaultValueFactory = _ => 64 * 1024 };
        var sampleMs = new Option<int>("--sample-ms") { Description = "duration of each of the five samples", DefaultValueFactory = _ => 400 };

        var coding = new Command("coding", "Throughput of XOR, GF(256) mul-add per kernel, SHA-256 and RLNC decode") { json, bufferBytes, sampleMs };
        coding.SetAction(parse =>
        {
            int size = parse.GetValue(bufferBytes), sample = parse.GetValue(sampleMs);
            if (size < 1) return CliErrors.Fail($"--buffer-bytes must be at least 1; got {size}.");
            if (sample < 1) return CliErrors.Fail($"--sample-ms must be at least 1; got {sample}.");
            var result = CodingBench.Run(size, TimeSpan.FromMilliseconds(sample));
            if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(result, BenchJsonContext.Default.CodingBenchResult));
            else Render(result);
            return 0;
        });
        return new Command("bench", "Measure throughput") { coding };
    }

    private static void Render(CodingBenchResult result)
    {
        var table = new Table().Title($"Coding throughput, kernel {result.Kernel}, {result.BufferBytes} B buffers (GB/s, median of 5)")
            .AddColumns("measure", "GB/s");
        table.AddRow("XOR", result.XorGBps.ToString("0.00"));
        foreach (var (name, gbps) in result.MulAddPerKernelGBps) table.AddRow($"mul-add {name}", gbps.ToString("0.00"));
        table.AddRow("SHA-256", result.Sha256GBps.ToString("0.00"));
        table.AddRow($"RLNC decode, u={result.DecodeUnknowns}, {result.DecodeBatchBytes / 1024} KiB batches", result.DecodeGBps.ToString("0.00"));
        table.AddRow("RLNC decode + SHA-256 check of each batch", result.DecodeVerifiedGBps.ToString("0.00"));
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"mul-add / XOR = {result.MulAddOverXor:0.00} (target ≥ 0.70: {(result.MeetsMulAddTarget ? "met" : "[red]missed[/]")}); " +
            $"decode ≥ 1 GB/s: {(result.MeetsDecodeTarget ? "met" : "[red]missed[/]")}; mul-add / scalar = {result.MulAddOverScalar:0.0}×");
    }
}
