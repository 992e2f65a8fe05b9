using ActorSync.Cluster.Orchestration;
using ActorSync.Cluster.Protocol;
using Akka.Actor;
using Akka.Configuration;

namespace ActorSync.Cluster.Tests;

[Collection(ClusterFlows.Name)] // forms clusters: kept apart from the parallel classes so load cannot starve its failure detector
public class OrchestratorTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _temp;

    public OrchestratorTests() : this(new TempDirectory()) { }

    private OrchestratorTests(TempDirectory temp) : base(Member(temp.File("a.db")), "actorsync")
    {
        _temp = temp;
    }

    private static readonly OrchestratorSettings Settings = OrchestratorSettings.From(ClusterConfig.Compose());

    // Every message to the orchestrator crosses the protocol serializer.
    private static Config Member(string journal) =>
        ClusterConfig.Compose(ConfigurationFactory.ParseString("akka.actor.serialize-messages = on"),
            ClusterConfig.ForMember("orchestrator"), ClusterConfig.ForNodeJournal(journal));

    // Two members of one cluster in this process. No serialize-messages: Akka's own member events lose their up-number
    // through the fallback serializer, so a proxy could take the younger member for the oldest. The proxy's hop to the
    // singleton is remote anyway, so our messages still cross the protocol serializer. A stall under CI load must not
    // let the failure detector and SBR down a member: this is about the singleton's hand-over, not failure detection.
    private static Config ClusterMember(string journal) =>
        ClusterConfig.Compose(ConfigurationFactory.ParseString("akka.cluster.failure-detector.acceptable-heartbeat-pause = 20s"),
            ClusterConfig.ForMember("orchestrator"), ClusterConfig.ForNodeJournal(journal));

    [Fact]
    public void A_cycle_that_throws_ends_as_failed_and_is_never_run_again()
    {
        var orchestrator = Sys.ActorOf(Orchestrator.Props(Settings));
        var nodes = Enumerable.Range(0, 4).Select(n => CreateTestProbe($"node{n + 1}")).ToArray();
        foreach (var hub in new[] { Settings.SourceHub, Settings.DestinationHub })
        {
            var probe = CreateTestProbe(hub);
            orchestrator.Tell(new RegisterHub(hub, probe.Ref, probe.Ref));
        }
        for (int n = 0; n < 4; n++) orchestrator.Tell(new RegisterNode(n, nodes[n].Ref));

        orchestrator.Tell(StartSync.OneWay, TestActor);
        // Node 1 answers the holdings question with the wrong reply: the cycle's code throws on it.
        nodes[0].ExpectMsg<GetHoldings>(Patience);
        nodes[0].Reply(new ManifestStored(0, 1, [], []));
        for (int n = 1; n < 4; n++)
        {
            nodes[n].ExpectMsg<GetHoldings>(Patience);
            nodes[n].Reply(new Holdings(n, 0, [], []));
        }
        var report = ExpectMsg<CycleReport>(Patience);

        Assert.False(report.Verified);
        Assert.Contains("stopped unexpectedly", report.Outcome);
        Assert.Contains("InvalidCastException", report.Outcome);
        foreach (var node in nodes) node.ExpectNoMsg(TimeSpan.FromSeconds(1)); // not restarted: nothing is asked again
    }

    [Fact]
    public void A_node_that_restarted_while_hub_b_was_down_is_repaired_and_a_late_report_about_its_old_self_is_ignored()
    {
        var orchestrator = Sys.ActorOf(Orchestrator.Props(Settings));
        foreach (var hub in new[] { Settings.SourceHub, Settings.DestinationHub })
        {
            var probe = CreateTestProbe(hub);
            orchestrator.Tell(new RegisterHub(hub, probe.Ref, probe.Ref));
        }
        var before = CreateTestProbe("node1-before");
        var others = Enumerable.Range(1, 3).Select(n => CreateTestProbe($"node{n + 1}")).ToArray();
        orchestrator.Tell(new RegisterNode(0, before.Ref));
        for (int n = 1; n < 4; n++) orchestrator.Tell(new RegisterNode(n, others[n - 1].Ref));
        orchestrator.Tell(new CycleFinished(CycleReport.Ended(1, "sync", "normal", "leader", "2026-12-02T00:00:00Z", 1, "verified"),
            new DatasetState(7, [], [])), TestActor); // the orchestrator knows a dataset, so a return calls for a repair

        // Node 1 restarts while no supervisor watched it: nobody reports it down or up. Its new incarnation registers.
        var after = CreateTestProbe("node1-after");
        orchestrator.Tell(new RegisterNode(0, after.Ref));

        after.ExpectMsg<StoreManifest>(Patience); // a repair cycle runs, with the new incarnation in it
        // The old incarnation's death, reported late, does not take the new one out of the cycle or the roster.
        orchestrator.Tell(new NodeDown(Settings.SourceHub, 0, "its member became unreachable", before.Ref));
        orchestrator.Tell(GetRoster.Instance, TestActor);
        Assert.True(ExpectMsg<Roster>(Patience).Nodes.Single(n => n.Node == 0).Alive);
        before.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public void The_source_going_down_switches_to_recovery_and_its_return_switches_back()
    {
        var orchestrator = Sys.ActorOf(Orchestrator.Props(Settings));
        var subscriber = CreateTestProbe();
        orchestrator.Tell(new SubscribeModes(subscriber.Ref));

        orchestrator.Tell(new DatabaseDown("hub-c", "sqlite", "file missing")); // the destination: no mode change
        orchestrator.Tell(new NodeDown("hub-b", 2, "its actor stopped"));
        orchestrator.Tell(new DatabaseDown("hub-b", "mysql", "unreachable"));
        orchestrator.Tell(new DatabaseDown("hub-b", "mysql", "unreachable")); // a restatement: no second change
        var toRecovery = subscriber.ExpectMsg<ModeChanged>(Patience);
        orchestrator.Tell(GetMode.Instance, TestActor);
        var during = ExpectMsg<ModeStatus>(Patience);
        orchestrator.Tell(new DatabaseUp("hub-b", "mysql"));
        var toNormal = subscriber.ExpectMsg<ModeChanged>(Patience);

        Assert.Equal(("normal", "recovery"), (toRecovery.From, toRecovery.To));
        Assert.Contains("unreachable", toRecovery.Reason);
        Assert.Equal("recovery", during.Mode);
        Assert.False(during.SourceHealthy);
        Assert.False(during.DestinationHealthy);
        Assert.Equal([2], during.NodesDown);
        Assert.Equal(("recovery", "normal"), (toNormal.From, toNormal.To));
        subscriber.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void While_following_the_source_going_down_starts_no_recovery_that_would_put_the_older_batch_cache_over_hub_c()
    {
        var orchestrator = Sys.ActorOf(Orchestrator.Props(Settings));
        foreach (var hub in new[] { Settings.SourceHub, Settings.DestinationHub })
        {
            var probe = CreateTestProbe(hub);
            orchestrator.Tell(new RegisterHub(hub, probe.Ref, probe.Ref));
        }
        var nodes = Enumerable.Range(0, 4).Select(n => CreateTestProbe($"node{n + 1}")).ToArray();
        for (int n = 0; n < 4; n++) orchestrator.Tell(new RegisterNode(n, nodes[n].Ref));
        orchestrator.Tell(new CaptureRunning("mariadb-bin.000001:4"));

        orchestrator.Tell(new DatabaseDown(Settings.SourceHub, "mysql", "unreachable"));
        orchestrator.Tell(GetMode.Instance, TestActor);
        Assert.Equal(Orchestrator.Recovery, ExpectMsg<ModeStatus>(Patience).Mode);

        // Hub C is ahead of the cache: the nodes' change logs serve it, so no cycle asks the nodes for their holdings.
        foreach (var node in nodes) node.ExpectNoMsg(TimeSpan.FromSeconds(1));
        orchestrator.Tell(GetSyncStatus.Instance, TestActor);
        Assert.False(ExpectMsg<SyncStatus>(Patience).Running);
    }

    [Fact]
    public void The_singleton_moves_when_its_member_dies_and_learns_the_mode_from_restated_hub_reports()
    {
        var oldest = ActorSystem.Create("actorsync", ClusterMember(_temp.File("b.db")));
        var second = ActorSystem.Create("actorsync", ClusterMember(_temp.File("c.db")));
        try
        {
            var first = Akka.Cluster.Cluster.Get(oldest);
            first.Join(first.SelfAddress);
            AwaitAssert(() => Assert.Contains(first.State.Members, m => m.Status == Akka.Cluster.MemberStatus.Up), Patience);
            Akka.Cluster.Cluster.Get(second).Join(first.SelfAddress);
            // Both views, not just the oldest's: the proxy picks the oldest from its own member's view.
            AwaitAssert(() =>
            {
                Assert.Equal(2, first.State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up));
                Assert.Equal(2, Akka.Cluster.Cluster.Get(second).State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up));
            }, Patience);
            oldest.ActorOf(Orchestrator.SingletonProps(oldest, Settings), "orchestrator");
            second.ActorOf(Orchestrator.SingletonProps(second, Settings), "orchestrator");
            var proxy = second.ActorOf(Orchestrator.ProxyProps(second), "orchestrator-proxy");
            var probe = CreateTestProbe(second);

            proxy.Tell(new DatabaseDown("hub-b", "mysql", "unreachable"), probe.Ref);
            AwaitAssert(() =>
            {
                proxy.Tell(GetMode.Instance, probe.Ref);
                Assert.Equal("recovery", probe.ExpectMsg<ModeStatus>(TimeSpan.FromSeconds(3)).Mode);
            }, Patience + Patience); // the first singleton can take a while to start on a loaded machine

            // The oldest member hosts the singleton; when it goes, the singleton starts again on the other member
            // with no memory, and the hub's next restatement tells it the source is still down.
            Shutdown(oldest, Patience);
            AwaitAssert(() =>
            {
                proxy.Tell(new DatabaseDown("hub-b", "mysql", "unreachable"), probe.Ref); // what a hub restates
                proxy.Tell(GetMode.Instance, probe.Ref);
                Assert.Equal("recovery", probe.ExpectMsg<ModeStatus>(TimeSpan.FromSeconds(3)).Mode);
            }, Patience);
        }
        finally
        {
            Shutdown(second, Patience);
            Shutdown(oldest, Patience);
        }
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        _temp.Dispose();
    }
}
