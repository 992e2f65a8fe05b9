using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using ActorSync.Cli;
using ActorSync.Data;
using ActorSync.Data.MySql;
using ActorSync.Tooling;
using Spectre.Console;

namespace ActorSync.Lab;

/// <summary>
/// `actorsync-lab chaos`: a seeded random sample of the fault matrix (<see cref="ChaosMatrix"/>) against a local
/// multi-process cluster (K=4, r=2; K=5, r=3 for the correlated cells) on real MariaDB (or the SQLite stand-in) and a real SQLite Hub C. It prints
/// scenario, fault, outcome, rows lost and recovery time, writes chaos.csv and chaos.md if asked, and exits 1 if any
/// cell lost rows, left Hub C half-applied, did not end verified, or took bad input without a clear refusal.
/// </summary>
public static class ChaosCommand
{
    private const int K = 4, R = 2, Eta = 1;

    public static Command Create()
    {
        var seed = new Option<int?>("--seed") { Description = "the sample's seed (default: random, printed so a run can be repeated)" };
        var sample = new Option<int>("--sample") { Description = "how many cells of the matrix to run", DefaultValueFactory = _ => 6 };
        var all = new Option<bool>("--all") { Description = "run every cell of the matrix (about 60; half an hour or more)" };
        var faults = new Option<string?>("--faults") { Description = "only these faults, comma-separated (see --list)" };
        var phases = new Option<string?>("--phases") { Description = "only these phases: placement, delivery, recovery, apply, reverse, follow, operator" };
        var list = new Option<bool>("--list") { Description = "print the matrix and exit" };
        var source = new Option<string>("--source") { Description = "auto, mariadb or sqlite (as for demo)", DefaultValueFactory = _ => "auto" };
        source.AcceptOnlyFromAmong("auto", "mariadb", "sqlite");
        var output = new Option<string?>("--out") { Description = "folder for chaos.csv and chaos.md" };
        var keep = new Option<bool>("--keep") { Description = "keep the run's directory (logs, journals, hubc.db)" };
        var command = new Command("chaos", "Run a seeded sample of the fault matrix against a local cluster; exit 1 on any loss")
        {
            seed, sample, all, faults, phases, list, source, output, keep,
        };
        command.SetAction(parse =>
        {
            try
            {
                static string[] Split(string? text) => text?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
                bool mysql = parse.GetValue(source) == "mariadb" || (parse.GetValue(source) == "auto" && LocalMariaDb.IsInstalled);
                int chosenSeed = parse.GetValue(seed) ?? Random.Shared.Next(1, 100_000);
                if (parse.GetValue(sample) < 1) throw new ArgumentException($"--sample {parse.GetValue(sample)} must be at least 1.");
                var cells = ChaosMatrix.Sample(ChaosMatrix.All(mysql), chosenSeed, parse.GetValue(all) ? null : parse.GetValue(sample),
                    Split(parse.GetValue(faults)), Split(parse.GetValue(phases)));
                if (parse.GetValue(list))
                {
                    PrintMatrix(ChaosMatrix.All(mysql));
                    return 0;
                }
                return RunAsync(cells, chosenSeed, parse.GetValue(source)!, parse.GetValue(output), parse.GetValue(keep)).GetAwaiter().GetResult();
            }
            catch (ArgumentException error)
            {
                return CliErrors.Fail(error);
            }
            catch (Exception error) when (error is DataEdgeException or InvalidOperationException or TimeoutException or IOException)
            {
                return CliErrors.Fail(error.Message);
            }
        });
        return command;
    }

    private enum ClusterKind { Main, Follow, Wide }

    private static ClusterKind ClusterOf(ChaosScenario cell) =>
        ChaosMatrix.NeedsWideCluster(cell.Fault) ? ClusterKind.Wide : cell.Phase == "follow" ? ClusterKind.Follow : ClusterKind.Main;

    private static async Task<int> RunAsync(IReadOnlyList<ChaosScenario> cells, int seed, string sourceKind, string? output, bool keep)
    {
        var console = ReplyRenderer.Console;
        LocalCluster.KillMembersOnInterrupt();
        var work = Path.Combine(Path.GetTempPath(), "actorsync-chaos-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        LocalSource? source = null;
        LocalCluster? cluster = null;
        var results = new List<ChaosResult>();
        var clock = Stopwatch.StartNew();
        try
        {
            console.Write(new Rule("[bold]ActorSync chaos[/]"));
            console.WriteLine($"seed {seed}: {cells.Count} cell(s): {string.Join(", ", cells.Select(c => c.Name))}");
            source = await LocalSource.StartAsync(null, sourceKind, work, binaryLog: true); // the follow phase reads its binlog
            var open = source.Choice.Open();
            long rows = await BankSeeder.SeedAsync(open, "bank", BankRow.ReadCsv(DemoCommand.FindData("bank.csv")), replace: true);
            console.WriteLine($"source: {source.Description}; {rows} rows in table bank");
            // Correlated cells need r − 1 = 2: they run on a cluster of their own, K = 5 and r = 3, after the others. The
            // follow cells run on one whose first sync is one-way: continuous sync refuses a destination that logs local edits.
            foreach (var group in cells.GroupBy(ClusterOf).OrderBy(g => g.Key))
            {
                var (k, r) = group.Key == ClusterKind.Wide ? (ChaosMatrix.WideNodes, ChaosMatrix.WideRedundancy) : (K, R);
                var settings = new Dictionary<string, string>
                {
                    ["ACTORSYNC_K"] = $"{k}", ["ACTORSYNC_R"] = $"{r}", ["ACTORSYNC_ETA"] = $"{Eta}", ["ACTORSYNC_CHAOS"] = "on",
                };
                var state = Path.Combine(work, $"k{k}-r{r}-{group.Key.ToString().ToLowerInvariant()}");
                cluster = await LocalCluster.StartAsync(new LocalCluster.Options(state, source.Choice, null, [], settings), line => console.WriteLine(line), TimeSpan.FromMinutes(2));
                // Bidirectional from the start: Hub C records local edits only once a bidirectional sync enabled capture.
                var first = await SyncRunner.StartAsync(cluster, render: false, group.Key == ClusterKind.Follow ? [] : ["--bidirectional"]);
                if (!first.Verified) throw new InvalidOperationException($"the first sync (K={k}, r={r}) did not verify: {first.Summary}");
                console.WriteLine($"cluster K={k}, r={r} formed and synced ({clock.Elapsed.TotalSeconds:0} s); faults follow");

                var runner = new ChaosRunner(cluster, source, await open.DiscoverAsync(["bank"]), seed, line => console.WriteLine(line));
                foreach (var cell in group)
                {
                    console.WriteLine($"[{results.Count + 1}/{cells.Count}] {cell.Name}");
                    var result = await runner.RunAsync(cell);
                    results.Add(result);
                    console.WriteLine($"  {result.Outcome}; rows lost {result.RowsLost}; {ChaosRunner.Seconds(result.RecoverySeconds)} s; cycle: {result.FaultedCycle}; {result.Detail}");
                }
                await cluster.DisposeAsync();
                cluster = null;
            }
        }
        finally
        {
            if (cluster is not null) await cluster.DisposeAsync();
            if (source is not null) await source.DisposeAsync();
            if (keep) console.WriteLine($"kept {work}");
            else Scratch.TryDelete(work);
        }

        return Report(results, seed, output, clock.Elapsed);
    }

    /// <returns>The exit code: 0 when every cell passed.</returns>
    private static int Report(IReadOnlyList<ChaosResult> results, int seed, string? output, TimeSpan elapsed)
    {
        var console = ReplyRenderer.Console;
        var table = new Table().Border(TableBorder.Rounded).AddColumns("scenario", "fault", "outcome", "rows lost", "recovery s", "faulted cycle");
        foreach (var r in results)
            table.AddRow(Markup.Escape(r.Scenario.Name), Markup.Escape(r.Detail), r.Passed ? r.Outcome : $"[red]{Markup.Escape(r.Outcome)}[/]",
                r.RowsLost.ToString(CultureInfo.InvariantCulture), ChaosRunner.Seconds(r.RecoverySeconds), Markup.Escape(r.FaultedCycle));
        console.Write(table);
        if (output is not null) Write(output, results, seed);
        int failed = results.Count(r => !r.Passed);
        long lost = results.Sum(r => r.RowsLost);
        console.WriteLine($"chaos: {results.Count} cell(s), {results.Count - failed} passed, {failed} failed; rows lost {lost}; seed {seed}; {elapsed.TotalSeconds:0} s");
        return failed == 0 ? 0 : 1;
    }

    private static void PrintMatrix(IReadOnlyList<ChaosScenario> cells)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumns("fault", "what it does", "phases");
        foreach (var group in cells.GroupBy(c => c.Fault))
        {
            table.AddRow(group.Key, Markup.Escape(ChaosMatrix.Describe(group.Key)), string.Join(", ", group.Select(c => c.Phase)));
        }
        ReplyRenderer.Console.Write(table);
        ReplyRenderer.Console.WriteLine($"{cells.Count} cells");
    }

    private static void Write(string folder, IReadOnlyList<ChaosResult> results, int seed)
    {
        Directory.CreateDirectory(folder);
        static string Csv(string value) => "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
        var csv = new StringBuilder("scenario,fault,phase,outcome,rows_lost,recovery_seconds,faulted_cycle,detail\n");
        foreach (var r in results)
            csv.AppendLine(string.Join(",", Csv(r.Scenario.Name), r.Scenario.Fault, r.Scenario.Phase, Csv(r.Outcome), r.RowsLost.ToString(CultureInfo.InvariantCulture),
                ChaosRunner.Seconds(r.RecoverySeconds), Csv(r.FaultedCycle), Csv(r.Detail)));
        File.WriteAllText(Path.Combine(folder, "chaos.csv"), csv.ToString());
        var md = new StringBuilder($"# Chaos run, seed {seed}\n\n| scenario | outcome | rows lost | recovery s | faulted cycle | detail |\n|---|---|---|---|---|---|\n");
        foreach (var r in results)
            md.AppendLine($"| {r.Scenario.Name} | {r.Outcome} | {r.RowsLost} | {ChaosRunner.Seconds(r.RecoverySeconds)} | {r.FaultedCycle.Replace("|", "/", StringComparison.Ordinal)} | {r.Detail.Replace("|", "/", StringComparison.Ordinal)} |");
        File.WriteAllText(Path.Combine(folder, "chaos.md"), md.ToString());
    }

}
