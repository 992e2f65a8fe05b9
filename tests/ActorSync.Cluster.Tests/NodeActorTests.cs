using ActorSync.Cluster.Nodes;
using ActorSync.Cluster.Protocol;
using ActorSync.Coding;
using Akka.Actor;
using Akka.Configuration;
using Akka.Pattern;
using Microsoft.Data.Sqlite;

namespace ActorSync.Cluster.Tests;

/// <summary>A node's cache, journaled in a real SQLite file: it survives actor and ActorSystem restarts.</summary>
public class NodeActorTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private readonly TempDirectory _temp;
    private readonly string _journal;

    public NodeActorTests() : this(new TempDirectory()) { }

    private NodeActorTests(TempDirectory temp) : base(NodeConfig(temp.File("node1.journal.db")))
    {
        _temp = temp;
        _journal = temp.File("node1.journal.db");
    }

    private static Config NodeConfig(string journal) =>
        ClusterConfig.Compose(
            ConfigurationFactory.ParseString("akka.actor.serialize-messages = on"), // every message crosses the serializer
            ClusterConfig.ForNodeJournal(journal));

    private static (byte[][] Batches, BatchManifest Manifest) Dataset(int count = 6) =>
        BatchPacker.Pack(Enumerable.Range(0, 600).Select(i => (ReadOnlyMemory<byte>)System.Text.Encoding.UTF8.GetBytes($"row {i}, blue-collar, married")).ToArray(), count);

    [Fact]
    public void Stores_verified_batches_and_serves_them()
    {
        var (batches, manifest) = Dataset();
        var node = Sys.ActorOf(NodeActor.Props(0, snapshotEvery: 50));

        foreach (var b in new[] { 0, 1, 2 })
        {
            node.Tell(new StoreBatch(1, b, batches[b], manifest.BatchDigests[b]), TestActor);
            ExpectMsg<BatchStored>(s => s.Batch == b, Patience);
        }
        node.Tell(new GetBatch(1), TestActor);
        var data = ExpectMsg<BatchData>(Patience);
        node.Tell(new GetBatch(4), TestActor);

        Assert.Equal(batches[1], data.Data);
        ExpectMsg<BatchMissing>(m => m.Batch == 4, Patience);
    }

    [Fact]
    public void Chaos_packet_faults_are_refused_unless_enabled_and_damaged_batches_are_rejected_then_resent()
    {
        var (batches, manifest) = Dataset();
        var plain = Sys.ActorOf(NodeActor.Props(0, snapshotEvery: 50), "plain");
        plain.Tell(new ArmPacketFault("flip", 1, "batch"), TestActor);
        Assert.Contains("packet faults are off", ExpectMsg<PacketFaultArmed>(Patience).Refused);

        var node = Sys.ActorOf(NodeActor.WithPacketFaults(1, 50, null, TimeSpan.FromSeconds(5), armOnStart: "flip:1:batch"), "chaos");
        node.Tell(new StoreBatch(1, 0, batches[0], manifest.BatchDigests[0]), TestActor);
        Assert.Contains("damaged in transit", ExpectMsg<BatchRejected>(Patience).Reason);
        node.Tell(new StoreBatch(1, 0, batches[0], manifest.BatchDigests[0]), TestActor); // sent again: the fault is spent
        ExpectMsg<BatchStored>(Patience);

        node.Tell(new ArmPacketFault("reorder", 1, "batch"), TestActor);
        Assert.Equal(1, ExpectMsg<PacketFaultArmed>(Patience).Remaining);
        node.Tell(new StoreBatch(1, 1, batches[1], manifest.BatchDigests[1]), TestActor); // held back …
        node.Tell(new StoreBatch(1, 2, batches[2], manifest.BatchDigests[2]), TestActor); // … until this one overtakes it
        Assert.Equal([2, 1], new[] { ExpectMsg<BatchStored>(Patience).Batch, ExpectMsg<BatchStored>(Patience).Batch });

        node.Tell(new ArmPacketFault("status", 0, "any"), TestActor);
        var status = ExpectMsg<PacketFaultArmed>(Patience);
        node.Tell(GetHoldings.Instance, TestActor);
        Assert.Equal((0, 2), (status.Remaining, status.Damaged));
        Assert.Equal([0, 1, 2], ExpectMsg<Holdings>(Patience).Batches);
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
            var node = system.ActorOf(NodeActor.Supervised(NodeActor.Props(0, 50, registry: registry.Ref, registerEvery: TimeSpan.FromSeconds(30)),
                TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1)), "node-1");
            node.Tell(BackoffSupervisor.GetCurrentChild.Instance, probe.Ref); // its first incarnation: its replay lasts a timeout
            var first = probe.ExpectMsg<BackoffSupervisor.CurrentChild>(Patience).Ref;

            registry.ExpectNoMsg(TimeSpan.FromSeconds(4)); // each replay times out and the node stops; its supervisor starts it again
            File.WriteAllBytes(journal, []); // readable again: an empty file is an empty database (same file, as pooled connections hold it)
            var registered = registry.ExpectMsg<RegisterNode>(Patience);
            node.Tell(GetHoldings.Instance, probe.Ref); // through the supervisor, to the running node

            Assert.Equal(0, registered.Node);
            Assert.NotNull(first);
            Assert.NotEqual(first, registered.Ref); // a later incarnation registered: the first one stopped
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
        var (batches, manifest) = Dataset();
        var node = Sys.ActorOf(NodeActor.Props(0, snapshotEvery: 50));

        node.Tell(new ChaosNoise([1, 2, 3]), TestActor);
        node.Tell(new StoreBatch(1, 0, batches[0], manifest.BatchDigests[0]), TestActor);

        ExpectMsg<BatchStored>(Patience); // and no reply to the noise
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void A_damaged_batch_is_rejected_and_not_cached()
    {
        var (batches, manifest) = Dataset();
        var node = Sys.ActorOf(NodeActor.Props(0, snapshotEvery: 50));
        var damaged = (byte[])batches[2].Clone();
        damaged[20] ^= 0x01;

        node.Tell(new StoreBatch(1, 2, damaged, manifest.BatchDigests[2]), TestActor);
        var rejected = ExpectMsg<BatchRejected>(Patience);
        node.Tell(GetHoldings.Instance, TestActor);

        Assert.Contains("send it again", rejected.Reason);
        Assert.Empty(ExpectMsg<Holdings>(Patience).Batches);
    }

    [Fact]
    public void A_restarted_node_recovers_its_cache_from_the_journal()
    {
        var (batches, manifest) = Dataset();
        var node = Sys.ActorOf(NodeActor.Props(0, snapshotEvery: 2)); // snapshots taken on the way
        foreach (var b in new[] { 0, 2, 3, 5 })
        {
            node.Tell(new StoreBatch(1, b, batches[b], manifest.BatchDigests[b]), TestActor);
            ExpectMsg<BatchStored>(Patience);
        }
        Watch(node);
        node.Tell(PoisonPill.Instance);
        ExpectTerminated(node, Patience);

        var restarted = Sys.ActorOf(NodeActor.Props(0, snapshotEvery: 2));
        restarted.Tell(GetHoldings.Instance, TestActor);
        Assert.Equal([0, 2, 3, 5], ExpectMsg<Holdings>(Patience).Batches);
        restarted.Tell(new GetBatch(5), TestActor);
        Assert.Equal(batches[5], ExpectMsg<BatchData>(Patience).Data);
        AwaitAssert(() => Assert.True(Count("snapshot") > 0), Patience);
    }

    [Fact]
    public void A_new_actor_system_on_the_same_journal_gets_the_cache_back()
    {
        var (batches, manifest) = Dataset();
        var node = Sys.ActorOf(NodeActor.Props(0, snapshotEvery: 50));
        node.Tell(new StoreBatch(3, 4, batches[4], manifest.BatchDigests[4]), TestActor);
        ExpectMsg<BatchStored>(Patience);
        Shutdown(Sys, Patience);

        var second = ActorSystem.Create("second", NodeConfig(_journal));
        try
        {
            var probe = CreateTestProbe(second);
            second.ActorOf(NodeActor.Props(0, snapshotEvery: 50)).Tell(GetHoldings.Instance, probe);
            var holdings = probe.ExpectMsg<Holdings>(Patience);
            Assert.Equal([4], holdings.Batches);
            Assert.Equal(3, holdings.Dataset);
        }
        finally
        {
            Shutdown(second, Patience);
        }
    }

    [Fact]
    public void A_dropped_cache_stays_dropped_after_a_restart_and_a_newer_dataset_replaces_an_older_one()
    {
        var (batches, manifest) = Dataset();
        var node = Sys.ActorOf(NodeActor.Props(0, snapshotEvery: 50));
        node.Tell(new StoreBatch(1, 0, batches[0], manifest.BatchDigests[0]), TestActor);
        ExpectMsg<BatchStored>(Patience);
        node.Tell(DropCache.Instance, TestActor);
        ExpectMsg<CacheDropped>(Patience);
        node.Tell(new StoreBatch(2, 1, batches[1], manifest.BatchDigests[1]), TestActor);
        ExpectMsg<BatchStored>(Patience);
        node.Tell(new StoreBatch(1, 2, batches[2], manifest.BatchDigests[2]), TestActor);
        Assert.Contains("older", ExpectMsg<BatchRejected>(Patience).Reason);

        Watch(node);
        node.Tell(PoisonPill.Instance);
        ExpectTerminated(node, Patience);
        var restarted = Sys.ActorOf(NodeActor.Props(0, snapshotEvery: 50));
        restarted.Tell(GetHoldings.Instance, TestActor);

        var holdings = ExpectMsg<Holdings>(Patience);
        Assert.Equal([1], holdings.Batches);
        Assert.Equal(2, holdings.Dataset);
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
