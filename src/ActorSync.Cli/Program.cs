using System.CommandLine;
using ActorSync.Cli;

ActorSync.Data.Sqlite.SqliteProcess.UseMultiThreadMode(); // before any database opens

var sync = DataCommands.Sync();
var bidirectional = new Option<bool>("--bidirectional") { Description = "first send rows changed at Hub C back to the source" };
var policy = new Option<string?>("--policy") { Description = "conflict policy for --bidirectional" };
var tablePolicy = new Option<string[]>("--table-policy") { Description = "a per-table policy, TABLE=POLICY (repeatable)" };
sync.Subcommands.Add(RemoteCommands.Create("start", "Run a sync cycle on the cluster, with live progress; exit 1 unless it ends verified", p =>
    new[] { "sync", "start" }
        .Concat(p.GetValue(bidirectional) ? ["--bidirectional"] : [])
        .Concat(p.GetValue(policy) is { } name ? ["--policy", name] : [])
        .Concat((p.GetValue(tablePolicy) ?? []).SelectMany(t => new[] { "--table-policy", t })),
    bidirectional, policy, tablePolicy));
sync.Subcommands.Add(RemoteCommands.Create("status", "The last cycles on the cluster: mode, bytes per link, duration, verification", "sync", "status"));
var watch = new Option<bool>("--watch") { Description = "stay and show the lag every second (Ctrl+C leaves; capture goes on)" };
sync.Subcommands.Add(RemoteCommands.Create("follow", "Continuous sync: snapshot, then follow the source's binlog (docs/CDC.md); returns once capture runs",
    p => p.GetValue(watch) ? ["sync", "follow", "--watch"] : ["sync", "follow"], watch));
sync.Subcommands.Add(RemoteCommands.Create("stop", "End continuous sync", "sync", "stop"));
sync.Subcommands.Add(RemoteCommands.Create("lag", "Continuous sync: offsets captured, placed and applied, and the lag", "sync", "lag"));

var lines = new Option<int?>("--lines") { Description = "how many lines" };
var root = new RootCommand("actorsync: fault-tolerant, coded database synchronization (the demo, eval, chaos and benchmarks: actorsync-lab)")
{
    ClusterCommands.Create(),
    new Command("node", "The nodes") { RemoteCommands.Create("list", "Each node: alive or not, its batches, its journal size", "node", "list") },
    new Command("batches", "The batches") { RemoteCommands.Create("show", "The placement table with digests", "batches", "show") },
    sync,
    new Command("recovery", "Recovery") { RemoteCommands.Create("status", "The current mode, mode changes and the last recoveries", "recovery", "status") },
    new Command("db", "The databases") { RemoteCommands.Create("status", "Source and destination health", "db", "status") },
    new Command("log", "Logs") { RemoteCommands.Create("peek", "A member's recent log lines",
        p => p.GetValue(lines) is { } n ? ["log", "peek", "--lines", n.ToString(System.Globalization.CultureInfo.InvariantCulture)] : ["log", "peek"], lines) },
    RemoteCommands.Create("help", "The commands a member's endpoint answers", "help"),
    RemoteCommands.Repl(),
    PlanCommand.Create(),
    DataCommands.Verify(),
};
return root.Parse(args).Invoke();
