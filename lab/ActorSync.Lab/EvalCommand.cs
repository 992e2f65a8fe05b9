using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using ActorSync.Cli;
using ActorSync.Cluster;
using ActorSync.Cluster.Protocol;
using ActorSync.Coding;
using ActorSync.Data;
using ActorSync.Tooling;
using Spectre.Console;

namespace ActorSync.Lab;

/// <summary>
/// `actorsync-lab eval`: the thesis's sync experiments (chapter 5) on the real multi-process cluster. For each grid point
/// (K, r, η) and delivery mode it starts a fresh local cluster and syncs the source into empty caches (cold: the
/// members still compile their code), then changes every row and syncs again, --repeat times (warm: every batch is
/// new, so the caches help nothing). It records the packets and bytes per link next to the counts the formulas
/// give, the cold and median warm sync times, the members' CPU (median warm sync) and their peak memory. It writes results.csv, report.md and PNG plots, and exits 1 if any run did not verify or any count differs.
/// </summary>
public static class EvalCommand
{
    /// <summary>The thesis's (K, r) pairs (figures 5.1–5.7), each with η = 1..4.</summary>
    public static readonly (int K, int R)[] ThesisPairs = [(4, 2), (5, 2), (7, 2), (4, 3), (5, 3), (6, 3), (7, 3)];

    public sealed record Point(int K, int R, int Eta)
    {
        public int Batches => new Placement(K, R, Eta).BatchCount;
    }

    public sealed record Row(
        int K, int R, int Eta, int Batches, string Mode, int LatencyMillis, long Rows, long BatchBytes,
        long ExpectedSourcePackets, long SourcePackets, long ExpectedSourceBytes, long SourceBytes,
        long ExpectedRelayPackets, long RelayPackets, long ExpectedRelayBytes, long RelayBytes,
        long ExpectedNodeIngressPackets, long MinNodeIngressPackets, long MaxNodeIngressPackets,
        long UnicastSourcePackets, long ColdCycleMillis, long CycleMillis, long WallMillis, long CpuMillis, long PeakMemberMiB, long PeakTotalMiB,
        bool Verified)
    {
        public bool CountsMatch =>
            SourcePackets == ExpectedSourcePackets && SourceBytes == ExpectedSourceBytes &&
            RelayPackets == ExpectedRelayPackets && RelayBytes == ExpectedRelayBytes &&
            MinNodeIngressPackets == ExpectedNodeIngressPackets && MaxNodeIngressPackets == ExpectedNodeIngressPackets;
    }

    /// <summary>
    /// Tables 5.1–5.8: with the source down, each node in turn loses its disk and is rebuilt by RLNC from peers. It
    /// wants all N batches again (its M placed ones and the N−M delivered), so N packets is the least it can receive.
    /// </summary>
    public sealed record RecoveryResult(int K, int R, int Eta, int Batches, int Node, long CycleMillis, long RlncPackets, long PeerBytes, string Outcome);

    public static Command Create()
    {
        var quick = new Option<bool>("--quick") { Description = "the CI point only: K=4, r=2, η=1 (N=6), every mode" };
        var grid = new Option<string?>("--grid")
        {
            Description = "thesis (figures 5.1–5.7: seven (K,r) pairs, η=1..4), or points K:r:η separated by commas, e.g. 4:2:1,5:2:2",
        };
        var modes = new Option<string>("--modes") { Description = "delivery modes, comma-separated", DefaultValueFactory = _ => string.Join(",", DeliveryCost.Names.Keys) };
        var data = new Option<string>("--data") { Description = "bank (4,521 rows), bank-full (45,211), or synthetic:ROWS", DefaultValueFactory = _ => "bank" };
        var source = new Option<string>("--source") { Description = "auto, mariadb or sqlite (as for demo)", DefaultValueFactory = _ => "auto" };
        source.AcceptOnlyFromAmong("auto", "mariadb", "sqlite");
        var mysql = new Option<string?>("--mysql") { Description = "use this MySQL database as the source (its table `bank` is replaced)" };
        var latency = new Option<string>("--latency-ms")
        {
            Description = "the shaped source link's latency, one run per value, comma-separated (figure 5.11), e.g. 0,10,50",
            DefaultValueFactory = _ => "0",
        };
        var bandwidth = new Option<long>("--bandwidth") { Description = "the shaped source link's bytes per second (0: unshaped)", DefaultValueFactory = _ => 0 };
        var repeat = new Option<int>("--repeat") { Description = "warm syncs per run; times are their median (this machine's noise is large)", DefaultValueFactory = _ => 1 };
        var recovery = new Option<bool>("--recovery")
        {
            Description = "also, per grid point, stop the source and rebuild each node in turn by linear-coded peer recovery (tables 5.1–5.8)",
        };
        var output = new Option<string?>("--out") { Description = "folder for results.csv, report.md and the PNG plots (default: eval-results/TIMESTAMP)" };
        var command = new Command("eval", "Reproduce the thesis's sync experiments on the multi-process cluster: bytes and packets per link against the formulas, time, CPU, memory")
        {
            quick, grid, modes, data, source, mysql, latency, bandwidth, repeat, recovery, output,
        };
        command.SetAction(parse =>
        {
            try
            {
                var points = Points(parse.GetValue(quick), parse.GetValue(grid));
                var chosen = Modes(parse.GetValue(modes)!);
                var folder = parse.GetValue(output) ?? Path.Combine("eval-results", DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));
                var link = new LinkSettings(Latencies(parse.GetValue(latency)!), parse.GetValue(bandwidth) >= 0 ? parse.GetValue(bandwidth)
                    : throw new ArgumentException($"--bandwidth must be 0 (unshaped) or more bytes per second; got {parse.GetValue(bandwidth)}."));
                var dataName = parse.GetValue(data)!;
                int repeats = parse.GetValue(repeat) is var n and >= 1 and <= 50 ? n : throw new ArgumentException($"--repeat must be 1 to 50; got {parse.GetValue(repeat)}.");
                return RunAsync(points, chosen, link, repeats, parse.GetValue(recovery), dataName, Data(dataName), parse.GetValue(mysql), parse.GetValue(source)!, folder).GetAwaiter().GetResult();
            }
            catch (Exception error) when (error is DataEdgeException or ArgumentException or InvalidOperationException or TimeoutException or IOException or MySqlConnector.MySqlException)
            {
                return CliErrors.Fail(error.Message);
            }
        });
        return command;
    }

    public static IReadOnlyList<Point> Points(bool quick, string? grid)
    {
        if (quick && grid is not null) throw new ArgumentException("give --quick or --grid, not both.");
        if (quick || grid is null) return [new Point(4, 2, 1)];
        if (grid == "thesis") return [.. ThesisPairs.SelectMany(p => Enumerable.Range(1, 4).Select(eta => new Point(p.K, p.R, eta)))];
        return grid.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(text =>
        {
            var parts = text.Split(':');
            if (parts.Length != 3 || !parts.All(p => int.TryParse(p, CultureInfo.InvariantCulture, out _)))
                throw new ArgumentException($"--grid: '{text}' is not K:r:η (three whole numbers), e.g. 4:2:1.");
            var (k, r, eta) = (int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture), int.Parse(parts[2], CultureInfo.InvariantCulture));
            try { Placement.Validate(k, r, eta); }
            catch (ArgumentException error) { throw new ArgumentException($"--grid: {text}: {error.Message}", error); }
            return new Point(k, r, eta);
        }).ToList();
    }

    /// <summary>The shaped source link: one run per latency, all at one bandwidth (0: unshaped).</summary>
    public sealed record LinkSettings(IReadOnlyList<int> LatenciesMillis, long BytesPerSecond);

    public static IReadOnlyList<int> Latencies(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(value => int.TryParse(value, CultureInfo.InvariantCulture, out int ms) && ms >= 0 ? ms
                : throw new ArgumentException($"--latency-ms: '{value}' is not a whole number of milliseconds, 0 or more."))
            .Distinct().ToList();

    public static IReadOnlyList<DeliveryMode> Modes(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(name => DeliveryCost.Names.TryGetValue(name, out var mode) ? mode
                : throw new ArgumentException($"--modes: '{name}' is not one of: {string.Join(", ", DeliveryCost.Names.Keys)}."))
            .Distinct().ToList();

    private static IEnumerable<BankRow> Data(string data) => data switch
    {
        "bank" => BankRow.ReadCsv(DemoCommand.FindData("bank.csv")),
        "bank-full" => BankRow.ReadCsv(DemoCommand.FindData("bank-full.csv")),
        _ when data.StartsWith("synthetic:", StringComparison.Ordinal) && long.TryParse(data["synthetic:".Length..], CultureInfo.InvariantCulture, out long rows) && rows > 0
            => BankRow.Generate(rows),
        _ => throw new ArgumentException($"--data: '{data}' is not bank, bank-full or synthetic:ROWS (ROWS > 0)."),
    };

    private static async Task<int> RunAsync(IReadOnlyList<Point> points, IReadOnlyList<DeliveryMode> modes, LinkSettings link, int repeat, bool recovery, string data, IEnumerable<BankRow> dataRows, string? mysql, string sourceKind, string folder)
    {
        var console = ReplyRenderer.Console;
        LocalCluster.KillMembersOnInterrupt();
        Directory.CreateDirectory(folder);
        var work = Path.Combine(Path.GetTempPath(), "actorsync-eval-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        var rows = new List<Row>();
        var recoveries = new List<RecoveryResult>();
        bool completed = false;
        try
        {
            await using var source = await LocalSource.StartAsync(mysql, sourceKind, work);
            long seeded = await BankSeeder.SeedAsync(source.Choice.Open(), "bank", dataRows, replace: true);
            console.WriteLine($"source: {source.Description}; {seeded} rows ({data}); {points.Count} point(s) × {modes.Count} mode(s) × " +
                              $"{link.LatenciesMillis.Count} latency(ies), a fresh cluster each" + (link.BytesPerSecond > 0 ? $"; source link {link.BytesPerSecond} B/s" : ""));
            int run = 0;
            var runs = points.SelectMany(point => link.LatenciesMillis.SelectMany(latency => modes.Select(mode => (point, latency, mode))));
            foreach (var (point, latency, mode) in runs)
            {
                // The recovery pass runs once per point, on the cluster of its last mode and latency.
                bool recover = recovery && mode == modes[^1] && latency == link.LatenciesMillis[^1];
                var row = await RunOneAsync(point, mode, latency, link.BytesPerSecond, repeat, source, seeded, Path.Combine(work, $"run-{++run}"), recover ? recoveries : null);
                rows.Add(row);
                console.WriteLine($"K={row.K} r={row.R} η={row.Eta} N={row.Batches} {row.Mode,-10} +{row.LatencyMillis} ms: source {row.SourcePackets}/{row.ExpectedSourcePackets} packets, " +
                                  $"relay {row.RelayPackets}/{row.ExpectedRelayPackets}, sync {row.ColdCycleMillis} ms cold, {row.CycleMillis} ms warm, CPU {row.CpuMillis} ms, " +
                                  $"peak {row.PeakMemberMiB} MiB/member — {(row.Verified ? "verified" : "NOT VERIFIED")}, counts {(row.CountsMatch ? "match" : "DIFFER")}");
            }
            completed = rows.All(r => r.Verified && r.CountsMatch) && recoveries.All(r => r.Outcome == "verified");
        }
        finally
        {
            if (rows.Count > 0) Write(folder, rows, recoveries, data);
            // A failed run keeps every member's logs: the error points at them.
            if (!completed) console.WriteLine($"kept {work} (each run's member logs in run-N/logs)");
            else Scratch.TryDelete(work);
        }
        console.Write(Table(rows));
        bool ok = rows.All(r => r.Verified && r.CountsMatch) && recoveries.All(r => r.Outcome == "verified");
        console.WriteLine($"{rows.Count} runs; {rows.Count(r => r.Verified)} verified; {rows.Count(r => r.CountsMatch)} with measured counts equal to the formulas; results in {Path.GetFullPath(folder)}");
        return ok ? 0 : 1;
    }

    private static async Task<Row> RunOneAsync(Point point, DeliveryMode mode, int latencyMillis, long bytesPerSecond, int repeat, LocalSource source, long rows,
        string directory, List<RecoveryResult>? recoveries)
    {
        var settings = new Dictionary<string, string>
        {
            ["ACTORSYNC_K"] = $"{point.K}", ["ACTORSYNC_R"] = $"{point.R}", ["ACTORSYNC_ETA"] = $"{point.Eta}",
            ["ACTORSYNC_SCHEME"] = DeliveryCost.NameOf(mode),
            ["ACTORSYNC_SOURCE_LATENCY"] = $"{latencyMillis}ms", ["ACTORSYNC_SOURCE_BANDWIDTH"] = $"{bytesPerSecond}",
        };
        await using var cluster = await LocalCluster.StartAsync(new LocalCluster.Options(directory, source.Choice, null, [], settings), _ => { }, TimeSpan.FromMinutes(3));
        var pids = cluster.State().Members.Select(m => m.Pid).ToArray();
        var cold = await SyncRunner.StartAsync(cluster, render: false);
        var warm = new List<(SyncRun Sync, long Wall, long Cpu)>();
        for (int i = 0; i < repeat; i++)
        {
            // Every row changes, so every batch digest does: each warm sync moves the whole dataset again.
            await source.ExecuteAsync("UPDATE bank SET balance = balance + 1");
            var cpuBefore = CpuMillis(pids);
            var clock = Stopwatch.StartNew();
            var run = await SyncRunner.StartAsync(cluster, render: false);
            warm.Add((run, clock.ElapsedMilliseconds, CpuMillis(pids) - cpuBefore));
        }
        var peaks = pids.Select(MemberProcesses.PeakMiB).ToArray();
        if (recoveries is not null) await RecoverEachNodeAsync(cluster, point, source, recoveries);

        // Every sync, cold and warm, must put the same packets on the links the formulas cover, each of its own
        // batch size (changed rows can change the padded batch size by a few bytes).
        string[] covered = [LinkCounters.SourceEgress, LinkCounters.Relay, .. Enumerable.Range(0, point.K).Select(LinkCounters.NodeIngress)];
        var sync = warm[^1].Sync;
        var differing = warm.Select(w => w.Sync).Prepend(cold)
            .SelectMany(run => covered.Where(link => run.Packets(link) != sync.Packets(link) || run.Bytes(link) != run.Packets(link) * run.BatchSize)
                .Select(link => $"{link}: {run.Packets(link)} packets, {run.Bytes(link)} B (batch {run.BatchSize} B) against {sync.Packets(link)} packets"))
            .Distinct().ToArray();
        var unverified = warm.Select(w => w.Sync).Prepend(cold).Where(run => !run.Verified).Select(run => run.Summary).ToArray();
        if (unverified.Length > 0 || differing.Length > 0)
            ReplyRenderer.Console.WriteLine($"the syncs of one run differ: {string.Join("; ", unverified.Concat(differing))}");
        var cost = DeliveryCost.Of(mode, new Placement(point.K, point.R, point.Eta));
        var ingress = Enumerable.Range(0, point.K).Select(node => sync.Packets(LinkCounters.NodeIngress(node))).ToArray();
        long Median(IEnumerable<long> values) => values.Order().ElementAt(warm.Count / 2);
        return new Row(point.K, point.R, point.Eta, point.Batches, DeliveryCost.NameOf(mode), latencyMillis, rows, sync.BatchSize,
            cost.SourcePackets, sync.Packets(LinkCounters.SourceEgress), cost.SourcePackets * sync.BatchSize, sync.Bytes(LinkCounters.SourceEgress),
            cost.RelayPackets, sync.Packets(LinkCounters.Relay), cost.RelayPackets * sync.BatchSize, sync.Bytes(LinkCounters.Relay),
            cost.NodeIngressPackets.Max(), ingress.Min(), ingress.Max(), cost.UnicastSourcePackets,
            cold.CycleMillis, Median(warm.Select(w => w.Sync.CycleMillis)), Median(warm.Select(w => w.Wall)), Median(warm.Select(w => w.Cpu)),
            peaks.Max(), peaks.Sum(), unverified.Length == 0 && differing.Length == 0);
    }

    /// <summary>Source down; then each node in turn is killed with its journal deleted and rebuilt from peers' RLNC packets.</summary>
    private static async Task RecoverEachNodeAsync(LocalCluster cluster, Point point, LocalSource source, List<RecoveryResult> results)
    {
        var console = ReplyRenderer.Console;
        if (!source.CanStop)
        {
            console.WriteLine("--recovery: the source given with --mysql cannot be stopped by eval; recovery is skipped");
            return;
        }
        var placement = new Placement(point.K, point.R, point.Eta);
        int before = await ClusterScenarios.LastCycleAsync(cluster);
        await source.StopAsync();
        try
        {
            await ClusterScenarios.AwaitModeAsync(cluster, ActorSync.Cluster.Protocol.Modes.Recovery);
            await ClusterScenarios.AwaitCycleAsync(cluster, before, CycleKinds.Recovery); // Hub C checked from the caches first
            for (int node = 1; node <= point.K; node++)
            {
                before = await ClusterScenarios.LastCycleAsync(cluster);
                await ClusterScenarios.CrashAsync(cluster, $"node-{node}", wipeJournal: true, _ => { });
                var cycle = await ClusterScenarios.AwaitCycleAsync(cluster, before, CycleKinds.Recovery);
                var recovered = await ClusterScenarios.RecoveryAsync(cluster, cycle.Cycle);
                await ClusterScenarios.AwaitNodeHoldsAsync(cluster, $"node-{node}", placement.BatchesPerNode);
                results.Add(new RecoveryResult(point.K, point.R, point.Eta, point.Batches, node, recovered.Millis,
                    recovered.RlncPackets, recovered.PeerRecoveryBytes, recovered.Outcome));
                console.WriteLine($"K={point.K} r={point.R} N={point.Batches}: node-{node} rebuilt with the source down in {recovered.Millis} ms " +
                                  $"({recovered.RlncPackets} RLNC packets, {recovered.PeerRecoveryBytes} B from peers): {recovered.Outcome}");
                // The next node is killed on a settled cluster: kills faster than SBR removes the dead look like instability.
                await cluster.WaitFormedAsync(TimeSpan.FromMinutes(2));
            }
        }
        finally
        {
            await source.StartAsync();
        }
        await ClusterScenarios.AwaitModeAsync(cluster, ActorSync.Cluster.Protocol.Modes.Normal);
    }

    private static long CpuMillis(int[] pids) => pids.Sum(MemberProcesses.CpuMillis);

    private static Table Table(IReadOnlyList<Row> rows)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumns("K", "r", "η", "N", "mode", "+ms", "source pkts (formula)", "relay pkts (formula)", "unicast-source pkts", "cold ms", "warm ms", "CPU ms", "peak MiB", "verified", "counts");
        foreach (var r in rows)
            table.AddRow($"{r.K}", $"{r.R}", $"{r.Eta}", $"{r.Batches}", r.Mode, $"{r.LatencyMillis}", $"{r.SourcePackets} ({r.ExpectedSourcePackets})", $"{r.RelayPackets} ({r.ExpectedRelayPackets})",
                $"{r.UnicastSourcePackets}", $"{r.ColdCycleMillis}", $"{r.CycleMillis}", $"{r.CpuMillis}", $"{r.PeakMemberMiB}", r.Verified ? "yes" : "NO", r.CountsMatch ? "match" : "DIFFER");
        return table;
    }

    public static readonly string[] CsvColumns =
    [
        "k", "r", "eta", "batches", "mode", "latency_ms", "rows", "batch_bytes",
        "expected_source_packets", "source_packets", "expected_source_bytes", "source_bytes",
        "expected_relay_packets", "relay_packets", "expected_relay_bytes", "relay_bytes",
        "expected_node_ingress_packets", "min_node_ingress_packets", "max_node_ingress_packets",
        "unicast_source_packets", "cold_cycle_ms", "cycle_ms", "wall_ms", "cpu_ms", "peak_member_mib", "peak_total_mib", "verified", "counts_match",
    ];

    private static void Write(string folder, IReadOnlyList<Row> rows, IReadOnlyList<RecoveryResult> recoveries, string data)
    {
        var csv = new StringBuilder(string.Join(",", CsvColumns)).Append('\n');
        foreach (var r in rows)
            csv.Append(string.Join(",", new object[]
            {
                r.K, r.R, r.Eta, r.Batches, r.Mode, r.LatencyMillis, r.Rows, r.BatchBytes, r.ExpectedSourcePackets, r.SourcePackets, r.ExpectedSourceBytes, r.SourceBytes,
                r.ExpectedRelayPackets, r.RelayPackets, r.ExpectedRelayBytes, r.RelayBytes, r.ExpectedNodeIngressPackets, r.MinNodeIngressPackets,
                r.MaxNodeIngressPackets, r.UnicastSourcePackets, r.ColdCycleMillis, r.CycleMillis, r.WallMillis, r.CpuMillis, r.PeakMemberMiB, r.PeakTotalMiB,
                r.Verified ? "true" : "false", r.CountsMatch ? "true" : "false",
            }.Select(v => Convert.ToString(v, CultureInfo.InvariantCulture)))).Append('\n');
        File.WriteAllText(Path.Combine(folder, "results.csv"), csv.ToString());

        var md = new StringBuilder();
        md.Append($"# ActorSync eval: {rows.Count} runs, data {data} ({rows[0].Rows} rows)\n\n");
        md.Append($"Run {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores. Each run is a fresh multi-process cluster syncing into empty caches (cold), ");
        md.Append("then syncing again after every row changed, as often as --repeat says (warm; their counts must equal the cold sync's, and their median time is the one plotted). ");
        md.Append("Packets and bytes come from the cluster's link counters; the value in brackets is the formula's. Times, CPU and memory vary between runs ");
        md.Append("on a shared machine: compare them within one run.\n\n");
        md.Append("| K | r | η | N | mode | source latency ms | batch B | source packets | source bytes | relay packets | node ingress packets | unicast-source packets | cold / warm sync ms | CPU ms | peak MiB (member / all) | verified |\n");
        md.Append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        foreach (var r in rows)
            md.Append($"| {r.K} | {r.R} | {r.Eta} | {r.Batches} | {r.Mode} | {r.LatencyMillis} | {r.BatchBytes} | {r.SourcePackets} ({r.ExpectedSourcePackets}) | {r.SourceBytes} ({r.ExpectedSourceBytes}) | " +
                      $"{r.RelayPackets} ({r.ExpectedRelayPackets}) | {r.MinNodeIngressPackets}–{r.MaxNodeIngressPackets} ({r.ExpectedNodeIngressPackets}) | {r.UnicastSourcePackets} | " +
                      $"{r.ColdCycleMillis} / {r.CycleMillis} | {r.CpuMillis} | {r.PeakMemberMiB} / {r.PeakTotalMiB} | {(r.Verified ? "yes" : "no")}{(r.CountsMatch ? "" : ", counts DIFFER")} |\n");
        md.Append("\nReading: the source → relay link is the scarce one, and only there do the schemes differ. Past the relay every mode puts N·K copies ");
        md.Append("on the relay → nodes links and N packets into each node, so over plain unicast (no relay; the unicast-source column) no scheme saves a byte. ");
        md.Append("Counting placement, direct delivery sends the fewest source packets (N); coding pays off in the delivery phase, when the placement was ");
        md.Append("made earlier: C(K−1,r)·η packets with the leader scheme against N uncoded.\n");
        if (recoveries.Count > 0)
        {
            var recoveryCsv = new StringBuilder("k,r,eta,batches,node,cycle_ms,rlnc_packets,peer_bytes,outcome\n");
            foreach (var r in recoveries)
                recoveryCsv.Append(CultureInfo.InvariantCulture, $"{r.K},{r.R},{r.Eta},{r.Batches},{r.Node},{r.CycleMillis},{r.RlncPackets},{r.PeerBytes},{r.Outcome}\n");
            File.WriteAllText(Path.Combine(folder, "recovery.csv"), recoveryCsv.ToString());
            md.Append("\n## Linear-coded recovery with the source down (tables 5.1–5.8)\n\n");
            md.Append("Each node in turn is killed, its journal deleted, and rebuilt from its peers' RLNC packets while the source is down. ");
            md.Append("The node wants all N batches again, so N RLNC packets is the least it can receive (more only after a rank deficit). ");
            md.Append("The time is the whole recovery cycle: manifest, RLNC, decoding, journaling, and Hub C checked from the caches.\n\n");
            md.Append("| K | r | η | N | node | cycle ms | RLNC packets (least: N) | bytes from peers | outcome |\n|---|---|---|---|---|---|---|---|---|\n");
            foreach (var r in recoveries)
                md.Append(CultureInfo.InvariantCulture, $"| {r.K} | {r.R} | {r.Eta} | {r.Batches} | {r.Node} | {r.CycleMillis} | {r.RlncPackets} | {r.PeerBytes} | {r.Outcome} |\n");
        }
        md.Append('\n');
        foreach (var plot in EvalPlots.Write(folder, rows)) md.Append($"![{Path.GetFileNameWithoutExtension(plot)}]({Path.GetFileName(plot)})\n");
        File.WriteAllText(Path.Combine(folder, "report.md"), md.ToString());
    }
}
