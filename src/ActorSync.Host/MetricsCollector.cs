using ActorSync.Cluster.Protocol;
using Akka.Actor;
using Prometheus;

namespace ActorSync.Host;

/// <summary>
/// Feeds this member's Prometheus metrics from its actors every second: on the orchestrator member, bytes and packets
/// per link (from each finished cycle's counters), cycle durations, the mode and database health; on a node, the
/// batches it holds and its journal size; on a hub, its database's health.
/// </summary>
public sealed class MetricsCollector : ReceiveActor, IWithTimers
{
    private static readonly Counter LinkBytes = Metrics.CreateCounter("actorsync_link_bytes_total",
        "Payload bytes carried per link, summed over finished cycles.", new CounterConfiguration { LabelNames = ["link"] });
    private static readonly Counter LinkPackets = Metrics.CreateCounter("actorsync_link_packets_total",
        "Packets (batches or coded packets) carried per link, summed over finished cycles.", new CounterConfiguration { LabelNames = ["link"] });
    private static readonly Counter Cycles = Metrics.CreateCounter("actorsync_cycles_total",
        "Finished cycles by kind (sync, recovery, repair) and outcome (verified, repaired, failed).", new CounterConfiguration { LabelNames = ["kind", "outcome"] });
    private static readonly Histogram CycleSeconds = Metrics.CreateHistogram("actorsync_cycle_duration_seconds",
        "Cycle duration by kind: sync and recovery durations.", new HistogramConfiguration
        {
            LabelNames = ["kind"],
            Buckets = Histogram.ExponentialBuckets(0.25, 2, 12),
        });
    private static readonly Gauge Mode = Metrics.CreateGauge("actorsync_mode", "1 for the current mode (normal or recovery), 0 for the other.",
        new GaugeConfiguration { LabelNames = ["mode"] });
    private static readonly Gauge DatabaseHealthy = Metrics.CreateGauge("actorsync_database_healthy", "1 while the database answers its health probe.",
        new GaugeConfiguration { LabelNames = ["hub"] });
    private static readonly Gauge NodesDown = Metrics.CreateGauge("actorsync_nodes_down", "Nodes the orchestrator knows as down.");
    private static readonly Gauge BatchesHeld = Metrics.CreateGauge("actorsync_node_batches_held", "Batches this node holds in its journaled cache.");
    private static readonly Gauge JournalBytes = Metrics.CreateGauge("actorsync_node_journal_bytes", "Size of this node's journal file(s).");

    private sealed record Poll
    {
        public static readonly Poll Instance = new();
    }

    private int _lastCycle;

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="role">seed, orchestrator, hub-b, hub-c or node.</param>
    /// <param name="local">The orchestrator proxy, the node actor or the hub supervisor, by role.</param>
    public static Props Props(string role, IActorRef? local, string sourceHub) => Akka.Actor.Props.Create(() => new MetricsCollector(role, local, sourceHub));

    public MetricsCollector(string role, IActorRef? local, string sourceHub)
    {
        // Each poll asks by message and each answer updates its gauges when it comes: nothing waits in the mailbox,
        // and an answer that does not come leaves the gauge as it was until the next poll.
        Receive<Poll>(_ =>
        {
            switch (role)
            {
                case "orchestrator":
                    local?.Tell(GetSyncStatus.Instance);
                    local?.Tell(GetMode.Instance);
                    break;
                case "node":
                    local?.Tell(GetHoldings.Instance);
                    break;
                case "hub-b" or "hub-c":
                    local?.Tell(GetHubStatus.Instance);
                    break;
            }
        });
        Receive<SyncStatus>(status =>
        {
            foreach (var report in status.Recent.Where(r => r.Cycle > _lastCycle))
            {
                foreach (var link in report.Links)
                {
                    LinkBytes.WithLabels(link.Link).Inc(link.Bytes);
                    LinkPackets.WithLabels(link.Link).Inc(link.Packets);
                }
                Cycles.WithLabels(report.Kind, report.Verified ? "verified" : report.Outcome.StartsWith("failed", StringComparison.Ordinal) ? "failed" : report.Outcome).Inc();
                CycleSeconds.WithLabels(report.Kind).Observe(report.DurationMillis / 1000.0);
                _lastCycle = report.Cycle;
            }
        });
        Receive<ModeStatus>(mode =>
        {
            Mode.WithLabels("normal").Set(mode.Mode == "normal" ? 1 : 0);
            Mode.WithLabels("recovery").Set(mode.Mode == "recovery" ? 1 : 0);
            DatabaseHealthy.WithLabels(sourceHub).Set(mode.SourceHealthy ? 1 : 0);
            NodesDown.Set(mode.NodesDown.Length);
        });
        Receive<Holdings>(holdings =>
        {
            BatchesHeld.Set(holdings.Whole.Length);
            JournalBytes.Set(Math.Max(0, holdings.JournalBytes));
        });
        Receive<HubStatus>(hub => DatabaseHealthy.WithLabels(hub.Hub).Set(hub.DatabaseHealthy ? 1 : 0));
    }

    protected override void PreStart() => Timers.StartPeriodicTimer("poll", Poll.Instance, TimeSpan.FromSeconds(1));
}
