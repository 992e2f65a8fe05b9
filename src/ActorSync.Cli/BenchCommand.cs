using System.CommandLine;
using System.Text.Json;
using ActorSync.Data.MySql;
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
        return new Command("bench", "Measure throughput") { coding, Data() };
    }

    private static Command Data()
    {
        var mysql = DataOptions.MySql();
        var json = new Option<bool>("--json") { Description = "print JSON" };
        var rows = new Option<long>("--rows") { Description = "synthetic bank rows to load into table bench_bank", DefaultValueFactory = _ => 1_000_000 };
        var batches = new Option<int>("--batches") { Description = "N, the number of batches", DefaultValueFactory = _ => 12 };
        var command = new Command("data", "Rows/s of MySQL read, snapshot, SQLite apply and verify (replaces table bench_bank)") { mysql, json, rows, batches };
        command.SetAction(parse => DataOptions.Run(async () =>
        {
            var source = new MySqlSource(DataOptions.Require(parse, mysql, DataOptions.MySqlVariable));
            var result = await DataBench.RunAsync(source, parse.GetValue(rows), parse.GetValue(batches), Path.GetTempPath());
            if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(result, DataBenchJsonContext.Default.DataBenchResult));
            else
            {
                var table = new Table().Title($"{result.Rows:N0} bank rows, {result.Batches} batches (rows/s)").AddColumns("stage", "rows/s");
                table.AddRow("MySQL read + encode (read ceiling)", result.ReadRowsPerSecond.ToString("N0"));
                table.AddRow("snapshot into key-hash batches", result.SnapshotRowsPerSecond.ToString("N0"));
                table.AddRow("SQLite apply (write ceiling)", result.ApplyRowsPerSecond.ToString("N0"));
                table.AddRow("verify, both sides (rows read/s)", result.VerifyRowsPerSecond.ToString("N0"));
                table.AddRow("pipeline: snapshot then apply", result.PipelineRowsPerSecond.ToString("N0"));
                AnsiConsole.Write(table);
            }
            return 0;
        }));
        return command;
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
