using System.CommandLine;
using System.Text.Json;
using Spectre.Console;

namespace ActorSync.Cli;

/// <summary><c>actorsync plan</c>: placement, both XOR delivery plans, the recovery allocation and the packet counts.</summary>
public static class PlanCommand
{
    public static Command Create()
    {
        var nodes = new Option<int>("--nodes", "-k") { Description = "K, the number of nodes (2..16)", Required = true };
        var redundancy = new Option<int>("--redundancy", "-r") { Description = "r, the nodes each batch is stored on (1..K-1)", Required = true };
        var eta = new Option<int>("--eta") { Description = "η, batches per node subset; N = η·C(K,r)", DefaultValueFactory = _ => 1 };
        var leader = new Option<int>("--leader") { Description = "the leader node of the optimal plan (1..K)", DefaultValueFactory = _ => 1 };
        var json = new Option<bool>("--json") { Description = "print JSON instead of tables" };
        var maxRows = new Option<int>("--max-rows") { Description = "rows shown per table before eliding", DefaultValueFactory = _ => 40 };

        var command = new Command("plan", "Show placement, coded delivery and recovery plans for K nodes and redundancy r")
        {
            nodes, redundancy, eta, leader, json, maxRows,
        };
        command.SetAction(parse =>
        {
            int k = parse.GetValue(nodes);
            int lead = parse.GetValue(leader);
            if (lead < 1 || lead > k)
                return CliErrors.Fail($"leader must be a node between 1 and K = {k}; got {lead}.");
            PlanReport report;
            try { report = PlanReport.Create(k, parse.GetValue(redundancy), parse.GetValue(eta), lead); }
            catch (ArgumentOutOfRangeException error) { return CliErrors.Fail(error); }

            if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(report, PlanJsonContext.Default.PlanReport));
            else Render(report, Math.Max(1, parse.GetValue(maxRows)));
            return 0;
        });
        return command;
    }

    private static void Render(PlanReport report, int maxRows)
    {
        var console = AnsiConsole.Console;
        console.MarkupLine($"[bold]K = {report.Nodes}, r = {report.Redundancy}, η = {report.Eta}[/]: N = {report.BatchCount} batches, M = {report.BatchesPerNode} per node; any {report.Redundancy - 1} node loss(es) lose nothing.");

        Title(console, "Placement");
        var placement = new Table().AddColumns("node", "batches");
        foreach (var row in report.Placement.Take(maxRows))
            placement.AddRow($"Node {row.Node}", Batches(row.Batches, maxRows));
        Elided(placement, report.Placement.Count, maxRows, 2);
        console.Write(placement);

        Title(console, $"Thesis MAN delivery: C(K,r+1)·η = {report.ManPackets} packets, each to its group");
        console.Write(PacketTable(report.Man, maxRows));
        Title(console, $"Optimal leader delivery, leader node {report.Leader}: C(K−1,r)·η = {report.OptimalPackets} packets, broadcast");
        console.Write(PacketTable(report.Optimal, maxRows));

        Title(console, "Source-down recovery: RLNC packets each node broadcasts");
        var recovery = new Table().AddColumns("node", "packets");
        for (int n = 0; n < report.RecoveryAllocation.Count; n++)
            recovery.AddRow($"Node {n + 1}", report.RecoveryAllocation[n].ToString());
        console.Write(recovery);

        Title(console, "Counts, in packets of one batch each");
        var counts = new Table().AddColumns("scheme", "packets", "what it is");
        counts.AddRow("uncoded unicast delivery", report.UncodedUnicastPackets.ToString(), "each node is sent its N−M missing batches");
        counts.AddRow("uncoded broadcast delivery", report.UncodedBroadcastPackets.ToString(), "each batch broadcast once");
        counts.AddRow("thesis MAN delivery", report.ManPackets.ToString(), "C(K,r+1)·η XOR packets");
        counts.AddRow("optimal leader delivery", report.OptimalPackets.ToString(), "C(K−1,r)·η XOR packets");
        counts.AddRow("peer recovery, coded", report.RecoveryPackets.ToString(), "integer cut-set optimum, RLNC");
        counts.AddRow("peer recovery, bound", report.RecoveryFractionalBound.ToString("0.##"), "N(K−r)/(K−1), needs sub-packets");
        counts.AddRow("peer recovery, uncoded", report.UncodedRepairTransfers.ToString(), "each batch unicast to K−r nodes");
        counts.AddRow("direct repair, one lost node", report.DirectRepairTransfers.ToString(), "M batches from peers");
        console.Write(counts);
        console.MarkupLine("[grey]Coding saves packets on a broadcast or scarce link that fans out after it; over plain unicast each node still downloads N−M batches.[/]");
    }

    private static void Title(IAnsiConsole console, string title) => console.MarkupLine($"[bold]{Markup.Escape(title)}[/]");

    private static Table PacketTable(IReadOnlyList<PlanReport.PacketRow> packets, int maxRows)
    {
        var table = new Table().AddColumns("packet", "XOR of", "to nodes");
        foreach (var p in packets.Take(maxRows))
            table.AddRow($"P{p.Packet}", string.Join(" ⊕ ", p.Batches.Select(b => $"B{b}")), string.Join(",", p.Recipients));
        Elided(table, packets.Count, maxRows, 3);
        return table;
    }

    private static string Batches(IReadOnlyList<int> batches, int maxRows) =>
        string.Join(", ", batches.Take(maxRows).Select(b => $"B{b}")) + (batches.Count > maxRows ? $", … ({batches.Count} in all)" : "");

    private static void Elided(Table table, int count, int maxRows, int columns)
    {
        if (count <= maxRows) return;
        table.AddRow([$"… {count - maxRows} more", .. Enumerable.Repeat("", columns - 1)]);
    }
}
