using System.CommandLine;
using ActorSync.Cli;

var root = new RootCommand("actorsync: fault-tolerant, coded database synchronization")
{
    PlanCommand.Create(),
    BenchCommand.Create(),
    DataCommands.Seed(),
    DataCommands.Sync(),
    DataCommands.Verify(),
};
return root.Parse(args).Invoke();
