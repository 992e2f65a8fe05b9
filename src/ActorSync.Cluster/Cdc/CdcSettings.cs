namespace ActorSync.Cluster.Cdc;

/// <summary>Continuous sync's settings (actorsync.cdc in hocon/base.conf).</summary>
/// <param name="ServerId">The replica id capture uses at the source: unique among its replicas.</param>
/// <param name="BatchWindow">How long a captured change may wait for others to share its change batch.</param>
/// <param name="MaxInFlight">Change batches read but not yet on r nodes; reading pauses beyond it (back-pressure).</param>
/// <param name="StoreTimeout">A node that has not journaled a batch in this time is passed over for another.</param>
/// <param name="PollEvery">How often Hub C asks the nodes for placed batches it has not been sent (hub-b down, messages lost).</param>
public sealed record CdcSettings(uint ServerId, TimeSpan Heartbeat, TimeSpan BatchWindow, long BatchBytes, int MaxInFlight, TimeSpan StoreTimeout,
    TimeSpan PollEvery, TimeSpan RetryEvery, int Redundancy)
{
    public static CdcSettings From(Akka.Configuration.Config config, int redundancy) => new(
        (uint)config.GetInt("actorsync.cdc.server-id", 4177),
        config.GetTimeSpan("actorsync.cdc.heartbeat", TimeSpan.FromSeconds(1)),
        config.GetTimeSpan("actorsync.cdc.batch-window", TimeSpan.FromMilliseconds(50)),
        config.GetByteSize("actorsync.cdc.batch-bytes") ?? 1L << 20,
        config.GetInt("actorsync.cdc.max-in-flight", 64),
        config.GetTimeSpan("actorsync.cdc.store-timeout", TimeSpan.FromSeconds(3)),
        config.GetTimeSpan("actorsync.cdc.poll-every", TimeSpan.FromSeconds(1)),
        config.GetTimeSpan("actorsync.cdc.retry-every", TimeSpan.FromSeconds(2)),
        redundancy);

    /// <summary>The actor path of node <paramref name="node"/>'s change log (0-based) on its member.</summary>
    public static string ChangeLogName(int node) => $"changes-{node + 1}";

    public const string CaptureName = "cdc-capture";
    public const string ApplierName = "cdc-apply";
}
