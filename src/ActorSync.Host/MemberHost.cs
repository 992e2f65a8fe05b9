using ActorSync.Cluster;
using ActorSync.Cluster.Cdc;
using ActorSync.Cluster.Hubs;
using ActorSync.Cluster.Nodes;
using ActorSync.Cluster.Orchestration;
using ActorSync.Cluster.Security;
using ActorSync.Data;
using ActorSync.Data.MySql;
using ActorSync.Data.Sqlite;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Prometheus;

namespace ActorSync.Host;

/// <summary>
/// One cluster member as configured: its ActorSystem (named actorsync), the actors of its role, its command endpoint
/// and its metrics. Stopping runs CoordinatedShutdown, so the member leaves the cluster before it exits.
/// </summary>
public sealed class MemberHost : IAsyncDisposable
{
    private readonly MetricServer? _metrics;
    private CommandEndpoint? _commands;

    public ActorSystem System { get; }
    public MemberSettings Settings { get; }
    public int? CommandPort => _commands?.Bound.Port;

    private MemberHost(ActorSystem system, MemberSettings settings, MetricServer? metrics)
    {
        System = system;
        Settings = settings;
        _metrics = metrics;
    }

    /// <summary>Reads the settings (files, then ACTORSYNC_* and ACTORSYNC__* variables), checks them, and starts the member.</summary>
    public static async Task<MemberHost> StartAsync(Config? overrides = null)
    {
        var settingsConfig = ClusterConfig.Compose(overrides ?? Config.Empty);
        var settings = MemberSettings.From(settingsConfig);
        var orchestration = OrchestratorSettings.From(settingsConfig);
        Directory.CreateDirectory(settings.DataDirectory);

        var tls = MemberTls.From(settingsConfig, settings.Name);
        var journal = Config.Empty;
        if (settings.Role == "node")
        {
            if (settings.JournalKind == "mariadb")
            {
                await MariaDbJournal.EnsureSchemaAsync(settings.JournalMySql);
                journal = MariaDbJournal.ForNode(settings.JournalMySql);
            }
            else journal = ClusterConfig.ForNodeJournal(Path.Combine(settings.DataDirectory, $"node{settings.Node}.journal.db"));
        }
        // Hub B journals continuous sync's durable offset.
        if (settings.Role == "hub-b") journal = ClusterConfig.ForNodeJournal(Path.Combine(settings.DataDirectory, "hub-b.journal.db"));
        var config = ClusterConfig.Compose(
            overrides ?? Config.Empty,
            ConfigurationFactory.ParseString($"akka.loggers = [\"{typeof(StructuredLogger).AssemblyQualifiedName}\"]"),
            journal,
            ClusterConfig.ForMember(settings.ClusterRole));

        MetricServer? metrics = null;
        if (settings.MetricsPort > 0)
        {
            // Process metrics stay; the runtime's EventCounters and Meters, polled every second, cost an idle member
            // about 0.6% of a core (docs/EVALUATION.md) and nothing here reads them.
            Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions { SuppressEventCounters = true, SuppressMeters = true, SuppressDebugMetrics = true });
            metrics = new MetricServer(settings.MetricsHost, settings.MetricsPort);
            try
            {
                metrics.Start();
            }
            catch (Exception error)
            {
                throw new InvalidOperationException($"metrics cannot listen on {settings.MetricsHost}:{settings.MetricsPort} (ACTORSYNC_METRICS_PORT): {error.Message}", error);
            }
        }

        var system = ActorSystem.Create("actorsync", MemberTls.SystemSetup(config, tls));
        var host = new MemberHost(system, settings, metrics);
        try
        {
            host.StartRole(orchestration);
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
        return host;
    }

    private void StartRole(OrchestratorSettings orchestration)
    {
        var log = Logging.GetLogger(System, "actorsync-host");
        var config = System.Settings.Config;
        var proxy = System.ActorOf(Orchestrator.ProxyProps(System), "orchestrator-proxy");
        IActorRef? local = null;
        IActorRef? chaosTarget = null;
        var hubs = HubSettings.From(config);
        bool chaos = config.GetBoolean("actorsync.chaos.enabled", false);
        var cdc = CdcSettings.From(config, orchestration.Redundancy);
        if (chaos) log.Warning("chaos testing is on: this member accepts `fault inject` (never in production)");
        switch (Settings.Role)
        {
            case "orchestrator":
                System.ActorOf(Orchestrator.SingletonProps(System, orchestration), "orchestrator");
                local = proxy;
                break;
            case "hub-b":
                local = StartSourceHub(orchestration, hubs, cdc, proxy, log);
                break;
            case "hub-c":
                local = StartDestinationHub(orchestration, hubs, cdc, proxy);
                break;
            case "node":
                (local, chaosTarget) = StartNode(config, chaos, proxy);
                break;
        }
        if (_metrics is not null) System.ActorOf(MetricsCollector.Props(Settings.Role, local, orchestration.SourceHub), "metrics");

        if (Settings.CommandPort > 0 && Settings.Token.Length > 0)
            _commands = new CommandEndpoint(Settings.CommandHost, Settings.CommandPort, new CommandTokens(Settings.Token, Settings.ReadToken),
                new CommandHandler(System, proxy, orchestration, Settings.Name, Settings.Role == "node" ? local : null, chaos, chaosTarget), log, Settings.CommandLimits);
        else if (Settings.CommandPort > 0)
            log.Warning("the command endpoint is off: no token is set (ACTORSYNC_TOKEN)");
        log.Info("{0} started at {1}; commands {2}; metrics {3}", Settings.Name, Akka.Cluster.Cluster.Get(System).SelfAddress,
            _commands is null ? "off" : $"{Settings.CommandHost}:{_commands.Bound.Port}",
            _metrics is null ? "off" : $"http://{Settings.MetricsHost}:{Settings.MetricsPort}/metrics");
    }

    private IActorRef StartSourceHub(OrchestratorSettings orchestration, HubSettings hubs, CdcSettings cdc, IActorRef proxy, ILoggingAdapter log)
    {
        ISyncSource source = Settings.SourceSqlite.Length > 0 ? new SqliteSource(Settings.SourceSqlite) : new MySqlSource(Settings.SourceMySql) { ScanTimeout = hubs.ScanTimeout };
        if (source is SqliteSource) log.Warning("hub-b's source is {0}, a SQLite file standing in for MySQL", source.Name);
        var spool = Directory.CreateDirectory(Path.Combine(Settings.DataDirectory, "spool")).FullName;
        var link = hubs.SourceLink();
        if (link.IsShaped) log.Warning("the source link is shaped for evaluation: latency {0}, {1} bytes/s", hubs.SourceLinkLatency, hubs.SourceLinkBytesPerSecond);
        var worker = System.ActorOf(SourceHub.Props(orchestration.SourceHub, source, spool, link), "source");
        var supervisor = System.ActorOf(HubSupervisor.Props(orchestration.SourceHub, source.Kind, source.PingAsync, hubs.HealthInterval, proxy, hubs.RestateEvery, worker),
            orchestration.SourceHub);
        System.ActorOf(ChangeCaptureActor.Props(source is MySqlSource ? Settings.SourceMySql : null, cdc, proxy, orchestration.DestinationHub), CdcSettings.CaptureName);
        return supervisor;
    }

    private IActorRef StartDestinationHub(OrchestratorSettings orchestration, HubSettings hubs, CdcSettings cdc, IActorRef proxy)
    {
        var path = Path.GetFullPath(Settings.Destination);
        var worker = System.ActorOf(DestinationHub.Props(orchestration.DestinationHub, path, orchestration.AskTimeout, hubs.ReadBack), "destination");
        var supervisor = System.ActorOf(HubSupervisor.Props(orchestration.DestinationHub, "sqlite", _ => Task.Run(() => SqliteDestination.Ping(path)),
            hubs.HealthInterval, proxy, hubs.RestateEvery, worker), orchestration.DestinationHub);
        System.ActorOf(ChangeApplyActor.Props(path, proxy, cdc), CdcSettings.ApplierName);
        return supervisor;
    }

    /// <returns>The node's supervisor, and the chaos gremlin in front of it when chaos testing is on.</returns>
    private (IActorRef Node, IActorRef? Gremlin) StartNode(Config config, bool chaos, IActorRef proxy)
    {
        var nodeSettings = NodeSettingsFrom(config, Path.Combine(Settings.DataDirectory, $"node{Settings.Node}.segments"));
        // Chaos testing only: a packet gremlin in front of the node's inbox, never inside the node.
        var gremlin = chaos ? System.ActorOf(PacketGremlinActor.Props(Settings.Node - 1, config.GetString("actorsync.chaos.arm-on-start", "")), $"gremlin-{Settings.Node}") : null;
        var node = NodeActor.Props(Settings.Node - 1, nodeSettings, registry: proxy, front: gremlin);
        var supervised = System.ActorOf(NodeActor.Supervised(node, config.GetTimeSpan("actorsync.node.restart-backoff.min", TimeSpan.FromSeconds(1)),
            config.GetTimeSpan("actorsync.node.restart-backoff.max", TimeSpan.FromSeconds(30))), $"node-{Settings.Node}");
        System.ActorOf(NodeChangeLog.Props(Settings.Node - 1), CdcSettings.ChangeLogName(Settings.Node - 1));
        return (supervised, gremlin);
    }

    /// <summary>A node's settings (actorsync.node), checked by <see cref="NodeSettings.Validate"/>.</summary>
    public static NodeSettings NodeSettingsFrom(Config config, string storeDirectory) => new(
        config.GetInt("actorsync.node.snapshot-every", 50),
        storeDirectory,
        config.GetTimeSpan("actorsync.node.register-every", TimeSpan.FromSeconds(5)),
        config.GetInt("actorsync.node.journal-window", 64),
        config.GetByteSize("actorsync.node.max-held-bytes") ?? 32L << 20);

    /// <summary>Leaves the cluster gracefully (CoordinatedShutdown) and stops the endpoints.</summary>
    public async Task StopAsync()
    {
        if (_commands is not null) await _commands.DisposeAsync();
        _commands = null;
        var shutdown = CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClrExitReason.Instance);
        await Task.WhenAny(shutdown, Task.Delay(Settings.ShutdownTimeout));
        if (_metrics is not null) await _metrics.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (!System.WhenTerminated.IsCompleted) await System.Terminate();
    }
}
