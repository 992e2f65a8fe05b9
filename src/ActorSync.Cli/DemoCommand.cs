using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ActorSync.Coding;
using ActorSync.Control;
using ActorSync.Data;
using ActorSync.Data.Seed;
using ActorSync.Data.Sqlite;
using ActorSync.Data.Verify;
using Spectre.Console;

namespace ActorSync.Cli;

/// <summary>
/// `actorsync demo`: the whole story on this machine with real processes. A throwaway MariaDB (or --mysql, or, where no
/// MariaDB is installed, a SQLite file standing in for MySQL) holds the bank data; a local cluster (K=4, r=2) syncs it
/// to SQLite; then a node is killed and comes back from its journal, a
/// node loses its disk and is repaired from peers, the source is stopped while a node is rebuilt by coded peer
/// recovery, and the source returns. It ends with bytes per link and an independent source-vs-destination check.
/// </summary>
public static class DemoCommand
{
    private const int K = 4, R = 2, Eta = 1;

    public static Command Create()
    {
        var mysql = new Option<string?>("--mysql") { Description = "use this MySQL/MariaDB database instead of a throwaway mariadbd (its table `bank` is replaced)" };
        var source = new Option<string>("--source")
        {
            Description = "auto: a throwaway mariadbd if installed, else a SQLite file standing in for MySQL; mariadb; or sqlite",
            DefaultValueFactory = _ => "auto",
        };
        source.AcceptOnlyFromAmong("auto", "mariadb", "sqlite");
        var csv = new Option<string?>("--csv") { Description = "the bank CSV to load (default: data/bank.csv)" };
        var quick = new Option<bool>("--quick") { Description = "skip the lost-disk repair step (CI)" };
        var keep = new Option<bool>("--keep") { Description = "keep the demo's directory (logs, journals, hubc.db) afterwards" };
        var command = new Command("demo", "Run the whole story locally: sync, node crash and journal restart, repair, source down with coded recovery, source back")
        {
            mysql, source, csv, quick, keep,
        };
        command.SetAction(parse =>
        {
            try
            {
                return RunAsync(parse.GetValue(mysql), parse.GetValue(source)!, parse.GetValue(csv), parse.GetValue(quick), parse.GetValue(keep)).GetAwaiter().GetResult();
            }
            catch (Exception error) when (error is DataEdgeException or InvalidOperationException or TimeoutException or IOException)
            {
                return CliErrors.Fail(error.Message);
            }
        });
        return command;
    }

    private sealed record Step(string Name, string Kind, long Millis, long SourcePackets, long SourceBytes, long RelayBytes, long PeerBytes, string Outcome);

    private static async Task<int> RunAsync(string? mysql, string sourceKind, string? csv, bool quick, bool keep)
    {
        var console = ReplyRenderer.Console;
        LocalCluster.KillMembersOnInterrupt();
        var csvPath = csv ?? FindData("bank.csv");
        var placement = new Placement(K, R, Eta);
        console.Write(new Rule("[bold]ActorSync demo[/]"));
        console.WriteLine($"K = {K} nodes, r = {R} (each batch on {R} nodes), η = {Eta}: N = {placement.BatchCount} batches, {placement.BatchesPerNode} per node; data {csvPath}");

        var work = Path.Combine(Path.GetTempPath(), "actorsync-demo-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        LocalSource? demoSource = null;
        LocalCluster? cluster = null;
        var steps = new List<Step>();
        var clock = Stopwatch.StartNew();
        bool succeeded = false;
        try
        {
            // 1. The source.
            demoSource = await LocalSource.StartAsync(mysql, sourceKind, work);
            console.WriteLine($"source: {demoSource.Description}");
            var source = demoSource.Choice.Open();
            long rows = await BankSeeder.SeedAsync(source, "bank", BankRow.ReadCsv(csvPath), replace: true);
            console.WriteLine($"seeded {rows} rows into {source.Name}, table bank");

            // 2. The cluster, as local processes.
            console.WriteLine("starting the local cluster: seed, orchestrator, hub-b, hub-c, 4 nodes …");
            var settings = new Dictionary<string, string> { ["ACTORSYNC_K"] = $"{K}", ["ACTORSYNC_R"] = $"{R}", ["ACTORSYNC_ETA"] = $"{Eta}" };
            cluster = await LocalCluster.StartAsync(new LocalCluster.Options(work, demoSource.Choice, null, [], settings), line => console.WriteLine(line), TimeSpan.FromMinutes(2));
            console.WriteLine($"cluster formed in {clock.Elapsed.TotalSeconds:0.0} s; every member's log is under {work}/logs");

            // 3. Sync.
            console.Write(new Rule($"1. sync {demoSource.Label} → nodes → SQLite"));
            var first = await SyncAsync(cluster);
            steps.Add(first.Step with { Name = "sync" });
            var xor = first.Xor;

            // 4. A node crashes and comes back from its journal.
            console.Write(new Rule("2. kill -9 node-2: it restarts from its journal"));
            int cyclesBefore = await ClusterScenarios.LastCycleAsync(cluster);
            await ClusterScenarios.CrashAsync(cluster, "node-2", wipeJournal: false, ReplyRenderer.Console.WriteLine);
            var held = await ClusterScenarios.AwaitNodeHoldsAsync(cluster, "node-2", placement.BatchesPerNode);
            console.WriteLine($"node-2 is back and holds {held} again, replayed from its journal");
            var afterRestart = await AwaitCycleAsync(cluster, cyclesBefore, "repair");
            steps.Add(afterRestart with { Name = "journal restart" });

            // 5. A node loses its disk: peers repair it.
            if (!quick)
            {
                console.Write(new Rule("3. kill -9 node-3 and delete its journal: direct repair from peers"));
                // Each fault lands on a settled cluster: kills faster than SBR removes the dead look like instability.
                await cluster.WaitFormedAsync(TimeSpan.FromMinutes(2));
                cyclesBefore = await ClusterScenarios.LastCycleAsync(cluster);
                await ClusterScenarios.CrashAsync(cluster, "node-3", wipeJournal: true, ReplyRenderer.Console.WriteLine);
                var repair = await AwaitCycleAsync(cluster, cyclesBefore, "repair");
                steps.Add(repair with { Name = "lost disk, repaired" });
                console.WriteLine($"node-3 now holds {await ClusterScenarios.AwaitNodeHoldsAsync(cluster, "node-3", placement.BatchesPerNode)} (peer.repair bytes {repair.PeerBytes}, source bytes {repair.SourceBytes})");
            }

            // 6. The source dies; a node loses its disk meanwhile; coded peer recovery rebuilds it.
            console.Write(new Rule($"4. stop the {demoSource.Label} source; node-4 loses its disk: linear-coded peer recovery"));
            if (!demoSource.CanStop)
                console.WriteLine("(--mysql given: the demo cannot stop that server, so this step is skipped)");
            else
            {
                cyclesBefore = await ClusterScenarios.LastCycleAsync(cluster);
                var stopped = Stopwatch.StartNew();
                await demoSource.StopAsync();
                await ClusterScenarios.AwaitModeAsync(cluster, "recovery");
                console.WriteLine($"mode → recovery {stopped.Elapsed.TotalSeconds:0.0} s after {demoSource.StoppedHow}");
                var recovery = await AwaitCycleAsync(cluster, cyclesBefore, "recovery");
                steps.Add(recovery with { Name = "source down" });
                await cluster.WaitFormedAsync(TimeSpan.FromMinutes(2));
                cyclesBefore = await ClusterScenarios.LastCycleAsync(cluster);
                await ClusterScenarios.CrashAsync(cluster, "node-4", wipeJournal: true, ReplyRenderer.Console.WriteLine);
                var rebuilt = await AwaitCycleAsync(cluster, cyclesBefore, "recovery");
                steps.Add(rebuilt with { Name = "coded rebuild" });
                console.WriteLine($"node-4 holds {await ClusterScenarios.AwaitNodeHoldsAsync(cluster, "node-4", placement.BatchesPerNode)}, rebuilt from peers' coded packets with the source down; " +
                                  $"Hub C: {rebuilt.Outcome}");

                console.Write(new Rule("5. the source returns"));
                await demoSource.StartAsync();
                await ClusterScenarios.AwaitModeAsync(cluster, "normal");
                console.WriteLine("mode → normal; recovery reset");
                var last = await SyncAsync(cluster);
                steps.Add(last.Step with { Name = "sync after return" });
            }

            // 7. Summary, and an independent check of the destination against the live source.
            console.Write(new Rule("summary"));
            var table = new Table().Border(TableBorder.Rounded).AddColumns("step", "cycle", "ms", "source packets", "source bytes", "relay bytes", "peer bytes", "outcome");
            foreach (var s in steps)
                table.AddRow(s.Name, s.Kind, s.Millis.ToString(CultureInfo.InvariantCulture), s.SourcePackets.ToString(CultureInfo.InvariantCulture),
                    s.SourceBytes.ToString(CultureInfo.InvariantCulture), s.RelayBytes.ToString(CultureInfo.InvariantCulture),
                    s.PeerBytes.ToString(CultureInfo.InvariantCulture), Markup.Escape(s.Outcome));
            console.Write(table);
            int missing = K * (placement.BatchCount - placement.BatchesPerNode);
            console.WriteLine($"coded delivery: {xor} XOR packets left the source (leader scheme, C(K-1,r)·η = {Combinatorics.Binomial(K - 1, R) * Eta}); " +
                              $"uncoded it would be {placement.BatchCount} with a multicast relay, or {missing} over unicast. " +
                              "Every node still receives the same bytes: coding saves on the source link only.");
            using var destination = new SqliteDestination(cluster.Destination);
            var comparisons = await Verifier.CompareAsync(source, destination, await source.DiscoverAsync(["bank"]));
            bool equal = comparisons.All(c => c.Equal) && steps.All(s => s.Outcome is "verified" or "repaired");
            foreach (var c in comparisons)
                console.WriteLine($"verification: {c.Table}: source {c.SourceRows} rows, destination {c.DestinationRows} rows, digests {(c.Equal ? "equal" : "DIFFER")}");
            console.WriteLine(equal ? $"demo verified: the destination equals the source after every fault ({clock.Elapsed.TotalSeconds:0} s)"
                : "demo FAILED: see the outcomes above and the logs");
            succeeded = equal;
            return equal ? 0 : 1;
        }
        finally
        {
            if (cluster is not null) await cluster.DisposeAsync();
            if (demoSource is not null) await demoSource.DisposeAsync();
            // A failed demo keeps its member logs: the error points at them.
            if (keep || !succeeded) console.WriteLine($"kept {work} (member logs in its logs/ folder)");
            else TryDelete(work);
        }
    }

    private static async Task<(Step Step, long Xor)> SyncAsync(LocalCluster cluster)
    {
        var run = await SyncRunner.StartAsync(cluster, render: true);
        if (!run.Verified) throw new InvalidOperationException($"sync did not verify: {run.Summary}");
        var step = new Step("", "sync", run.CycleMillis, run.Packets("source.egress"), run.Bytes("source.egress"),
            run.Bytes("relay"), run.Bytes("peer.recovery") + run.Bytes("peer.repair"), "verified");
        return (step, run.Count("XOR"));
    }

    /// <summary>Waits for the next cycle of the kind, prints it, and turns it into a summary step.</summary>
    private static async Task<Step> AwaitCycleAsync(LocalCluster cluster, int after, string kind)
    {
        var cycle = await ClusterScenarios.AwaitCycleAsync(cluster, after, kind);
        ReplyRenderer.Console.WriteLine($"cycle {cycle.Cycle} ({kind}, {cycle.Mode} mode): {cycle.Outcome} in {cycle.Millis} ms");
        return new Step("", kind, cycle.Millis, 0, cycle.SourceBytes, cycle.RelayBytes, cycle.PeerBytes, cycle.Outcome);
    }

    public static string FindData(string name)
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "data", name))) return Path.Combine(dir.FullName, "data", name);
        throw new DataEdgeException($"data/{name} was not found from {Directory.GetCurrentDirectory()}; give --csv FILE.");
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // best effort on a temp directory
        }
    }
}
