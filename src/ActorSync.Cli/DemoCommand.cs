using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using ActorSync.Coding;
using ActorSync.Control;
using ActorSync.Data;
using ActorSync.Data.MySql;
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
public static partial class DemoCommand
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
        var csvPath = csv ?? FindData("bank.csv");
        var placement = new Placement(K, R, Eta);
        console.Write(new Rule("[bold]ActorSync demo[/]"));
        console.WriteLine($"K = {K} nodes, r = {R} (each batch on {R} nodes), η = {Eta}: N = {placement.BatchCount} batches, {placement.BatchesPerNode} per node; data {csvPath}");

        var work = Path.Combine(Path.GetTempPath(), "actorsync-demo-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        DemoSource? demoSource = null;
        LocalCluster? cluster = null;
        var steps = new List<Step>();
        var clock = Stopwatch.StartNew();
        try
        {
            // 1. The source.
            demoSource = await DemoSource.StartAsync(mysql, sourceKind, work);
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
            int cyclesBefore = await LastCycleAsync(cluster);
            await CrashAsync(cluster, "node-2", wipeJournal: false, work);
            var held = await AwaitNodeHoldsAsync(cluster, "node-2", placement.BatchesPerNode);
            console.WriteLine($"node-2 is back and holds {held} again, replayed from its journal");
            var afterRestart = await AwaitCycleAsync(cluster, cyclesBefore, "repair");
            steps.Add(afterRestart with { Name = "journal restart" });

            // 5. A node loses its disk: peers repair it.
            if (!quick)
            {
                console.Write(new Rule("3. kill -9 node-3 and delete its journal: direct repair from peers"));
                cyclesBefore = await LastCycleAsync(cluster);
                await CrashAsync(cluster, "node-3", wipeJournal: true, work);
                var repair = await AwaitCycleAsync(cluster, cyclesBefore, "repair");
                steps.Add(repair with { Name = "lost disk, repaired" });
                console.WriteLine($"node-3 now holds {await AwaitNodeHoldsAsync(cluster, "node-3", placement.BatchesPerNode)} (peer.repair bytes {repair.PeerBytes}, source bytes {repair.SourceBytes})");
            }

            // 6. The source dies; a node loses its disk meanwhile; coded peer recovery rebuilds it.
            console.Write(new Rule($"4. stop the {demoSource.Label} source; node-4 loses its disk: linear-coded peer recovery"));
            if (!demoSource.CanStop)
                console.WriteLine("(--mysql given: the demo cannot stop that server, so this step is skipped)");
            else
            {
                cyclesBefore = await LastCycleAsync(cluster);
                var stopped = Stopwatch.StartNew();
                await demoSource.StopAsync();
                await AwaitModeAsync(cluster, "recovery");
                console.WriteLine($"mode → recovery {stopped.Elapsed.TotalSeconds:0.0} s after {demoSource.StoppedHow}");
                var recovery = await AwaitCycleAsync(cluster, cyclesBefore, "recovery");
                steps.Add(recovery with { Name = "source down" });
                cyclesBefore = await LastCycleAsync(cluster);
                await CrashAsync(cluster, "node-4", wipeJournal: true, work);
                var rebuilt = await AwaitCycleAsync(cluster, cyclesBefore, "recovery");
                steps.Add(rebuilt with { Name = "coded rebuild" });
                console.WriteLine($"node-4 holds {await AwaitNodeHoldsAsync(cluster, "node-4", placement.BatchesPerNode)}, rebuilt from peers' coded packets with the source down; " +
                                  $"Hub C: {rebuilt.Outcome}");

                console.Write(new Rule("5. the source returns"));
                await demoSource.StartAsync();
                await AwaitModeAsync(cluster, "normal");
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
            return equal ? 0 : 1;
        }
        finally
        {
            if (cluster is not null) await cluster.DisposeAsync();
            if (demoSource is not null) await demoSource.DisposeAsync();
            if (keep) console.WriteLine($"kept {work}");
            else TryDelete(work);
        }
    }

    private static async Task<(Step Step, long Xor)> SyncAsync(LocalCluster cluster)
    {
        await using var client = await CommandClient.ConnectAsync(cluster.OrchestratorEndpoint, cluster.Token, TimeSpan.FromSeconds(5));
        var replies = new List<Reply>();
        async IAsyncEnumerable<Reply> Keep()
        {
            await foreach (var reply in client.RunAsync(["sync", "start"]))
            {
                replies.Add(reply);
                yield return reply;
            }
        }
        bool ok = await ReplyRenderer.RenderAsync(Keep());
        var summary = replies.LastOrDefault(r => r.Kind is ReplyKind.Text or ReplyKind.Error)?.Text ?? "";
        if (!ok) throw new InvalidOperationException($"sync did not verify: {summary}");
        var links = replies.First(r => r.Kind == ReplyKind.Table).Rows!.ToDictionary(r => r[0], r => (Packets: long.Parse(r[1], CultureInfo.InvariantCulture), Bytes: long.Parse(r[2], CultureInfo.InvariantCulture)));
        long Of(string link, bool packets) => links.TryGetValue(link, out var use) ? packets ? use.Packets : use.Bytes : 0;
        var cycle = CyclePattern().Match(summary);
        var step = new Step("", "sync", long.Parse(cycle.Groups["ms"].Value, CultureInfo.InvariantCulture), Of("source.egress", true), Of("source.egress", false),
            Of("relay", false), Of("peer.recovery", false) + Of("peer.repair", false), "verified");
        return (step, long.Parse(XorPattern().Match(summary).Groups["xor"].Value, CultureInfo.InvariantCulture));
    }

    private static async Task CrashAsync(LocalCluster cluster, string node, bool wipeJournal, string work)
    {
        int pid = cluster.PidOf(node);
        LocalCluster.Signal(pid, LocalCluster.Sigkill);
        ReplyRenderer.Console.WriteLine($"kill -9 {node} (pid {pid})" + (wipeJournal ? ", journal deleted" : ""));
        if (wipeJournal)
        {
            // The launcher restarts it after a second; delete the journal before that.
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (LocalCluster.IsAlive(pid) && DateTime.UtcNow < deadline) await Task.Delay(20);
            foreach (var file in Directory.GetFiles(Path.Combine(work, "data", node), "*.journal.db*")) File.Delete(file);
        }
        var wait = DateTime.UtcNow.AddSeconds(60);
        while (cluster.PidOf(node) == pid)
        {
            if (DateTime.UtcNow > wait) throw new TimeoutException($"the launcher did not restart {node}.");
            await Task.Delay(100);
        }
    }

    private static async Task<string> AwaitNodeHoldsAsync(LocalCluster cluster, string node, int batches)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            var row = (await cluster.QueryAsync(["node", "list"])).Rows?.FirstOrDefault(r => r[0] == node);
            if (row is not null && row[1] == "alive" && int.TryParse(row[3], out int count) && count >= batches) return row[4];
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{node} did not come back with its {batches} batches: {string.Join(" ", row ?? [])}");
            await Task.Delay(500);
        }
    }

    private static async Task AwaitModeAsync(LocalCluster cluster, string mode)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            await using var client = await CommandClient.ConnectAsync(cluster.OrchestratorEndpoint, cluster.Token, TimeSpan.FromSeconds(5));
            await foreach (var reply in client.RunAsync(["recovery", "status"]))
                if (reply.Kind == ReplyKind.Text && reply.Text!.StartsWith($"mode: {mode};", StringComparison.Ordinal)) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the cluster did not switch to {mode} mode.");
            await Task.Delay(200);
        }
    }

    private static async Task<int> LastCycleAsync(LocalCluster cluster)
    {
        var rows = (await cluster.QueryAsync(["sync", "status"])).Rows ?? [];
        return rows.Length == 0 ? 0 : int.Parse(rows[^1][0], CultureInfo.InvariantCulture);
    }

    /// <summary>Waits for the next finished cycle of the kind after <paramref name="after"/>, from `sync status`.</summary>
    private static async Task<Step> AwaitCycleAsync(LocalCluster cluster, int after, string kind)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            var rows = (await cluster.QueryAsync(["sync", "status"])).Rows ?? [];
            var row = rows.FirstOrDefault(r => int.Parse(r[0], CultureInfo.InvariantCulture) > after && r[1] == kind);
            if (row is not null)
            {
                long N(int i) => long.Parse(row[i], CultureInfo.InvariantCulture);
                var step = new Step("", kind, N(4), 0, N(5), N(6), N(7), row[9]);
                ReplyRenderer.Console.WriteLine($"cycle {row[0]} ({kind}, {row[2]} mode): {row[9]} in {row[4]} ms");
                if (step.Outcome.StartsWith("failed", StringComparison.Ordinal)) throw new InvalidOperationException($"cycle {row[0]} ({kind}) {step.Outcome}");
                return step;
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no {kind} cycle ran after cycle {after}.");
            await Task.Delay(500);
        }
    }

    /// <summary>The demo's source, and how the demo stops it (a crash) and brings it back.</summary>
    private sealed class DemoSource : IAsyncDisposable
    {
        private LocalMariaDb? _server;
        private string? _sqliteFile;

        public required SourceChoice Choice { get; init; }
        public required string Description { get; init; }
        public required string Label { get; init; }
        public bool CanStop => _server is not null || _sqliteFile is not null;
        public string StoppedHow => _server is not null ? "mariadbd was killed" : "the source file was taken away";

        public static async Task<DemoSource> StartAsync(string? mysql, string kind, string work)
        {
            if (mysql is not null)
                return new DemoSource { Choice = new SourceChoice(mysql, null), Description = $"{new MySqlSource(mysql).Name} (--mysql)", Label = "MySQL" };
            if (kind == "mariadb" || (kind == "auto" && LocalMariaDb.IsInstalled))
            {
                if (!LocalMariaDb.IsInstalled)
                    throw new DataEdgeException("--source mariadb: mariadbd is not installed (`apt-get install -y mariadb-server`); use --source sqlite or --mysql CONN.");
                var server = await LocalMariaDb.StartNewAsync();
                return new DemoSource
                {
                    _server = server,
                    Choice = new SourceChoice(await server.CreateDatabaseAsync("bank"), null),
                    Description = "a throwaway MariaDB (mariadbd on a temp datadir, 127.0.0.1 only)",
                    Label = "MySQL",
                };
            }
            var file = Path.Combine(work, "source.db");
            return new DemoSource
            {
                _sqliteFile = file,
                Choice = new SourceChoice(null, file),
                Description = $"a SQLite file standing in for MySQL ({file}) — " +
                              (kind == "sqlite" ? "--source sqlite" : "mariadbd is not installed; install MariaDB or give --mysql CONN to use real MySQL"),
                Label = "SQLite-as-MySQL",
            };
        }

        /// <summary>Kills mariadbd as a crash would, or takes the SQLite source file away: either way hub-b's probe fails.</summary>
        public async Task StopAsync()
        {
            if (_server is not null) await _server.StopAsync();
            else if (_sqliteFile is not null) File.Move(_sqliteFile, _sqliteFile + ".stopped");
        }

        public async Task StartAsync()
        {
            if (_server is not null) await _server.StartAsync();
            else if (_sqliteFile is not null && File.Exists(_sqliteFile + ".stopped")) File.Move(_sqliteFile + ".stopped", _sqliteFile);
        }

        public async ValueTask DisposeAsync()
        {
            if (_server is not null) await _server.DisposeAsync();
        }
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

    [GeneratedRegex(@"in (?<ms>\d+) ms")]
    private static partial Regex CyclePattern();

    [GeneratedRegex(@"(?<xor>\d+) XOR")]
    private static partial Regex XorPattern();
}
