using System.CommandLine;
using ActorSync.Cli;
using ActorSync.Data;
using ActorSync.Tooling;

namespace ActorSync.Lab;

/// <summary><c>seed</c>: loads the bank data, or generated rows of its shape, into a source to sync from.</summary>
public static class SeedCommand
{
    public static Command Create()
    {
        var mysql = DataOptions.MySql();
        var sourceSqlite = DataOptions.SourceSqlite();
        var csv = new Option<string?>("--csv") { Description = "bank CSV to load (data/bank.csv or data/bank-full.csv)" };
        var synthetic = new Option<long?>("--synthetic") { Description = "load this many generated bank-shaped rows instead of a CSV" };
        var table = new Option<string>("--table") { Description = "target table", DefaultValueFactory = _ => "bank" };
        var replace = new Option<bool>("--replace") { Description = "drop and reload the table if it exists" };
        var ifMissing = new Option<bool>("--if-missing") { Description = "leave an existing table as it is (a first-start seed job)" };
        var command = new Command("seed", "Load the UCI Bank Marketing data, or synthetic rows of its shape, into MySQL (or a SQLite source)") { mysql, sourceSqlite, csv, synthetic, table, replace, ifMissing };
        command.SetAction(parse => DataOptions.Run(async () =>
        {
            var source = DataOptions.RequireSource(parse, mysql, sourceSqlite).Open();
            if (parse.GetValue(ifMissing) && await BankSeeder.TableExistsAsync(source, parse.GetValue(table)!))
            {
                Console.WriteLine($"{source.Name}: table {parse.GetValue(table)} exists; left as it is (--if-missing)");
                return 0;
            }
            var rows = (parse.GetValue(csv), parse.GetValue(synthetic)) switch
            {
                ({ } path, null) => BankRow.ReadCsv(path),
                (null, { } count) when count >= 0 => BankRow.Generate(count),
                (null, { } count) => throw new DataEdgeException($"--synthetic must be zero or more; got {count}."),
                (null, null) => throw new DataEdgeException("give --csv FILE or --synthetic ROWS."),
                _ => throw new DataEdgeException("give --csv or --synthetic, not both."),
            };
            long loaded = await BankSeeder.SeedAsync(source, parse.GetValue(table)!, rows, parse.GetValue(replace));
            Console.WriteLine($"loaded {loaded} rows into {source.Name}, table {parse.GetValue(table)}");
            return 0;
        }));
        return command;
    }
}
