using ActorSync.Cluster.Hubs;
using ActorSync.Cluster.Nodes;
using ActorSync.Cluster.Orchestration;
using ActorSync.Cluster.Protocol;
using ActorSync.Data.MySql;
using ActorSync.Data.Sqlite;
using Akka.Actor;
using Akka.Configuration;

namespace ActorSync.Cluster.Tests;

/// <summary>
/// A whole ActorSync cluster in one process, one ActorSystem per member on 127.0.0.1 with free ports: the
/// orchestrator (singleton), Hub B beside a real MariaDB, Hub C beside a real SQLite file, and K nodes, each
/// journaling to its own SQLite file. Members talk over real remoting, so every message crosses the serializer.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly TempDirectory _temp;
    private readonly Config _overrides;
    private readonly List<ActorSystem> _systems = [];
    private readonly ActorSystem?[] _nodes;

    public ActorSystem OrchestratorMember { get; }
    public IActorRef OrchestratorProxy { get; }
    public MySqlSource Source { get; }
    public string DestinationPath { get; }
    public OrchestratorSettings Settings { get; }
    public IActorRef?[] NodeActors { get; }

    private TestCluster(TempDirectory temp, string mysql, Config overrides)
    {
        _temp = temp;
        _overrides = overrides;
        Settings = OrchestratorSettings.From(ClusterConfig.Compose(overrides));
        Source = new MySqlSource(mysql);
        DestinationPath = temp.File("hubc.db");
        _nodes = new ActorSystem?[Settings.Nodes];
        NodeActors = new IActorRef?[Settings.Nodes];

        OrchestratorMember = Member("orchestrator");
        OrchestratorMember.ActorOf(Orchestrator.SingletonProps(OrchestratorMember, Settings), "orchestrator");
        OrchestratorProxy = OrchestratorMember.ActorOf(Orchestrator.ProxyProps(OrchestratorMember), "orchestrator-proxy");
    }

    /// <param name="settings">HOCON over the defaults, e.g. "actorsync.orchestrator.scheme = thesis-man".</param>
    public static async Task<TestCluster> StartAsync(TempDirectory temp, string mysql, string settings = "")
    {
        var overrides = ConfigurationFactory.ParseString($"""
            actorsync.hub.health-interval = 500ms
            actorsync.hub.restate-every = 4
            actorsync.node.register-every = 1s
            actorsync.orchestrator.ask-timeout = 15s
            {settings}
            """);
        var cluster = new TestCluster(temp, mysql, overrides);
        cluster.StartHubs();
        for (int node = 0; node < cluster.Settings.Nodes; node++) cluster.StartNode(node);
        await cluster.AwaitMembersUpAsync(3 + cluster.Settings.Nodes);
        await cluster.AwaitRegisteredAsync();
        return cluster;
    }

    public string Journal(int node) => _temp.File($"node{node + 1}.journal.db");

    public string Store(int node) => _temp.File($"node{node + 1}.segments");

    /// <summary>Starts node <paramref name="node"/> on a new member, replaying its journal (or none, if wiped).</summary>
    public void StartNode(int node, bool wipeJournal = false)
    {
        // The stopped member's pooled connections would keep the deleted file alive inside this process.
        if (wipeJournal) Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (wipeJournal)
        {
            foreach (var file in Directory.GetFiles(_temp.Path, Path.GetFileName(Journal(node)) + "*")) File.Delete(file);
            if (Directory.Exists(Store(node))) Directory.Delete(Store(node), recursive: true); // a lost disk: journal and segments
        }
        var system = Member("node", ClusterConfig.ForNodeJournal(Journal(node)));
        var proxy = system.ActorOf(Orchestrator.ProxyProps(system), "orchestrator-proxy");
        NodeActors[node] = system.ActorOf(NodeActor.Props(node, new NodeSettings(50, Store(node), TimeSpan.FromSeconds(1)), registry: proxy), $"node-{node + 1}");
        _nodes[node] = system;
    }

    /// <summary>Stops node <paramref name="node"/>'s member, as a crash of its process would (it leaves the cluster).</summary>
    public async Task StopNodeAsync(int node)
    {
        var system = _nodes[node] ?? throw new InvalidOperationException($"node {node + 1} is not running.");
        _nodes[node] = null;
        NodeActors[node] = null;
        _systems.Remove(system);
        await CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClrExitReason.Instance);
    }

    public async Task<CycleReport> SyncAsync(StartSync? request = null) =>
        await OrchestratorProxy.Ask<CycleReport>(request ?? StartSync.OneWay, Patience);

    public async Task<ModeStatus> ModeAsync() => await OrchestratorProxy.Ask<ModeStatus>(GetMode.Instance, TimeSpan.FromSeconds(10));

    /// <summary>Waits for the orchestrator to record a cycle after <paramref name="after"/> that satisfies the condition.</summary>
    public async Task<CycleReport> AwaitCycleAsync(int after, Func<CycleReport, bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            var status = await OrchestratorProxy.Ask<SyncStatus>(GetSyncStatus.Instance, TimeSpan.FromSeconds(10));
            if (status.Recent.FirstOrDefault(r => r.Cycle > after && condition(r)) is { } report) return report;
            await Task.Delay(100);
        }
        var last = (await OrchestratorProxy.Ask<SyncStatus>(GetSyncStatus.Instance, TimeSpan.FromSeconds(10))).Recent;
        throw new TimeoutException($"no matching cycle after cycle {after}; cycles: {string.Join(" | ", last.Select(r => $"{r.Cycle} {r.Kind} {r.Outcome}"))}");
    }

    public async Task<int> LastCycleAsync() =>
        (await OrchestratorProxy.Ask<SyncStatus>(GetSyncStatus.Instance, TimeSpan.FromSeconds(10))).Recent.LastOrDefault()?.Cycle ?? 0;

    public async Task<Holdings> HoldingsAsync(int node) =>
        await (NodeActors[node] ?? throw new InvalidOperationException($"node {node + 1} is not running."))
            .Ask<Holdings>(GetHoldings.Instance, TimeSpan.FromSeconds(10));

    /// <summary>Waits until the orchestrator knows every running node as up (registered and watched).</summary>
    public async Task AwaitRegisteredAsync()
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var mode = await ModeAsync();
            var sync = await OrchestratorProxy.Ask<SyncStatus>(GetSyncStatus.Instance, TimeSpan.FromSeconds(10));
            bool settled = mode.NodesDown.Length == 0 && !sync.Running && mode.SourceHealthy;
            if (settled && await EveryNodeRegisteredAsync()) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the cluster's nodes did not all register with the orchestrator.");
            await Task.Delay(100);
        }
    }

    private async Task<bool> EveryNodeRegisteredAsync()
    {
        // A dry repair cycle would be noise; instead ask each node, through the orchestrator's member, that it is reachable.
        foreach (var actor in NodeActors.Where(a => a is not null))
        {
            try
            {
                await actor!.Ask<Holdings>(GetHoldings.Instance, TimeSpan.FromSeconds(2));
            }
            catch (AskTimeoutException)
            {
                return false;
            }
        }
        await Task.Delay(TimeSpan.FromSeconds(1.5)); // one registration interval, so the orchestrator has heard from each
        return true;
    }

    private void StartHubs()
    {
        var hubB = Member("hub");
        var proxyB = hubB.ActorOf(Orchestrator.ProxyProps(hubB), "orchestrator-proxy");
        var worker = hubB.ActorOf(SourceHub.Props("hub-b", Source, _temp.Path), "source");
        hubB.ActorOf(HubSupervisor.Props("hub-b", "mysql", Source.PingAsync, TimeSpan.FromMilliseconds(500), proxyB, restateEvery: 4, worker: worker), "hub-b");

        var hubC = Member("hub");
        var proxyC = hubC.ActorOf(Orchestrator.ProxyProps(hubC), "orchestrator-proxy");
        var destination = hubC.ActorOf(DestinationHub.Props("hub-c", DestinationPath, TimeSpan.FromSeconds(15)), "destination");
        hubC.ActorOf(HubSupervisor.Props("hub-c", "sqlite", _ => Task.Run(() => SqliteDestination.Ping(DestinationPath)), TimeSpan.FromMilliseconds(500),
            proxyC, restateEvery: 4, worker: destination), "hub-c");
    }

    private ActorSystem Member(string role, Config? extra = null)
    {
        var seed = _systems.Count == 0 ? null : Akka.Cluster.Cluster.Get(_systems[0]).SelfAddress;
        var config = ClusterConfig.Compose(_overrides, extra ?? Config.Empty, ClusterConfig.ForMember(role));
        var system = ActorSystem.Create("actorsync", config);
        var cluster = Akka.Cluster.Cluster.Get(system);
        cluster.Join(seed ?? cluster.SelfAddress);
        _systems.Add(system);
        return system;
    }

    public async Task AwaitMembersUpAsync(int count)
    {
        var cluster = Akka.Cluster.Cluster.Get(_systems[0]);
        var deadline = DateTime.UtcNow + Patience;
        while (cluster.State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up) < count || cluster.State.Unreachable.Count > 0)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the cluster did not reach {count} members up.");
            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var system in Enumerable.Reverse(_systems).ToArray()) await system.Terminate();
    }
}
