using ActorSync.Cluster.Hubs;
using ActorSync.Cluster.Nodes;
using ActorSync.Cluster.Protocol;
using ActorSync.Coding;
using Akka.Actor;
using Akka.Configuration;

namespace ActorSync.Cluster.Tests;

/// <summary>
/// Three ActorSystems in one process on 127.0.0.1 with free ports, one per role, form a cluster. Messages cross
/// real remoting (and so the serializer), a multi-MiB batch included, and a hub notices when a node's member dies.
/// </summary>
[Collection(ClusterFlows.Name)] // forms clusters: kept apart from the parallel classes so load cannot starve its failure detector
public class ClusterMembershipTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private readonly TempDirectory _temp;

    public ClusterMembershipTests() : this(new TempDirectory()) { }

    private ClusterMembershipTests(TempDirectory temp) : base(Member("orchestrator", temp.File("orchestrator.db")), "actorsync")
    {
        _temp = temp;
    }

    private static Config Member(string role, string journal) =>
        ClusterConfig.Compose(ClusterConfig.ForMember(role), ClusterConfig.ForNodeJournal(journal));

    [Fact]
    public async Task Members_join_with_their_roles_carry_large_batches_and_report_a_dead_node()
    {
        var seed = Akka.Cluster.Cluster.Get(Sys);
        seed.Join(seed.SelfAddress);
        var hubSystem = ActorSystem.Create("actorsync", Member("hub", _temp.File("hub.db")));
        var nodeSystem = ActorSystem.Create("actorsync", Member("node", _temp.File("node.db")));
        try
        {
            Akka.Cluster.Cluster.Get(hubSystem).Join(seed.SelfAddress);
            Akka.Cluster.Cluster.Get(nodeSystem).Join(seed.SelfAddress);
            AwaitAssert(() => Assert.Equal(3, seed.State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up)), Patience);
            Assert.Equal(["hub", "node", "orchestrator"], seed.State.Members.SelectMany(m => m.Roles).Order());

            // A 2 MiB batch streams from this member to a node on another member, over remoting, segment by segment.
            using var data = SegmentedData.Create(new Placement(2, 1, 1), rows: 90_000);
            nodeSystem.ActorOf(NodeActor.Props(0, new NodeSettings(50, _temp.File("store"), TimeSpan.FromSeconds(5))), "node-1");
            var nodePath = new RootActorPath(Akka.Cluster.Cluster.Get(nodeSystem).SelfAddress) / "user" / "node-1";
            var remoteNode = await Sys.ActorSelection(nodePath).ResolveOne(Patience);
            remoteNode.Tell(new OpenInbox(1, 1), TestActor);
            var inbox = ExpectMsg<InboxOpened>(Patience).Inbox;
            Akka.Streams.Dsl.Source.From(data.Batch(0).Cast<IDataFrame>()).RunWith(inbox.Sink, Akka.Streams.ActorMaterializer.Create(Sys));
            Assert.Equal(0, ExpectMsg<InboxClosed>(Patience).Rejected);
            remoteNode.Tell(new StoreManifest(1, data.EncodedManifest, []), TestActor);
            ExpectMsg<ManifestStored>(Patience);
            remoteNode.Tell(GetHoldings.Instance, TestActor);
            Assert.Contains(0, ExpectMsg<Holdings>(Patience).Whole);
            Assert.True(data.Manifest.BatchSize > 2 << 20);

            // A hub on a third member watches that node and reports to a probe here.
            var reports = CreateTestProbe();
            var hub = hubSystem.ActorOf(HubSupervisor.Props("hub-b", "mysql", _ => Task.CompletedTask, TimeSpan.FromSeconds(1), reports.Ref, restateEvery: int.MaxValue));
            reports.ExpectMsg<DatabaseUp>(Patience);
            hub.Tell(new WatchNode(0, await hubSystem.ActorSelection(nodePath).ResolveOne(Patience)));
            hub.Tell(GetHubStatus.Instance, TestActor);
            Assert.Equal([0], ExpectMsg<HubStatus>(Patience).NodesUp);

            Shutdown(nodeSystem, Patience);
            var down = reports.ExpectMsg<NodeDown>(Patience);

            Assert.Equal(0, down.Node);
            AwaitAssert(() => Assert.Equal(2, seed.State.Members.Count), Patience);
        }
        finally
        {
            Shutdown(nodeSystem, Patience);
            Shutdown(hubSystem, Patience);
        }
    }

    [Fact]
    public void A_member_config_names_its_role_and_refuses_an_unknown_one()
    {
        var config = ClusterConfig.ForMember("node", "10.1.2.3", 4053, ["akka.tcp://actorsync@seed:4053"]);
        var error = Assert.Throws<ArgumentException>(() => ClusterConfig.ForMember("worker"));

        Assert.Equal(["node"], config.GetStringList("akka.cluster.roles"));
        Assert.Equal(4053, config.GetInt("akka.remote.dot-netty.tcp.port"));
        Assert.Equal(["akka.tcp://actorsync@seed:4053"], config.GetStringList("akka.cluster.seed-nodes"));
        Assert.Equal("keep-majority", config.GetString("akka.cluster.split-brain-resolver.active-strategy"));
        Assert.Contains("'worker'", error.Message);
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        _temp.Dispose();
    }
}
