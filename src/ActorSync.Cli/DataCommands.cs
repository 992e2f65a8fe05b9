using System.CommandLine;
using ActorSync.Data;
using ActorSync.Data.Sqlite;
using ActorSync.Data.Verify;
using Spectre.Console;

namespace ActorSync.Cli;

/// <summary><c>verify</c> and <c>sync</c> (direct, without the cluster): the database edge from the command line.</summary>
public static class DataCommands
{
    public static Command Verify()
    {
        var mysql = DataOptions.MySql();
        var sourceSqlite = DataOptions.SourceSqlite();
        var dest = DataOptions.Destination();
        var tables = DataOptions.Tables();
        var command = new Command("verify", "Compare source and destination table by table by content digest; exit 1 if any differs") { mysql, sourceSqlite, dest, tables };
        command.SetAction(parse => DataOptions.Run(async () =>
        {
            var source = DataOptions.RequireSource(parse, mysql, sourceSqlite).Open();
            using var destination = new SqliteDestination(DataOptions.Require(parse, dest, DataOptions.SqliteVariable));
            var schemas = await source.DiscoverAsync(parse.GetValue(tables));
            var comparisons = await Verifier.CompareAsync(source, destination, schemas);
            Render(comparisons);
            return comparisons.All(c => c.Equal) ? 0 : 1;
        }));
        return command;
    }

    public static Command Sync()
    {
        var mysql = DataOptions.MySql();
        var sourceSqlite = DataOptions.SourceSqlite();
        var dest = DataOptions.Destination();
        var tables = DataOptions.Tables();
        var batches = new Option<int>("--batches") { Description = "N, the number of batches", DefaultValueFactory = _ => 6 };
        var bidirectional = new Option<bool>("--bidirectional") { Description = "also send rows changed at the destination back to the source" };
        var policy = new Option<string>("--policy")
        {
            Description = $"conflict policy for --bidirectional: {string.Join(", ", ConflictPolicies.Names)}",
            DefaultValueFactory = _ => "last-writer-wins",
        };
        var tablePolicy = new Option<string[]>("--table-policy") { Description = "a per-table policy, TABLE=POLICY (repeatable)" };
        var command = new Command("sync", "Sync MySQL (or a SQLite source) to SQLite directly, without the cluster: ship only changed batches, then verify")
        {
            mysql, sourceSqlite, dest, tables, batches, bidirectional, policy, tablePolicy,
        };
        command.SetAction(parse => DataOptions.Run(async () =>
        {
            var source = DataOptions.RequireSource(parse, mysql, sourceSqlite).Open();
            using var destination = new SqliteDestination(DataOptions.Require(parse, dest, DataOptions.SqliteVariable));
            SyncReport report;
            if (parse.GetValue(bidirectional))
            {
                var policies = ConflictPolicies.Parse(parse.GetValue(policy)!, parse.GetValue(tablePolicy) ?? []);
                var both = await BidirectionalSync.RunAsync(source, destination, parse.GetValue(batches), policies, parse.GetValue(tables), Path.GetTempPath());
                Console.WriteLine($"back to source: {both.Reverse.WrittenToSource} row(s) written, {both.Reverse.Conflicts.Count} conflict(s) (logged in _actorsync_conflicts)");
                foreach (var conflict in both.Reverse.Conflicts)
                    Console.WriteLine($"  {conflict.Table} {conflict.Key}: {conflict.Winner} wins ({conflict.Policy})");
                report = both.Forward;
            }
            else report = await DirectSync.RunAsync(source, destination, parse.GetValue(batches), parse.GetValue(tables), Path.GetTempPath());
            Console.WriteLine($"{report.BatchesChanged} of {report.BatchCount} batches shipped, {report.BytesMoved:N0} of {report.DatasetBytes:N0} bytes, {report.RowsWritten:N0} rows written, {report.Duration.TotalSeconds:0.00} s");
            if (report.TablesNotRescanned.Count > 0)
                Console.WriteLine($"not rescanned (watermark unchanged since the last verified sync): {string.Join(", ", report.TablesNotRescanned)}");
            if (report.Repaired)
                Console.WriteLine("the destination had drifted from the source; it was repaired by a full re-read and re-ship");
            Render(report.Verification);
            return report.Verified ? 0 : 1;
        }));
        return command;
    }

    private static void Render(IReadOnlyList<TableComparison> comparisons)
    {
        var table = new Table().AddColumns("table", "source rows", "destination rows", "result", "first differences");
        foreach (var c in comparisons)
            table.AddRow(Markup.Escape(c.Table), c.SourceRows.ToString("N0"), c.DestinationRows.ToString("N0"),
                c.Equal ? "[green]equal[/]" : "[red]different[/]", Markup.Escape(string.Join("; ", c.Differences)));
        AnsiConsole.Write(table);
    }
}
