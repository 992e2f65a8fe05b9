using ActorSync.Cluster.Nodes;
using ActorSync.Cluster.Protocol;
using ActorSync.Coding;
using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;

namespace ActorSync.Cluster.Tests;

/// <summary>
/// Four node actors with the thesis placement (K=4, r=2): after placement, coded delivery makes every node hold every
/// batch, and with the source gone, RLNC packets from the peers rebuild what each node lacks. Real SQLite journal.
/// </summary>
public class NodeCodingTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private readonly TempDirectory _temp;
    private readonly Placement _placement = new(4, 2);
    private readonly byte[][] _batches;
    private readonly BatchManifest _manifest;
    private readonly LinkCounters _counters = new();

    public NodeCodingTests() : this(new TempDirectory()) { }

    private NodeCodingTests(TempDirectory temp) : base(ClusterConfig.Compose(
        ConfigurationFactory.ParseString("akka.actor.serialize-messages = on"),
        ClusterConfig.ForNodeJournal(temp.File("nodes.journal.db"))))
    {
        _temp = temp;
        (_batches, _manifest) = BatchPacker.Pack(Enumerable.Range(0, 4521)
            .Select(i => (ReadOnlyMemory<byte>)System.Text.Encoding.UTF8.GetBytes($"{i},{30 + i % 50},management,married,tertiary,no,{i * 13 % 9000}")).ToArray(), 6);
    }

    [Theory]
    [InlineData(XorScheme.Leader)]
    [InlineData(XorScheme.ThesisMan)]
    public void Coded_delivery_leaves_every_node_with_every_batch(XorScheme scheme)
    {
        var nodes = PlacedNodes();
        var plan = scheme == XorScheme.Leader ? XorDeliveryPlan.LeaderBased(_placement) : XorDeliveryPlan.ThesisMan(_placement);

        foreach (var spec in plan.Packets)
        {
            var packet = XorDeliveryPlan.Encode(spec, _batches);
            foreach (var node in Combinatorics.Members(spec.Recipients))
            {
                nodes[node].Tell(new XorPacketMessage(1, packet.Index, packet.Batches, packet.Payload, packet.Checksum), TestActor);
                Assert.NotEqual("Rejected", ExpectMsg<XorAccepted>(Patience).Outcome);
            }
        }

        AssertEveryNodeHoldsEverything(nodes);
    }

    [Fact]
    public void With_the_source_down_peers_rebuild_each_node_with_rlnc_packets()
    {
        var nodes = PlacedNodes();
        var allocation = RecoveryAllocation.ForPlacement(_placement);
        var packets = new List<RlncPacketMessage>();
        for (int node = 0; node < 4; node++)
        {
            nodes[node].Tell(new EncodeRecovery(1, allocation.PacketsPerNode[node]), TestActor);
            packets.AddRange(Enumerable.Range(0, allocation.PacketsPerNode[node]).Select(_ => ExpectMsg<RlncPacketMessage>(Patience)));
        }

        int topUps = 0;
        var holders = Enumerable.Range(0, _placement.BatchCount).Select(_placement.HoldersOf).ToArray();
        for (int node = 0; node < 4; node++)
        {
            var replies = Deliver(nodes[node], packets.Where(p => p.Sender != node));
            // Rateless: while a node lacks rank, one peer holding something it lacks sends one more packet.
            for (int round = 0; !replies.Any(r => r.Decoded.Length > 0) && round < 10; round++)
            {
                var helpers = Combinatorics.Members(RecoveryAllocation.Helpers(replies[^1].Undetermined, holders, _placement.AllNodes & ~(1u << node)));
                var helper = helpers[round % helpers.Length];
                nodes[helper].Tell(new EncodeRecovery(1, 1), TestActor);
                replies.AddRange(Deliver(nodes[node], [ExpectMsg<RlncPacketMessage>(Patience)]));
                topUps++;
            }
            Assert.Equal(3, replies.Sum(r => r.Decoded.Length));
        }

        AssertEveryNodeHoldsEverything(nodes);
        // The counters see exactly the allocation's packets (4 for K=4, r=2) plus any rateless top-ups.
        Assert.Equal((allocation.Total + topUps) * (long)_manifest.BatchSize, _counters.Snapshot()[LinkCounters.PeerRecovery].Bytes);
    }

    [Fact]
    public void A_node_short_of_rank_names_what_it_lacks_and_top_ups_complete_it()
    {
        var nodes = PlacedNodes();
        var holders = Enumerable.Range(0, _placement.BatchCount).Select(_placement.HoldersOf).ToArray();
        nodes[1].Tell(new EncodeRecovery(1, 1), TestActor);
        nodes[2].Tell(new EncodeRecovery(1, 1), TestActor);
        var packets = new[] { ExpectMsg<RlncPacketMessage>(Patience), ExpectMsg<RlncPacketMessage>(Patience) };

        var short1 = Deliver(nodes[0], packets); // two packets for three unknowns: rank 2 at most
        var lacking = short1[^1];
        Assert.True(lacking.Rank <= 2 && lacking.Unknowns == 3 && lacking.Decoded.Length == 0);
        Assert.NotEmpty(lacking.Undetermined);

        var decoded = new List<int>();
        for (int round = 0; decoded.Count < 3 && round < 10; round++)
        {
            var helpers = Combinatorics.Members(RecoveryAllocation.Helpers(lacking.Undetermined, holders, _placement.AllNodes & ~1u));
            nodes[helpers[round % helpers.Length]].Tell(new EncodeRecovery(1, 1), TestActor);
            lacking = Deliver(nodes[0], [ExpectMsg<RlncPacketMessage>(Patience)])[0];
            decoded.AddRange(lacking.Decoded);
        }
        nodes[3].Tell(new EncodeRecovery(1, 1), TestActor);
        var late = Deliver(nodes[0], [ExpectMsg<RlncPacketMessage>(Patience)])[0];

        Assert.Equal([3, 4, 5], decoded.Order());
        Assert.Equal("NotInnovative", late.Outcome);
        Assert.Empty(late.FailedVerification);
    }

    [Fact]
    public void A_damaged_packet_is_rejected_and_a_node_without_a_manifest_says_so()
    {
        var nodes = PlacedNodes();
        var packet = XorDeliveryPlan.Encode(XorDeliveryPlan.ThesisMan(_placement).Packets[0], _batches);
        var damaged = (byte[])packet.Payload.Clone();
        damaged[100] ^= 0x40;
        var bare = Sys.ActorOf(NodeActor.Props(7, snapshotEvery: 50));

        nodes[0].Tell(new XorPacketMessage(1, packet.Index, packet.Batches, damaged, packet.Checksum), TestActor);
        Assert.Equal("Rejected", ExpectMsg<XorAccepted>(Patience).Outcome);
        bare.Tell(new XorPacketMessage(0, packet.Index, packet.Batches, packet.Payload, packet.Checksum), TestActor);
        Assert.Equal("NoManifest", ExpectMsg<XorAccepted>(Patience).Outcome);
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        _temp.Dispose();
    }

    private IActorRef[] PlacedNodes()
    {
        var nodes = Enumerable.Range(0, 4).Select(n => Sys.ActorOf(NodeActor.Props(n, snapshotEvery: 50, _counters))).ToArray();
        for (int node = 0; node < 4; node++)
        {
            nodes[node].Tell(new StoreManifest(1, _manifest.BatchSize, _manifest.BatchDigests.ToArray(), []), TestActor);
            ExpectMsg<ManifestStored>(Patience);
            foreach (var b in _placement.BatchesOf(node))
            {
                nodes[node].Tell(new StoreBatch(1, b, _batches[b], _manifest.BatchDigests[b]), TestActor);
                ExpectMsg<BatchStored>(Patience);
            }
        }
        return nodes;
    }

    private List<RlncAccepted> Deliver(IActorRef node, IEnumerable<RlncPacketMessage> packets)
    {
        var replies = new List<RlncAccepted>();
        foreach (var packet in packets)
        {
            node.Tell(packet, TestActor);
            replies.Add(ExpectMsg<RlncAccepted>(Patience));
        }
        return replies;
    }

    private void AssertEveryNodeHoldsEverything(IActorRef[] nodes)
    {
        foreach (var node in nodes)
        {
            node.Tell(GetHoldings.Instance, TestActor);
            var holdings = ExpectMsg<Holdings>(Patience);
            Assert.Equal(Enumerable.Range(0, 6), holdings.Batches.Concat(holdings.Decoded).Order());
            for (int b = 0; b < 6; b++)
            {
                node.Tell(new GetBatch(b), TestActor);
                Assert.Equal(_batches[b], ExpectMsg<BatchData>(Patience).Data);
            }
        }
    }
}
