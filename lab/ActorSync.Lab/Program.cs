using System.CommandLine;
using ActorSync.Lab;

ActorSync.Data.Sqlite.SqliteProcess.UseMultiThreadMode(); // before any database opens

var root = new RootCommand("actorsync-lab: the project's own harness around the operator's actorsync (demo, eval, chaos, bench, seed)")
{
    DemoCommand.Create(),
    EvalCommand.Create(),
    ChaosCommand.Create(),
    BenchCommand.Create(),
    SeedCommand.Create(),
};
return root.Parse(args).Invoke();
