using Akka.Configuration;

namespace ActorSync.Cluster.Hubs;

/// <summary>The hubs' settings (actorsync.hub and actorsync.destination in hocon/base.conf), read once per member.</summary>
/// <param name="HealthInterval">How often a hub supervisor probes its database.</param>
/// <param name="RestateEvery">The database state is repeated to the orchestrator every this many probes.</param>
/// <param name="ScanTimeout">The longest one table's read from MySQL may take.</param>
/// <param name="SourceLinkLatency">Evaluation only: the simulated source link's latency (0 in production).</param>
/// <param name="SourceLinkBytesPerSecond">Evaluation only: the simulated source link's bandwidth (0: unshaped).</param>
/// <param name="ReadBack">What Hub C reads back to verify an apply.</param>
public sealed record HubSettings(TimeSpan HealthInterval, int RestateEvery, TimeSpan ScanTimeout, TimeSpan SourceLinkLatency, long SourceLinkBytesPerSecond,
    ReadBack ReadBack)
{
    public static HubSettings From(Config config)
    {
        var readBack = config.GetString("actorsync.destination.read-back", "untouched");
        return new HubSettings(
            config.GetTimeSpan("actorsync.hub.health-interval", TimeSpan.FromSeconds(1)),
            config.GetInt("actorsync.hub.restate-every", 10),
            config.GetTimeSpan("actorsync.hub.scan-timeout", TimeSpan.FromHours(1)),
            config.GetTimeSpan("actorsync.hub.source-link.latency", TimeSpan.Zero),
            config.GetLong("actorsync.hub.source-link.bytes-per-second", 0),
            readBack switch
            {
                "untouched" => ReadBack.Untouched,
                "all" => ReadBack.All,
                _ => throw new ArgumentException($"actorsync.destination.read-back must be untouched or all, not '{readBack}'."),
            });
    }

    public LinkShaper SourceLink() => new(SourceLinkLatency, SourceLinkBytesPerSecond);
}
