using ActorSync.Cluster.Orchestration;
using ActorSync.Cluster.Protocol;
using ActorSync.Coding;
using Akka.Actor;
using Akka.Configuration;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.TestKit;

namespace ActorSync.Cluster.Tests;

/// <summary>
/// The cycle actor alone, with probes standing in for the nodes and hubs: it asks, streams through the relay, and
/// finishes by messages only; a lost node or hub, or one that does not answer, reaches it as a message or a timeout,
/// never as a wait it cannot leave.
/// </summary>
public sealed class SyncCycleTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private readonly Placement _placement = new(4, 2);
    private readonly OrchestratorSettings _settings;

    public SyncCycleTests() : base(ClusterConfig.Compose())
    {
        _settings = OrchestratorSettings.From(ClusterConfig.Compose(ConfigurationFactory.ParseString(
            "actorsync.orchestrator.ask-timeout = 2s\nactorsync.data.segment-size = 4KiB")));
    }

    /// <summary>A node as the cycle sees it: it answers holdings, opens inboxes that collect what the relay sends, stores manifests.</summary>
    private sealed class FakeNode
    {
        public FakeNode(SyncCycleTests test, int node, bool answers = true)
        {
            Probe = test.CreateTestProbe($"node{node + 1}");
            var materializer = test.Sys.Materializer();
            long dataset = 0;
            Probe.SetAutoPilot(new DelegateAutoPilot((sender, message) =>
            {
                if (!answers) return AutoPilot.KeepRunning;
                switch (message)
                {
                    case GetHoldings:
                        sender.Tell(new Holdings(node, dataset, dataset == 0 ? [] : Whole.ToArray(), []));
                        break;
                    case OpenInbox open:
                        var (sink, received) = StreamRefs.SinkRef<IDataFrame>().ToMaterialized(Sink.Seq<IDataFrame>(), Keep.Both).Run(materializer);
                        sink.PipeTo(sender, Probe.Ref, inbox => new InboxOpened(node, open.Dataset, open.Round, inbox));
                        received.ContinueWith(frames =>
                        {
                            Received.AddRange(frames.Result);
                            sender.Tell(new InboxClosed(node, open.Dataset, open.Round, frames.Result.Count, 0, 0, 0, ""));
                        });
                        break;
                    case StoreManifest store:
                        dataset = store.Dataset;
                        sender.Tell(new ManifestStored(node, store.Dataset, Whole.ToArray(), []));
                        break;
                }
                return AutoPilot.KeepRunning;
            }));
        }

        public TestProbe Probe { get; }
        public List<IDataFrame> Received { get; } = [];
        public HashSet<int> Whole { get; } = [.. Enumerable.Range(0, 6)];
    }

    private (IActorRef Cycle, FakeNode[] Nodes, TestProbe HubB, TestProbe HubC) Start(string kind = "sync", bool[]? answering = null)
    {
        var nodes = Enumerable.Range(0, 4).Select(n => new FakeNode(this, n, answering?[n] ?? true)).ToArray();
        var hubB = CreateTestProbe("hub-b");
        var hubC = CreateTestProbe("hub-c");
        var setup = new CycleSetup(1, kind, Orchestrator.Normal, StartSync.OneWay, _settings,
            nodes.Select((n, i) => (i, n.Probe.Ref)).ToDictionary(p => p.i, p => p.Item2), hubB.Ref, hubC.Ref, null);
        return (ChildActorOf(SyncCycle.Props(setup)), nodes, hubB, hubC);
    }

    /// <summary>Hub B's part: the routed stream of a sync into empty nodes, then the manifest.</summary>
    private static void StreamSnapshot(TestProbe hubB, SegmentedData data, ActorSystem system)
    {
        var prepare = hubB.ExpectMsg<PrepareSnapshot>(Patience);
        var frames = data.SourceStream(DeliveryMode.Leader).Select(f => (IDataFrame)new Routed(f.Recipients, Kind(f.Frame), f.Frame)).ToArray();
        var segments = Source.From(frames).RunWith(StreamRefs.SourceRef<IDataFrame>(), system.Materializer()).GetAwaiter().GetResult();
        hubB.Reply(new SnapshotStarted("hub-b", prepare.Dataset, [], segments));
        hubB.Reply(new SnapshotPrepared("hub-b", prepare.Dataset, data.EncodedManifest, [], 3000, 5));
    }

    private static FrameKind Kind(IDataFrame frame) => frame is XorFrame ? FrameKind.Xor : FrameKind.Placement;

    private CycleReport Finished()
    {
        var finished = FishForMessage<CycleFinished>(_ => true, Patience);
        return finished.Report;
    }

    [Fact]
    public void A_sync_streams_the_source_through_the_relay_and_ends_with_Hub_C_s_verdict()
    {
        using var data = SegmentedData.Create(_placement);
        var (cycle, nodes, hubB, hubC) = Start();

        StreamSnapshot(hubB, data, Sys);
        var apply = hubC.ExpectMsg<ApplyDataset>(Patience);
        var finish = hubC.ExpectMsg<FinishApply>(Patience);
        hubC.Reply(new DatasetApplied("hub-c", finish.Dataset, 6, 3000, 6 * data.Manifest.BatchSize, false, [new TableCheck("bank", 3000, 3000, "ab", "ab")]));
        var report = Finished();

        Assert.Equal("verified", report.Outcome);
        var cost = DeliveryCost.Of(DeliveryMode.Leader, _placement);
        Assert.Equal((cost.SourcePackets, cost.SourcePackets * data.Manifest.BatchSize), (report.PacketsOn(LinkCounters.SourceEgress), report.BytesOn(LinkCounters.SourceEgress)));
        Assert.Equal(cost.RelayPackets, report.PacketsOn(LinkCounters.Relay));
        Assert.Equal((6, 3), (report.BatchesPlaced, report.XorPackets));
        Assert.Contains(nodes, n => n.Probe.Ref.Equals(apply.Node)); // Hub C is served by one of the nodes
        for (int n = 0; n < 4; n++)
            Assert.Equal(cost.NodeIngressPackets[n], nodes[n].Received.Select(f => f is XorFrame x ? -1 - x.Packet : ((SegmentFrame)f).Batch).Distinct().Count());
        Watch(cycle);
        ExpectTerminated(cycle, Patience);
    }

    [Fact]
    public void A_node_that_does_not_answer_is_left_out_at_the_step_timeout_and_the_cycle_goes_on()
    {
        using var data = SegmentedData.Create(_placement);
        var (_, nodes, hubB, hubC) = Start(answering: [true, true, false, true]);

        StreamSnapshot(hubB, data, Sys); // asked only once the silent node is given up, after the 2 s ask timeout
        hubC.ExpectMsg<ApplyDataset>(Patience);
        var finish = hubC.ExpectMsg<FinishApply>(Patience);
        hubC.Reply(new DatasetApplied("hub-c", finish.Dataset, 6, 3000, 0, false, [new TableCheck("bank", 3000, 3000, "ab", "ab")]));
        var report = Finished();

        Assert.Equal("verified", report.Outcome);
        Assert.Empty(nodes[2].Received);
        Assert.Equal(0, report.BytesOn(LinkCounters.NodeIngress(2)));
    }

    [Fact]
    public void A_node_reported_lost_mid_cycle_is_dropped_at_once_without_waiting_for_a_timeout()
    {
        using var data = SegmentedData.Create(_placement);
        var (cycle, nodes, hubB, hubC) = Start(answering: [true, false, true, true]);

        cycle.Tell(new CycleNodeLost(1, "its member became unreachable"));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        StreamSnapshot(hubB, data, Sys);

        Assert.True(clock.Elapsed < _settings.AskTimeout, $"the cycle waited {clock.ElapsedMilliseconds} ms for a node it was told is lost");
        hubC.ExpectMsg<ApplyDataset>(Patience);
        var finish = hubC.ExpectMsg<FinishApply>(Patience);
        hubC.Reply(new DatasetApplied("hub-c", finish.Dataset, 6, 3000, 0, false, [new TableCheck("bank", 3000, 3000, "ab", "ab")]));
        Assert.Equal("verified", Finished().Outcome);
        Assert.Empty(nodes[1].Received);
    }

    [Fact]
    public void Losing_the_source_before_its_manifest_ends_the_cycle_with_a_reason_that_names_it()
    {
        var (cycle, _, hubB, _) = Start();

        hubB.ExpectMsg<PrepareSnapshot>(Patience);
        cycle.Tell(new CycleHubLost("hub-b"));
        var report = Finished();

        Assert.StartsWith("failed:", report.Outcome);
        Assert.Contains("hub-b", report.Outcome);
    }

    [Fact]
    public void A_failed_apply_at_Hub_C_fails_the_cycle_with_Hub_C_s_reason()
    {
        using var data = SegmentedData.Create(_placement);
        var (_, _, hubB, hubC) = Start();

        StreamSnapshot(hubB, data, Sys);
        hubC.ExpectMsg<ApplyDataset>(Patience);
        hubC.Reply(new HubFailed("hub-c", "apply dataset 1", "3 row change(s) made at the destination wait to be synced back"));
        var report = Finished();

        Assert.Contains("wait to be synced back", report.Outcome);
        Assert.False(report.Verified);
    }
}
