using ActorSync.Cluster.Nodes;
using ActorSync.Cluster.Protocol;
using ActorSync.Coding;
using Akka.Actor;
using Akka.Configuration;
using Akka.Pattern;
using Akka.Streams;
using Akka.Streams.Dsl;
using Microsoft.Data.Sqlite;

namespace ActorSync.Cluster.Tests;

/// <summary>
/// Nodes with a real SQLite journal and segment stores on disk, fed through their inbox streams as the relay feeds
/// them: segments are checked and stored, coded packets decoded, all of it journaled, and it survives restarts.
/// </summary>
public class NodeActorTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private readonly TempDirectory _temp;
    private readonly string _journal;
    private readonly Placement _placement = new(4, 2);
    private int _round;

    public NodeActorTests() : this(new TempDirectory()) { }

    private NodeActorTests(TempDirectory temp) : base(NodeConfig(temp.File("nodes.journal.db")))
    {
        _temp = temp;
        _journal = temp.File("nodes.journal.db");
    }

    private static Config NodeConfig(string journal) =>
        ClusterConfig.Compose(
            ConfigurationFactory.ParseString("akka.actor.serialize-messages = on"), // every message crosses the serializer
            ClusterConfig.ForNodeJournal(journal));

    private NodeSettings Settings(int node, int snapshotEvery = 50) => new(snapshotEvery, _temp.File($"store-{node}"), TimeSpan.FromSeconds(5), JournalWindow: 8);

    private IActorRef Node(int node, int snapshotEvery = 50, ActorSystem? system = null, IActorRef? front = null) =>
        (system ?? Sys).ActorOf(NodeActor.Props(node, Settings(node, snapshotEvery), front: front));

    /// <summary>Streams frames into a node's inbox for one round, as the relay does, and returns what the node made of them.</summary>
    private InboxClosed Send(IActorRef node, long dataset, IEnumerable<IDataFrame> frames)
    {
        node.Tell(new OpenInbox(dataset, ++_round), TestActor);
        var opened = ExpectMsg<InboxOpened>(Patience);
        Source.From(frames.ToArray()).RunWith(opened.Inbox.Sink, Sys.Materializer());
        return ExpectMsg<InboxClosed>(Patience);
    }

    private Holdings HoldingsOf(IActorRef node)
    {
        node.Tell(GetHoldings.Instance, TestActor);
        return ExpectMsg<Holdings>(Patience);
    }

    private void Install(IActorRef node, SegmentedData data)
    {
        node.Tell(new StoreManifest(data.Dataset, data.EncodedManifest, [1, 2, 3]), TestActor);
        Assert.Equal(data.Dataset, ExpectMsg<ManifestStored>(Patience).Dataset);
    }

    [Fact]
    public async Task Stores_verified_segments_journals_them_and_serves_whole_batches()
    {
        using var data = SegmentedData.Create(_placement);
        var node = Node(0);

        var closed = Send(node, 1, _placement.BatchesOf(0).SelectMany(data.Batch));
        Install(node, data);
        var holdings = HoldingsOf(node);
        node.Tell(new OfferSegments(1, [new SegmentOffer(1, 0b10, FrameKind.Repair)]), TestActor);
        var offered = ExpectMsg<SegmentsOffered>(Patience);
        var served = (await offered.Segments.Source.RunWith(Sink.Seq<IDataFrame>(), Sys.Materializer())).Cast<Routed>().ToArray();

        Assert.Equal(0, closed.Rejected);
        Assert.Equal(_placement.BatchesOf(0), holdings.Whole);
        Assert.True(holdings.StoreBytes > 0);
        Assert.Equal(data.Batch(1).Select(f => Convert.ToHexString(f.Payload)), served.Select(r => Convert.ToHexString(((SegmentFrame)r.Frame).Payload)));
        Assert.All(served, r => Assert.Equal((0b10u, FrameKind.Repair), (r.Recipients, r.Kind)));
    }

    [Fact]
    public void A_damaged_segment_is_rejected_and_not_stored_and_its_resending_is()
    {
        using var data = SegmentedData.Create(_placement);
        var node = Node(0);
        var frames = data.Batch(0).ToArray();
        var damaged = frames[1] with { Payload = (byte[])frames[1].Payload.Clone() };
        damaged.Payload[10] ^= 0x01;

        var first = Send(node, 1, frames.Where((_, i) => i != 1).Append(damaged));
        Install(node, data);
        var partial = HoldingsOf(node);
        var second = Send(node, 1, [frames[1]]); // only the damaged segment is sent again

        Assert.Equal(1, first.Rejected);
        Assert.Equal([0], partial.Partial);
        Assert.Equal(0, second.Rejected);
        Assert.Contains(0, HoldingsOf(node).Whole);
    }

    [Theory]
    [InlineData(DeliveryMode.Leader)]
    [InlineData(DeliveryMode.ThesisMan)]
    public void Placement_and_coded_delivery_streamed_leave_every_node_with_every_batch(DeliveryMode scheme)
    {
        using var data = SegmentedData.Create(_placement);
        var nodes = Enumerable.Range(0, 4).Select(n => Node(n)).ToArray();
        var stream = data.SourceStream(scheme);

        for (int n = 0; n < 4; n++)
        {
            var closed = Send(nodes[n], 1, stream.Where(f => Combinatorics.Contains(f.Recipients, n)).Select(f => f.Frame));
            Assert.Equal((0, 0), (closed.Rejected, closed.Dropped));
            Install(nodes[n], data);
            Assert.Equal(Enumerable.Range(0, 6), HoldingsOf(nodes[n]).Whole);
        }
        Assert.True(data.Manifest.SegmentCount > 2);
    }

    [Fact]
    public async Task With_the_source_down_peers_rebuild_a_node_that_lost_everything_with_rlnc_packets()
    {
        using var data = SegmentedData.Create(_placement);
        var nodes = Enumerable.Range(0, 4).Select(n => Node(n)).ToArray();
        for (int n = 0; n < 4; n++)
        {
            Send(nodes[n], 1, n == 2 ? [] : _placement.BatchesOf(n).SelectMany(data.Batch));
            Install(nodes[n], data);
        }
        var holders = Enumerable.Range(0, 6).Select(b => _placement.HoldersOf(b) & ~(1u << 2)).ToArray();
        var allocation = RecoveryAllocation.Solve(4, holders, 0b1111);

        var frames = new List<IDataFrame>();
        foreach (var sender in new[] { 0, 1, 3 })
        {
            nodes[sender].Tell(new OfferRecovery(1, allocation.PacketsPerNode[sender] + 1, 1u << 2), TestActor);
            var offered = ExpectMsg<RecoveryOffered>(Patience);
            frames.AddRange((await offered.Segments.Source.RunWith(Sink.Seq<IDataFrame>(), Sys.Materializer())).Cast<Routed>().Select(r => r.Frame));
        }
        Send(nodes[2], 1, frames);
        nodes[2].Tell(new SolveRecovery(1), TestActor);
        var solved = ExpectMsg<RecoverySolved>(Patience);

        Assert.Equal(Enumerable.Range(0, 6), solved.Decoded);
        Assert.Empty(solved.Undetermined);
        Assert.Equal(Enumerable.Range(0, 6), HoldingsOf(nodes[2]).Whole);
    }

    [Fact]
    public void A_restarted_node_comes_back_from_its_journal_and_drops_a_segment_damaged_on_disk()
    {
        using var data = SegmentedData.Create(_placement);
        var node = Node(0, snapshotEvery: 2); // snapshots taken on the way
        Send(node, 1, _placement.BatchesOf(0).SelectMany(data.Batch));
        Install(node, data);
        Watch(node);
        node.Tell(PoisonPill.Instance);
        ExpectTerminated(node, Patience);
        // The first stored segment damaged on disk while the node was down, and a pack a kill -9 left that no journal entry names.
        var pack = Directory.GetFiles(Settings(0).StoreDirectory, "pack-*.seg").Single();
        using (var file = File.Open(pack, FileMode.Open, FileAccess.ReadWrite))
        {
            file.WriteByte(0x5A);
        }
        var orphan = Path.Combine(Settings(0).StoreDirectory, "pack-000099.seg");
        File.WriteAllText(orphan, "partial");

        var restarted = Node(0, snapshotEvery: 2);
        var holdings = HoldingsOf(restarted);

        Assert.Equal(2, holdings.Whole.Length); // three placed batches, one of which lost a segment
        Assert.Single(holdings.Partial);
        Assert.True(File.Exists(pack)); // its other segments are still served from it
        Assert.False(File.Exists(orphan));
        AwaitAssert(() => Assert.True(Count("snapshot") > 0), Patience);
    }

    [Fact]
    public void A_new_actor_system_on_the_same_journal_and_store_gets_the_cache_back()
    {
        using var data = SegmentedData.Create(_placement, dataset: 3);
        var node = Node(0);
        Send(node, 3, data.Batch(4));
        Install(node, data);
        Shutdown(Sys, Patience);

        var second = ActorSystem.Create("second", NodeConfig(_journal));
        try
        {
            var probe = CreateTestProbe(second);
            Node(0, system: second).Tell(GetHoldings.Instance, probe);
            var holdings = probe.ExpectMsg<Holdings>(Patience);
            Assert.Equal([4], holdings.Whole);
            Assert.Equal(3, holdings.Dataset);
        }
        finally
        {
            Shutdown(second, Patience);
        }
    }

    [Fact]
    public void A_newer_dataset_keeps_every_segment_that_did_not_change()
    {
        using var first = SegmentedData.Create(_placement, dataset: 1);
        using var second = SegmentedData.Create(_placement, dataset: 2, rows: 3001); // one more row: one batch changes
        var node = Node(0);
        Send(node, 1, Enumerable.Range(0, 6).SelectMany(first.Batch));
        Install(node, first);
        var changed = first.Manifest.Diff(second.Manifest);

        Install(node, second); // nothing sent: unchanged batches are kept, the changed one is not held
        var holdings = HoldingsOf(node);

        Assert.Single(changed);
        Assert.Equal(Enumerable.Range(0, 6).Except(changed), holdings.Whole);
        Assert.Equal(changed, holdings.Partial); // its unchanged segments are still here
    }

    [Fact]
    public void A_dropped_cache_stays_dropped_after_a_restart()
    {
        using var data = SegmentedData.Create(_placement);
        var node = Node(0);
        Send(node, 1, data.Batch(0));
        Install(node, data);
        node.Tell(DropCache.Instance, TestActor);
        ExpectMsg<CacheDropped>(Patience);
        Watch(node);
        node.Tell(PoisonPill.Instance);
        ExpectTerminated(node, Patience);

        var holdings = HoldingsOf(Node(0));

        Assert.Empty(holdings.Whole);
        Assert.Empty(Directory.GetFiles(Settings(0).StoreDirectory, "pack-*.seg"));
    }

    [Fact]
    public async Task Hub_C_is_fed_the_batches_it_lacks_as_the_node_comes_to_hold_them()
    {
        using var data = SegmentedData.Create(_placement);
        var node = Node(0);
        node.Tell(new FeedDestination(1, 6, SegmentedData.Layout.Size, [], ReplaceAll: false), TestActor); // before anything has arrived
        var feed = ExpectMsg<DestinationFeedOffered>(Patience);
        var received = feed.Segments.Source.RunWith(Sink.Seq<IDataFrame>(), Sys.Materializer());

        Send(node, 1, Enumerable.Range(0, 6).SelectMany(data.Batch));
        Install(node, data);

        var frames = (await received.WaitAsync(Patience)).Cast<SegmentFrame>().ToArray();
        Assert.Equal(6 * data.Manifest.SegmentCount, frames.Length);
        foreach (var batch in frames.GroupBy(f => f.Batch)) Assert.Equal(Enumerable.Range(0, data.Manifest.SegmentCount), batch.Select(f => f.Index)); // in order
        Assert.All(frames, f => Assert.True(data.Manifest.VerifyPadded(f.Batch, f.Index, f.Payload)));
    }

    [Fact]
    public async Task When_Hub_C_already_holds_every_batch_the_feed_completes_cleanly_with_nothing_in_it()
    {
        using var data = SegmentedData.Create(_placement);
        var node = Node(0);
        Send(node, 1, Enumerable.Range(0, 6).SelectMany(data.Batch));
        Install(node, data);

        // Hub C holds every root already: the feeder finishes at once, and its stream must still end cleanly
        // for a consumer that subscribes only after that.
        node.Tell(new FeedDestination(1, 6, SegmentedData.Layout.Size, data.Manifest.BatchDigests.ToArray(), ReplaceAll: false), TestActor);
        var feed = ExpectMsg<DestinationFeedOffered>(Patience);
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        var frames = await feed.Segments.Source.RunWith(Sink.Seq<IDataFrame>(), Sys.Materializer()).WaitAsync(Patience);

        Assert.Empty(frames);
    }

    [Fact]
    public void Chaos_faults_are_refused_unless_a_gremlin_stands_in_front_and_what_it_damages_is_rejected_then_resent()
    {
        using var data = SegmentedData.Create(_placement);
        var plain = Node(0);
        plain.Tell(new ArmPacketFault("flip", 1, "batch"), TestActor);
        Assert.Contains("packet faults are off", ExpectMsg<PacketFaultArmed>(Patience).Refused);

        var gremlin = Sys.ActorOf(PacketGremlinActor.Props(1, armOnStart: "flip:1:batch"));
        var node = Node(1, front: gremlin);
        var frames = data.Batch(0).ToArray();
        var first = Send(node, 1, frames);
        var again = Send(node, 1, frames); // the fault is spent
        gremlin.Tell(new ArmPacketFault("reorder", 1, "batch"), TestActor);
        Assert.Equal(1, ExpectMsg<PacketFaultArmed>(Patience).Remaining);
        var reordered = Send(node, 1, data.Batch(1));
        Install(node, data);

        Assert.Equal(1, first.Rejected);
        Assert.Equal(0, again.Rejected);
        Assert.Equal(0, reordered.Rejected); // held back, then delivered after the next: nothing lost
        Assert.Equal([0, 1], HoldingsOf(node).Whole);
    }

    [Fact]
    public void A_node_whose_journal_cannot_be_replayed_is_started_again_and_registers_once_the_journal_is_readable()
    {
        var journal = _temp.File("unreadable.journal.db");
        File.WriteAllText(journal, "this is not a SQLite database, so the replay times out");
        // A short replay timeout, as a loaded machine or an absent journal database hits the default one.
        var system = ActorSystem.Create("unreadable", ClusterConfig.Compose(
            ConfigurationFactory.ParseString("akka.persistence.journal.sql.recovery-event-timeout = 1s"), ClusterConfig.ForNodeJournal(journal)));
        try
        {
            var registry = CreateTestProbe(system);
            var probe = CreateTestProbe(system);
            var settings = Settings(0) with { RegisterEvery = TimeSpan.FromSeconds(30) };
            var node = system.ActorOf(NodeActor.Supervised(NodeActor.Props(0, settings, registry: registry.Ref),
                TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1)), "node-1");
            node.Tell(BackoffSupervisor.GetCurrentChild.Instance, probe.Ref); // its first incarnation: its replay lasts a timeout
            var firstChild = probe.ExpectMsg<BackoffSupervisor.CurrentChild>(Patience).Ref;

            registry.ExpectNoMsg(TimeSpan.FromSeconds(4)); // each replay times out and the node stops; its supervisor starts it again
            File.WriteAllBytes(journal, []); // readable again: an empty file is an empty database (same file, as pooled connections hold it)
            var registered = registry.ExpectMsg<RegisterNode>(Patience);
            node.Tell(GetHoldings.Instance, probe.Ref); // through the supervisor, to the running node

            Assert.Equal(0, registered.Node);
            Assert.NotNull(firstChild);
            Assert.NotEqual(firstChild, registered.Ref); // a later incarnation registered: the first one stopped
            Assert.Equal(0, probe.ExpectMsg<Holdings>(Patience).Node);
        }
        finally
        {
            Shutdown(system, Patience);
        }
    }

    [Fact]
    public void A_message_no_node_handles_is_dropped_and_the_node_goes_on()
    {
        var node = Node(0);

        node.Tell(new ChaosNoise([1, 2, 3]), TestActor);
        node.Tell(GetHoldings.Instance, TestActor);

        ExpectMsg<Holdings>(Patience); // and no reply to the noise
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        _temp.Dispose();
    }

    private long Count(string table)
    {
        using var db = new SqliteConnection($"Data Source={_journal};Pooling=False");
        db.Open();
        using var command = db.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM {table}";
        return (long)command.ExecuteScalar()!;
    }
}
