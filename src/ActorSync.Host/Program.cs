using System.Runtime.InteropServices;
using ActorSync.Host;
using Akka.Configuration;

// Every setting comes from hocon/ and the environment (ACTORSYNC_ROLE, ACTORSYNC_NODE, ... or ACTORSYNC__path).
// `--role R` and `--node I` are shorthands for the two that differ per member.
if (args.Length % 2 == 1)
{
    Console.Error.WriteLine($"actorsync-host: '{args[^1]}' needs a value. Use --role R [--node I]; everything else is set by environment (see README).");
    return 2;
}
for (int i = 0; i + 1 < args.Length; i += 2)
    switch (args[i])
    {
        case "--role": Environment.SetEnvironmentVariable("ACTORSYNC_ROLE", args[i + 1]); break;
        case "--node": Environment.SetEnvironmentVariable("ACTORSYNC_NODE", args[i + 1]); break;
        default:
            Console.Error.WriteLine($"actorsync-host: unknown argument '{args[i]}'. Use --role R [--node I]; everything else is set by environment (see README).");
            return 2;
    }

ActorSync.Data.Sqlite.SqliteProcess.UseMultiThreadMode(); // before any journal or destination opens

MemberHost host;
try
{
    host = await MemberHost.StartAsync();
}
catch (Exception error) when (error is ConfigurationException or InvalidOperationException or ArgumentException or ActorSync.Data.DataEdgeException)
{
    Console.Error.WriteLine($"actorsync-host: cannot start: {error.Message}");
    return 2;
}

bool joined = false;
Akka.Cluster.Cluster.Get(host.System).RegisterOnMemberUp(() => joined = true);
var stopping = new TaskCompletionSource();
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stopping.TrySetResult(); });
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; stopping.TrySetResult(); });

// A member that the cluster downed (or that left) terminates its system: then the process ends too, non-zero,
// so `restart: on-failure` (compose) or the launcher starts it again.
var finished = await Task.WhenAny(stopping.Task, host.System.WhenTerminated);
bool asked = finished == stopping.Task;
if (!asked && !joined)
    Console.Error.WriteLine($"actorsync-host: {host.Settings.Name} could not join the cluster: no seed answered " +
                            $"({string.Join(", ", host.System.Settings.Config.GetStringList("akka.cluster.seed-nodes"))}; ACTORSYNC_SEEDS) within " +
                            $"{host.System.Settings.Config.GetTimeSpan("akka.cluster.shutdown-after-unsuccessful-join-seed-nodes")}.");
await host.DisposeAsync();
return asked ? 0 : 3;
