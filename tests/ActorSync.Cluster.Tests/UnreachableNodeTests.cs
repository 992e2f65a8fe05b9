using ActorSync.Cluster.Orchestration;
using ActorSync.Cluster.Protocol;
using Akka.Actor;
using Akka.Configuration;
using Akka.Remote;
using Akka.Remote.Transport;

namespace ActorSync.Cluster.Tests;

/// <summary>
/// A node that stops answering (frozen, cut off) is dropped from the running cycle when the failure detector marks
/// it unreachable, seconds in, not after an ask-timeout; and no cycle counts on it while it stays unreachable.
/// </summary>
[Collection(ClusterFlows.Name)] // forms a cluster and relies on its failure detector
public sealed class UnreachableNodeTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    // The throttler adapter can black-hole a peer, as a partition or SIGSTOP would; downing is off so only
    // reachability (not a later removal) can unblock the cycle.
    private static Config Member(string role) => ClusterConfig.Compose(
        ConfigurationFactory.ParseString("""
            akka.remote.dot-netty.tcp.applied-adapters = [trttl]
            akka.cluster.downing-provider-class = ""
            actorsync.orchestrator.ask-timeout = 10m
            """),
        ClusterConfig.ForMember(role));

    public UnreachableNodeTests() : base(Member("orchestrator"), "actorsync") { }

    [Fact]
    public async Task A_node_that_stops_answering_is_dropped_from_the_running_cycle_once_unreachable()
    {
        var frozenMember = ActorSystem.Create("actorsync", Member("node"));
        try
        {
            var cluster = Akka.Cluster.Cluster.Get(Sys);
            await cluster.JoinAsync(cluster.SelfAddress);
            await Akka.Cluster.Cluster.Get(frozenMember).JoinAsync(cluster.SelfAddress);
            await AwaitAssertAsync(() => Assert.Equal(2, cluster.State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up)), Patience);

            var settings = OrchestratorSettings.From(Member("orchestrator"));
            var orchestrator = Sys.ActorOf(Orchestrator.Props(settings), "orchestrator");
            frozenMember.ActorOf(Props.Create(() => new SilentNode()), "node1");
            var frozen = await Sys.ActorSelection(new RootActorPath(Akka.Cluster.Cluster.Get(frozenMember).SelfAddress) / "user" / "node1").ResolveOne(Patience);
            var nodes = Enumerable.Range(1, 3).Select(n => CreateTestProbe($"node{n + 1}")).ToArray();
            foreach (var hub in new[] { settings.SourceHub, settings.DestinationHub })
            {
                var probe = CreateTestProbe(hub);
                orchestrator.Tell(new RegisterHub(hub, probe.Ref, probe.Ref));
            }
            orchestrator.Tell(new RegisterNode(0, frozen));
            for (int n = 1; n <= 3; n++) orchestrator.Tell(new RegisterNode(n, nodes[n - 1].Ref));

            orchestrator.Tell(StartSync.OneWay, TestActor);
            foreach (var (node, n) in nodes.Select((p, i) => (p, i + 1)))
            {
                node.ExpectMsg<GetHoldings>(Patience);
                node.Reply(new Holdings(n, 0, [], []));
            }
            // Node 1 never answers; now it goes silent on the network too.
            Assert.True(await ((IRemoteActorRefProvider)((ExtendedActorSystem)Sys).Provider).Transport.ManagementCommand(
                new SetThrottle(Akka.Cluster.Cluster.Get(frozenMember).SelfAddress, ThrottleTransportAdapter.Direction.Both, Blackhole.Instance)));

            // The survey closes without it (the ask-timeout is 10 minutes): the next step goes to the others.
            foreach (var node in nodes) node.ExpectMsg<OpenInbox>(Patience);
            orchestrator.Tell(GetRoster.Instance, TestActor);
            var roster = ExpectMsg<Roster>(Patience);
            Assert.False(roster.Nodes.Single(n => n.Node == 0).Alive);
            Assert.All(roster.Nodes.Where(n => n.Node > 0), n => Assert.True(n.Alive));
        }
        finally
        {
            await frozenMember.Terminate();
        }
    }

    private sealed class SilentNode : ReceiveActor
    {
        public SilentNode() => ReceiveAny(_ => { });
    }
}
