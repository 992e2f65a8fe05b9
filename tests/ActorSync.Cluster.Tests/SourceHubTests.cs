using ActorSync.Cluster.Hubs;
using ActorSync.Cluster.Protocol;
using ActorSync.Coding;
using ActorSync.Data;
using ActorSync.Data.MySql;
using ActorSync.Tooling;
using Akka.Streams;
using Akka.Streams.Dsl;

namespace ActorSync.Cluster.Tests;

/// <summary>Hub B's worker against a real MariaDB: a snapshot streams its routed segments as it reads, and its spool serves the gap fill.</summary>
public sealed class SourceHubTests : Akka.TestKit.Xunit2.TestKit, IClassFixture<MariaDbServer>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly MariaDbServer _server;
    private readonly TempDirectory _temp = new();

    public SourceHubTests(MariaDbServer server) : base(ClusterConfig.Compose()) => _server = server;

    private static SnapshotRouting EmptyNodes(Placement placement, string scheme) =>
        new(placement.Nodes, placement.Redundancy, placement.Eta, scheme, placement.AllNodes, [], new int[placement.Nodes][].Select(_ => Array.Empty<int>()).ToArray());

    [Fact]
    public async Task A_snapshot_streams_placement_and_coded_segments_that_add_up_to_the_formulas()
    {
        var source = new MySqlSource(await _server.CreateDatabaseAsync("stream"));
        await BankSeeder.SeedAsync(source, "bank", BankRow.Generate(20_000), replace: false);
        File.WriteAllText(_temp.File("actorsync-spool-left-by-a-crash.tmp"), "x");
        var hub = Sys.ActorOf(SourceHub.Props("hub-b", source, _temp.Path));
        var placement = new Placement(4, 2, 2);

        hub.Tell(new PrepareSnapshot(1, placement.BatchCount, [], 16 * 1024, EmptyNodes(placement, "leader")), TestActor);
        var started = ExpectMsg<SnapshotStarted>(Patience);
        var frames = (await started.Segments.Source.RunWith(Sink.Seq<IDataFrame>(), Sys.Materializer())).Cast<Routed>().ToArray();
        var prepared = ExpectMsg<SnapshotPrepared>(Patience);
        var manifest = BatchManifest.Decode(prepared.Manifest);

        var cost = DeliveryCost.Of(DeliveryMode.Leader, placement);
        Assert.False(File.Exists(_temp.File("actorsync-spool-left-by-a-crash.tmp")));
        Assert.Equal(20_000, prepared.Rows);
        Assert.Equal(placement.BatchCount, frames.Where(f => f.Kind == FrameKind.Placement).Select(f => ((SegmentFrame)f.Frame).Batch).Distinct().Count());
        Assert.Equal(cost.DeliveryPackets, frames.Where(f => f.Kind == FrameKind.Xor).Select(f => ((XorFrame)f.Frame).Packet).Distinct().Count());
        Assert.Equal(cost.SourcePackets * manifest.BatchSize, frames.Sum(f => (long)(f.Frame is SegmentFrame s ? s.Payload.Length : ((XorFrame)f.Frame).Payload.Length)));
        Assert.All(frames.Where(f => f.Kind == FrameKind.Placement), f =>
        {
            var s = (SegmentFrame)f.Frame;
            Assert.Equal(placement.HoldersOf(s.Batch), f.Recipients);
            Assert.True(manifest.VerifyPadded(s.Batch, s.Index, s.Payload));
        });
        Assert.True(manifest.SegmentCount > 4);

        hub.Tell(new OfferSegments(1, [new SegmentOffer(3, 0b1000, FrameKind.Fallback)]), TestActor);
        var offered = ExpectMsg<SegmentsOffered>(Patience);
        var refill = (await offered.Segments.Source.RunWith(Sink.Seq<IDataFrame>(), Sys.Materializer())).Cast<Routed>().Select(r => (SegmentFrame)r.Frame).ToArray();
        Assert.Equal(Enumerable.Range(0, manifest.SegmentCount), refill.Select(s => s.Index));
        Assert.All(refill, s => Assert.True(manifest.VerifyPadded(3, s.Index, s.Payload)));

        hub.Tell(new ReleaseSnapshot(1), TestActor);
        hub.Tell(new OfferSegments(1, [new SegmentOffer(3, 0b1000, FrameKind.Fallback)]), TestActor);
        Assert.Contains("is not the snapshot held here", ExpectMsg<HubFailed>(Patience).Reason); // nothing is kept after the cycle
    }

    [Fact]
    public async Task A_table_that_does_not_exist_is_refused_by_name_and_nothing_streams()
    {
        var hub = Sys.ActorOf(SourceHub.Props("hub-b", new MySqlSource(await _server.CreateDatabaseAsync("missing")), _temp.Path));
        var placement = new Placement(4, 2);

        hub.Tell(new PrepareSnapshot(1, placement.BatchCount, SyncFilter.Only(["no_such_table"]).Encode(), 16 * 1024, EmptyNodes(placement, "leader")), TestActor);

        Assert.Contains("no table 'no_such_table'", ExpectMsg<HubFailed>(Patience).Reason);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _temp.Dispose();
    }
}
