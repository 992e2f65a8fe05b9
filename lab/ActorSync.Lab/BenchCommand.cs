using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ActorSync.Cli;
using ActorSync.Data;
using ActorSync.Data.MySql;
using ActorSync.Tooling;
using Spectre.Console;

namespace ActorSync.Lab;

/// <summary><c>actorsync-lab bench coding</c>: kernel and decode throughput as JSON or a table.</summary>
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
        return new Command("bench", "Measure throughput") { coding, Data(), Sync(), Cdc() };
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

    private static Command Sync()
    {
        var json = new Option<bool>("--json") { Description = "print JSON" };
        var rows = new Option<long>("--rows") { Description = "bank-shaped rows to sync", DefaultValueFactory = _ => 1_000_000 };
        var k = new Option<int>("-k", "--nodes") { Description = "K, the nodes", DefaultValueFactory = _ => 4 };
        var r = new Option<int>("-r", "--redundancy") { Description = "r, the nodes each batch is placed on", DefaultValueFactory = _ => 2 };
        var eta = new Option<int>("--eta") { Description = "η: N = η·C(K, r) batches", DefaultValueFactory = _ => 4 };
        var scheme = new Option<string>("--scheme") { Description = "leader, thesis-man, partial or direct", DefaultValueFactory = _ => "leader" };
        scheme.AcceptOnlyFromAmong([.. Coding.DeliveryCost.Names.Keys]);
        var mysql = new Option<string?>("--mysql") { Description = "use this MySQL database as the source (its table `bank` is replaced); default: a throwaway MariaDB" };
        var source = new Option<string>("--source") { Description = "auto, mariadb or sqlite (as for demo)", DefaultValueFactory = _ => "auto" };
        source.AcceptOnlyFromAmong("auto", "mariadb", "sqlite");
        var warm = new Option<int>("--warm") { Description = "warm cycles to run (every row changed before each); the median counts", DefaultValueFactory = _ => 3 };
        var keep = new Option<bool>("--keep") { Description = "keep the bench's directory (member logs, journals, the SQLite files) afterwards" };
        var set = new Option<string[]>("--set")
        {
            Description = "a member setting for this run, ACTORSYNC_…=VALUE (e.g. ACTORSYNC__ACTORSYNC__DESTINATION__READ_BACK=all); repeatable",
            DefaultValueFactory = _ => [],
        };
        var command = new Command("sync", "The cluster's warm sync of N rows against the bare read → insert pipe, and each member's peak memory and CPU")
        {
            json, rows, k, r, eta, scheme, mysql, source, warm, keep, set,
        };
        command.SetAction(parse =>
        {
            try
            {
                long count = parse.GetValue(rows) is var n and > 0 ? n : throw new ArgumentException($"--rows must be at least 1; got {parse.GetValue(rows)}.");
                Coding.Placement.Validate(parse.GetValue(k), parse.GetValue(r), parse.GetValue(eta));
                int warmCycles = parse.GetValue(warm) is var w and > 0 ? w : throw new ArgumentException($"--warm must be at least 1; got {parse.GetValue(warm)}.");
                bool asJson = parse.GetValue(json);
                var settings = (parse.GetValue(set) ?? []).Select(Setting).ToArray();
                var result = SyncBench.RunAsync(count, parse.GetValue(k), parse.GetValue(r), parse.GetValue(eta), parse.GetValue(scheme)!, parse.GetValue(mysql),
                    parse.GetValue(source)!, warmCycles, parse.GetValue(keep), settings, line => { if (!asJson) Console.WriteLine(line); }).GetAwaiter().GetResult();
                if (asJson) Console.WriteLine(JsonSerializer.Serialize(result, SyncBenchJsonContext.Default.SyncBenchResult));
                else
                {
                    Console.WriteLine($"{result.Rows:N0} rows: cluster {result.ClusterRowsPerSecond:N0} rows/s, bare pipe {result.PipeRowsPerSecond:N0} rows/s, ratio {result.Ratio:0.00} " +
                                      $"(target ≥ 0.70); largest member peak {result.MaxMemberPeakMiB} MiB; {result.CpuMillisPerWarmCycle:N0} CPU-ms per warm cycle");
                    foreach (var member in result.Members) Console.WriteLine($"  {member.Member,-14} {member.PeakMiB,6} MiB {member.CpuMillisPerWarmCycle,8:N0} CPU-ms");
                }
                return result.Verified ? 0 : 1;
            }
            catch (Exception error) when (error is DataEdgeException or ArgumentException or InvalidOperationException or TimeoutException or IOException or MySqlConnector.MySqlException)
            {
                return CliErrors.Fail(error.Message.Split(" (Parameter", 2)[0]);
            }
        });
        return command;
    }

    private static Command Cdc()
    {
        var json = new Option<bool>("--json") { Description = "print JSON" };
        var mysql = new Option<string?>("--mysql") { Description = "a MariaDB database with the binlog on (ROW, full images) to write into; default: a throwaway MariaDB" };
        var rate = new Option<int[]>("--rate") { Description = "row changes per second to commit; several (--rate 2500 --rate 5000 …) find the highest with p99 ≤ 1 s", DefaultValueFactory = _ => [5000], AllowMultipleArgumentsPerToken = true };
        var seconds = new Option<int>("--seconds") { Description = "how long each rate runs", DefaultValueFactory = _ => 20 };
        var command = new Command("cdc", "Continuous sync: commit-to-SQLite latency at R row changes/s, rows lost, idle CPU per member") { json, mysql, rate, seconds };
        command.SetAction(parse =>
        {
            try
            {
                var rates = parse.GetValue(rate) ?? [5000];
                if (rates.Length == 0 || rates.Any(r => r < 100)) throw new ArgumentException("--rate must be at least 100 row changes per second.");
                int duration = parse.GetValue(seconds) is var d and > 0 ? d : throw new ArgumentException("--seconds must be at least 1.");
                bool asJson = parse.GetValue(json);
                var result = CdcBench.RunAsync(parse.GetValue(mysql), rates, duration, line => { if (!asJson) Console.WriteLine(line); }).GetAwaiter().GetResult();
                if (asJson) Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(result, CdcBenchJsonContext.Default.CdcBenchResult));
                else Console.WriteLine($"p50 {result.P50Millis:0} ms, p99 {result.P99Millis:0} ms at {result.Rate}/s (target ≤ 1000 ms at 5000/s); " +
                    $"max sustained {result.MaxSustainedRate?.ToString(CultureInfo.InvariantCulture) ?? "none"}; rows lost {result.RowsLost}; {(result.Verified ? "verified" : "NOT verified")}");
                return result.Verified && result.RowsLost == 0 ? 0 : 1;
            }
            catch (Exception error) when (error is DataEdgeException or ArgumentException or InvalidOperationException or TimeoutException or IOException or MySqlConnector.MySqlException)
            {
                return CliErrors.Fail(error.Message.Split(" (Parameter", 2)[0]);
            }
        });
        return command;
    }

    private static KeyValuePair<string, string> Setting(string text)
    {
        int equals = text.IndexOf('=');
        if (equals <= 0 || !text.StartsWith("ACTORSYNC_", StringComparison.Ordinal))
            throw new ArgumentException($"--set '{text}': a member setting is ACTORSYNC_…=VALUE.");
        return new(text[..equals], text[(equals + 1)..]);
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
