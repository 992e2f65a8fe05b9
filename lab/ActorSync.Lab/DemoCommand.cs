using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ActorSync.Cli;
using ActorSync.Cluster;
using ActorSync.Cluster.Protocol;
using ActorSync.Coding;
using ActorSync.Control;
using ActorSync.Data;
using ActorSync.Data.Sqlite;
using ActorSync.Data.Verify;
using ActorSync.Tooling;
using Spectre.Console;

namespace ActorSync.Lab;

/// <summary>
/// `actorsync-lab demo`: the whole story on this machine with real processes. A throwaway MariaDB (or --mysql, or, where no
/// MariaDB is installed, a SQLite file standing in for MySQL) holds the bank data; a local cluster (K=4, r=2) syncs it
/// to SQLite; then a node is killed and comes back from its journal, a node loses its disk and is repaired from peers,
/// continuous sync carries rows written to MariaDB until MariaDB is killed mid-stream, the source stays down while a
/// node is rebuilt by coded peer recovery, and the source returns. It ends with bytes per link and an independent
/// source-vs-destination check.
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
        console.Write(new Rule("[bold]ActorSync demo[/]"));
        var placement = new Placement(K, R, Eta);
        console.WriteLine($"K = {K} nodes, r = {R} (each batch on {R} nodes), η = {Eta}: N = {placement.BatchCount} batches, {placement.BatchesPerNode} per node; data {csvPath}");
        var work = Path.Combine(Path.GetTempPath(), "actorsync-demo-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        var demo = new Demo(console, placement, work);
        bool succeeded = false;
        try
        {
            succeeded = await demo.RunAsync(mysql, sourceKind, csvPath, quick);
            return succeeded ? 0 : 1;
        }
        finally
        {
            await demo.DisposeAsync();
            // A failed demo keeps its member logs: the error points at them.
            if (keep || !succeeded) console.WriteLine($"kept {work} (member logs in its logs/ folder)");
            else Scratch.TryDelete(work);
        }
    }

    /// <summary>The demo's steps, one method each, over one source and one local cluster.</summary>
    private sealed class Demo(IAnsiConsole console, Placement placement, string work) : IAsyncDisposable
    {
        private readonly List<Step> _steps = [];
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private LocalSource? _source;
        private LocalCluster? _cluster;
        private long _xor;
        private FollowDemo? _follow;

        private LocalSource Source => _source!;

        private LocalCluster Cluster => _cluster!;

        public async Task<bool> RunAsync(string? mysql, string sourceKind, string csvPath, bool quick)
        {
            await StartAsync(mysql, sourceKind, csvPath);
            await FirstSyncAsync();
            await JournalRestartAsync();
            if (!quick) await LostDiskAsync();
            await FollowAsync();
            await SourceDownAsync();
            return await SummaryAsync();
        }

        /// <summary>The source (its binlog on, for continuous sync), seeded; then the cluster, as local processes.</summary>
        private async Task StartAsync(string? mysql, string sourceKind, string csvPath)
        {
            _source = await LocalSource.StartAsync(mysql, sourceKind, work, binaryLog: true);
            console.WriteLine($"source: {Source.Description}");
            var source = Source.Choice.Open();
            long rows = await BankSeeder.SeedAsync(source, "bank", BankRow.ReadCsv(csvPath), replace: true);
            console.WriteLine($"seeded {rows} rows into {source.Name}, table bank");
            console.WriteLine("starting the local cluster: seed, orchestrator, hub-b, hub-c, 4 nodes …");
            var settings = new Dictionary<string, string> { ["ACTORSYNC_K"] = $"{K}", ["ACTORSYNC_R"] = $"{R}", ["ACTORSYNC_ETA"] = $"{Eta}" };
            _cluster = await LocalCluster.StartAsync(new LocalCluster.Options(work, Source.Choice, null, [], settings), line => console.WriteLine(line), TimeSpan.FromMinutes(2));
            console.WriteLine($"cluster formed in {_clock.Elapsed.TotalSeconds:0.0} s; every member's log is under {work}/logs");
        }

        private async Task FirstSyncAsync()
        {
            console.Write(new Rule($"1. sync {Source.Label} → nodes → SQLite"));
            var first = await SyncAsync(Cluster);
            _steps.Add(first.Step with { Name = "sync" });
            _xor = first.Xor;
        }

        /// <summary>A node crashes and comes back from its journal.</summary>
        private async Task JournalRestartAsync()
        {
            console.Write(new Rule("2. kill -9 node-2: it restarts from its journal"));
            int cyclesBefore = await ClusterScenarios.LastCycleAsync(Cluster);
            await ClusterScenarios.CrashAsync(Cluster, "node-2", wipeJournal: false, console.WriteLine);
            var held = await ClusterScenarios.AwaitNodeHoldsAsync(Cluster, "node-2", placement.BatchesPerNode);
            console.WriteLine($"node-2 is back and holds {held} again, replayed from its journal");
            _steps.Add(await AwaitCycleAsync(Cluster, cyclesBefore, CycleKinds.Repair) with { Name = "journal restart" });
        }

        /// <summary>A node loses its disk: peers repair it.</summary>
        private async Task LostDiskAsync()
        {
            console.Write(new Rule("3. kill -9 node-3 and delete its journal: direct repair from peers"));
            // Each fault lands on a settled cluster: kills faster than SBR removes the dead look like instability.
            await Cluster.WaitFormedAsync(TimeSpan.FromMinutes(2));
            int cyclesBefore = await ClusterScenarios.LastCycleAsync(Cluster);
            await ClusterScenarios.CrashAsync(Cluster, "node-3", wipeJournal: true, console.WriteLine);
            var repair = await AwaitCycleAsync(Cluster, cyclesBefore, CycleKinds.Repair);
            _steps.Add(repair with { Name = "lost disk, repaired" });
            console.WriteLine($"node-3 now holds {await ClusterScenarios.AwaitNodeHoldsAsync(Cluster, "node-3", placement.BatchesPerNode)} (peer.repair bytes {repair.PeerBytes}, source bytes {repair.SourceBytes})");
        }

        /// <summary>Continuous sync from MariaDB's binlog; MariaDB killed mid-stream.</summary>
        private async Task FollowAsync()
        {
            console.Write(new Rule($"4. continuous sync: rows written to {Source.Label} reach SQLite; {Source.Label} killed mid-stream"));
            if (!Source.CanStop && Source.Choice.MySql is not null)
            {
                console.WriteLine("(--mysql given: the demo cannot kill that server mid-stream, so this step is skipped)");
                return;
            }
            _follow = await DemoFollow.RunAsync(Cluster, Source, console);
        }

        /// <summary>The source is down (killed mid-stream above, or stopped now); a node loses its disk meanwhile; coded peer recovery rebuilds it; the source returns.</summary>
        private async Task SourceDownAsync()
        {
            console.Write(new Rule($"5. the {Source.Label} source down; node-4 loses its disk: linear-coded peer recovery"));
            if (!Source.CanStop)
            {
                console.WriteLine("(--mysql given: the demo cannot stop that server, so this step is skipped)");
                return;
            }
            var stopped = Stopwatch.StartNew();
            int cyclesBefore = await ClusterScenarios.LastCycleAsync(Cluster);
            if (_follow is null) await Source.StopAsync();
            await ClusterScenarios.AwaitModeAsync(Cluster, Modes.Recovery);
            if (_follow is null)
            {
                console.WriteLine($"mode → recovery {stopped.Elapsed.TotalSeconds:0.0} s after {Source.StoppedHow}");
                _steps.Add(await AwaitCycleAsync(Cluster, cyclesBefore, CycleKinds.Recovery) with { Name = "source down" });
            }
            // Following, Hub C is ahead of the batch cache: the nodes' change logs serve it, and no cache recovery runs.
            else console.WriteLine("mode → recovery (the source was killed in step 4); Hub C is served from the nodes' change logs, not from the older batch cache");
            await Cluster.WaitFormedAsync(TimeSpan.FromMinutes(2));
            cyclesBefore = await ClusterScenarios.LastCycleAsync(Cluster);
            await ClusterScenarios.CrashAsync(Cluster, "node-4", wipeJournal: true, console.WriteLine);
            var rebuilt = await AwaitCycleAsync(Cluster, cyclesBefore, CycleKinds.Recovery);
            _steps.Add(rebuilt with { Name = "coded rebuild" });
            console.WriteLine($"node-4 holds {await ClusterScenarios.AwaitNodeHoldsAsync(Cluster, "node-4", placement.BatchesPerNode)}, rebuilt from peers' coded packets with the source down; " +
                              $"Hub C: {rebuilt.Outcome}");

            console.Write(new Rule("6. the source returns"));
            await Source.StartAsync();
            await ClusterScenarios.AwaitModeAsync(Cluster, Modes.Normal);
            console.WriteLine("mode → normal; recovery reset");
            if (_follow is { } follow)
            {
                bool arrived = await DemoFollow.AllArrivedAsync(Cluster, follow, TimeSpan.FromSeconds(60));
                console.WriteLine(arrived ? $"continuous sync resumed from its durable offset: all {follow.Committed.Count} rows committed before the kill are in SQLite"
                    : "continuous sync did NOT deliver every row committed before the kill");
                if (!arrived) throw new InvalidOperationException("rows committed before the source was killed did not reach SQLite.");
                await Cluster.QueryAsync(["sync", "stop"]);
            }
            _steps.Add((await SyncAsync(Cluster)).Step with { Name = "sync after return" });
        }

        /// <summary>Bytes per link, and an independent check of the destination against the live source.</summary>
        private async Task<bool> SummaryAsync()
        {
            console.Write(new Rule("summary"));
            var table = new Table().Border(TableBorder.Rounded).AddColumns("step", "cycle", "ms", "source packets", "source bytes", "relay bytes", "peer bytes", "outcome");
            foreach (var s in _steps)
                table.AddRow(s.Name, s.Kind, s.Millis.ToString(CultureInfo.InvariantCulture), s.SourcePackets.ToString(CultureInfo.InvariantCulture),
                    s.SourceBytes.ToString(CultureInfo.InvariantCulture), s.RelayBytes.ToString(CultureInfo.InvariantCulture),
                    s.PeerBytes.ToString(CultureInfo.InvariantCulture), Markup.Escape(s.Outcome));
            console.Write(table);
            int missing = K * (placement.BatchCount - placement.BatchesPerNode);
            console.WriteLine($"coded delivery: {_xor} XOR packets left the source (leader scheme, C(K-1,r)·η = {Combinatorics.Binomial(K - 1, R) * Eta}); " +
                              $"uncoded it would be {placement.BatchCount} with a multicast relay, or {missing} over unicast. " +
                              "Every node still receives the same bytes: coding saves on the source link only.");
            if (_follow is { } follow)
                console.WriteLine($"continuous sync: commit to SQLite p50 {follow.Percentile(0.5):0} ms, p99 {follow.Percentile(0.99):0} ms over {follow.Latencies.Count} rows; " +
                                  $"{follow.Applied} of {follow.Committed.Count} rows committed before the kill were applied from the nodes, the rest from the binlog once MariaDB was back");
            var source = Source.Choice.Open();
            using var destination = new SqliteDestination(Cluster.Destination);
            var comparisons = await Verifier.CompareAsync(source, destination, await source.DiscoverAsync(["bank"]));
            bool equal = comparisons.All(c => c.Equal) && _steps.All(s => s.Outcome is "verified" or "repaired");
            foreach (var c in comparisons)
                console.WriteLine($"verification: {c.Table}: source {c.SourceRows} rows, destination {c.DestinationRows} rows, digests {(c.Equal ? "equal" : "DIFFER")}");
            console.WriteLine(equal ? $"demo verified: the destination equals the source after every fault ({_clock.Elapsed.TotalSeconds:0} s)"
                : "demo FAILED: see the outcomes above and the logs");
            return equal;
        }

        public async ValueTask DisposeAsync()
        {
            if (_cluster is not null) await _cluster.DisposeAsync();
            if (_source is not null) await _source.DisposeAsync();
        }
    }

    private static async Task<(Step Step, long Xor)> SyncAsync(LocalCluster cluster)
    {
        var run = await SyncRunner.StartAsync(cluster, render: true);
        if (!run.Verified) throw new InvalidOperationException($"sync did not verify: {run.Summary}");
        var step = new Step("", CycleKinds.Sync, run.CycleMillis, run.Packets(LinkCounters.SourceEgress), run.Bytes(LinkCounters.SourceEgress),
            run.Bytes(LinkCounters.Relay), run.Bytes(LinkCounters.PeerRecovery) + run.Bytes(LinkCounters.PeerRepair), "verified");
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

}
