using ActorSync.Cluster.Protocol;
using Akka.Actor;
using Prometheus;

namespace ActorSync.Host;

/// <summary>
/// Feeds this member's Prometheus metrics from its actors every 5 seconds: on the orchestrator member, bytes and packets
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

    private static readonly Histogram CdcLag = Metrics.CreateHistogram("actorsync_cdc_lag_seconds",
        "Continuous sync: from a transaction's commit at the source (binlog timestamp, 1 s resolution) to its commit in SQLite.",
        new HistogramConfiguration { Buckets = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60] });
    private static readonly Counter CdcEvents = Metrics.CreateCounter("actorsync_cdc_events_total", "Continuous sync: row changes applied to SQLite (rate() gives events per second).");
    private static readonly Gauge CdcOffset = Metrics.CreateGauge("actorsync_cdc_offset", "Continuous sync: binlog offset within its file, by stage (captured, placed, applied).",
        new GaugeConfiguration { LabelNames = ["stage", "file"] });
    private static readonly Gauge CdcBehind = Metrics.CreateGauge("actorsync_cdc_events_behind", "Continuous sync: row changes captured and not yet applied.");

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
                    if (role == "hub-b") Context.ActorSelection("/user/" + Cluster.Cdc.CdcSettings.CaptureName).Tell(GetCdcStatus.Instance);
                    break;
            }
        });
        Receive<SyncStatus>(CountCycles);
        Receive<ModeStatus>(mode =>
        {
            Mode.WithLabels(Modes.Normal).Set(mode.Mode == Modes.Normal ? 1 : 0);
            Mode.WithLabels(Modes.Recovery).Set(mode.Mode == Modes.Recovery ? 1 : 0);
            DatabaseHealthy.WithLabels(sourceHub).Set(mode.SourceHealthy ? 1 : 0);
            NodesDown.Set(mode.NodesDown.Length);
        });
        Receive<Holdings>(holdings =>
        {
            BatchesHeld.Set(holdings.Whole.Length);
            JournalBytes.Set(Math.Max(0, holdings.JournalBytes));
        });
        Receive<HubStatus>(hub => DatabaseHealthy.WithLabels(hub.Hub).Set(hub.DatabaseHealthy ? 1 : 0));
        Receive<Cluster.Cdc.ChangesAppliedEvent>(applied =>
        {
            CdcEvents.Inc(applied.Rows);
            foreach (var lag in applied.LagSeconds) CdcLag.Observe(lag);
            SetOffset("applied", applied.Position);
        });
        Receive<CdcStatus>(status =>
        {
            SetOffset("captured", status.Captured);
            SetOffset("placed", status.Placed);
            CdcBehind.Set(status.EventsBehind);
        });
    }

    /// <summary>Adds the cycles finished since the last poll to the link and cycle counters.</summary>
    private void CountCycles(SyncStatus status)
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
    }

    private static void SetOffset(string stage, string position)
    {
        if (position.Length == 0) return;
        var at = ActorSync.Binlog.BinlogPosition.Parse(position);
        CdcOffset.WithLabels(stage, at.File).Set(at.Offset);
    }

    protected override void PreStart()
    {
        // Every 5 s: Prometheus scrapes every 15 s or so, and each poll is a message round to this member's actors.
        Timers.StartPeriodicTimer("poll", Poll.Instance, TimeSpan.FromSeconds(5));
        Context.System.EventStream.Subscribe(Self, typeof(Cluster.Cdc.ChangesAppliedEvent));
    }
}
