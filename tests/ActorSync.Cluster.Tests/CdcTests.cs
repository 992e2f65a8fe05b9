using ActorSync.Cluster.Cdc;
using ActorSync.Cluster.Protocol;
using ActorSync.Data;
using ActorSync.Data.Cdc;

namespace ActorSync.Cluster.Tests;

/// <summary>Continuous sync's wire and journal formats, and its pure decisions: placement and batching.</summary>
public class CdcTests : Akka.TestKit.Xunit2.TestKit
{
    public CdcTests() : base(ClusterConfig.Compose()) { }

    private static readonly byte[] Bytes = Enumerable.Range(0, 5000).Select(i => (byte)(i * 7)).ToArray();

    public static readonly object[] Samples =
    [
        StartFollow.Instance, new FollowStarted("mariadb-bin.000001:328"), new FollowRefused("ünï 😀"), StopFollow.Instance, new FollowStopped("f.000002:4"),
        GetCdcStatus.Instance, new CdcStatus(true, "f.000001:900", "f.000001:800", "f.000001:700", 42, 17, 1000, 983, 12, ["t: stopped"], ""),
        new FollowFrom("f.000001:4", Bytes[..100], true), new FollowReady("f.000001:4"), new BeginCapture("f.000001:4", Bytes[..100], new SyncFilter(["bank", "sales_*"], ["sales_old"], ["bank.ssn"]).Encode()),
        new CaptureRunning("f.000001:4"), new CaptureNeedsSnapshot("purged"), new StoreChanges(7, "f.000001:4", "f.000001:900", Bytes),
        new ChangesStored(2, 7), new ApplyChangeBatch(7, Bytes), new ChangeBatchApplied(7, "f.000001:900", 55), new GetChangesSince("f.000001:4"),
        new ChangesSince(3, [Bytes[..10], Bytes[..20]]), new CompactChanges("f.000001:900"), new CaptureBegun("f.000001:4", Bytes[..50], SyncFilter.Everything.Encode()), new CaptureCatalogChanged(Bytes[..60]),
        new CaptureOffset("f.000001:900", 7, ["t\twhy"]), CaptureEnded.Instance, new CaptureSnapshot(true, "f.000001:900", 7, Bytes[..50], [], SyncFilter.Only(["bank"]).Encode()),
        new ChangeBatchKept(7, "f.000001:4", "f.000001:900", Bytes), new ChangesCompacted("f.000001:900"),
    ];

    [Fact]
    public void Every_cdc_type_round_trips_and_has_a_sample()
    {
        foreach (var sample in Samples)
        {
            var serializer = Assert.IsType<CdcSerializer>(Sys.Serialization.FindSerializerFor(sample));
            var back = serializer.FromBinary(serializer.ToBinary(sample), serializer.Manifest(sample));
            Assert.Equal(System.Text.Json.JsonSerializer.Serialize(sample, sample.GetType()), System.Text.Json.JsonSerializer.Serialize(back, back.GetType()));
        }
        var types = typeof(CdcSerializer).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && (typeof(ICdcProtocol).IsAssignableFrom(t) || typeof(ICdcEvent).IsAssignableFrom(t)));
        Assert.All(types, t => Assert.Contains(Samples, s => s.GetType() == t));
    }

    [Fact]
    public void A_journal_entry_of_another_format_is_refused_by_name()
    {
        var serializer = (CdcSerializer)Sys.Serialization.FindSerializerFor(CaptureEnded.Instance);
        var error = Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary([9, 0, 0, 0], "E3"));
        Assert.Contains("format 9", error.Message);
    }

    [Fact]
    public void A_batch_counts_as_placed_only_on_r_distinct_nodes_and_the_offset_never_passes_a_hole()
    {
        var placement = new ChangePlacement(redundancy: 2);
        foreach (long s in new long[] { 1, 2, 3 }) placement.Sent(s);
        placement.Acknowledged(2, 0);
        placement.Acknowledged(2, 1);
        Assert.Empty(placement.TakePlaced()); // 1 is not placed yet: 2 waits behind it
        placement.Acknowledged(1, 3);
        placement.Acknowledged(1, 3);
        Assert.Empty(placement.TakePlaced()); // the same node twice is one copy
        placement.Acknowledged(1, 0);
        Assert.Equal([1L, 2L], placement.TakePlaced());
        Assert.Equal([3L], placement.Waiting);
    }

    [Fact]
    public void Targets_rotate_over_live_nodes_and_skip_those_that_hold_the_batch()
    {
        var placement = new ChangePlacement(redundancy: 2);
        Assert.Equal([1, 2], placement.Targets(1, [0, 1, 2, 3]));
        Assert.Equal([3, 0], placement.Targets(3, [0, 1, 2, 3]));
        Assert.Equal([3], placement.Targets(5, [0, 1, 3], new HashSet<int> { 1 })); // one copy held: one more needed, not on node 1
        Assert.Equal([2], placement.Targets(0, [2])); // too few live: what there is
    }

    [Fact]
    public void The_batcher_cuts_by_time_and_size_and_advances_quiet_offsets_once_a_second()
    {
        var t0 = new DateTime(2026, 12, 2, 0, 0, 0, DateTimeKind.Utc);
        var batcher = new ChangeBatcher("f.000001:4", 1, TimeSpan.FromMilliseconds(50), maxBytes: 100, TimeSpan.FromSeconds(1));
        var change = new RowChange("t", ChangeKind.Upsert, new byte[40]);
        batcher.Add(new CaptureItem(new SourceTransaction("f.000001:100", "0-1-1", 0, [change]), "f.000001:100", []), t0, new Dictionary<string, string>());
        Assert.Null(batcher.TakeIfDue(t0.AddMilliseconds(10)));
        var first = batcher.TakeIfDue(t0.AddMilliseconds(50));
        Assert.NotNull(first);
        Assert.Equal(("f.000001:4", "f.000001:100", 1L), (first.From, first.To, first.Sequence));

        for (int i = 0; i < 3; i++)
            batcher.Add(new CaptureItem(new SourceTransaction($"f.000001:{200 + i}", "", 0, [change]), $"f.000001:{200 + i}", []), t0.AddMilliseconds(60), new Dictionary<string, string>());
        var bySize = batcher.TakeIfDue(t0.AddMilliseconds(61));
        Assert.Equal(3, bySize!.Transactions.Count);

        batcher.Add(new CaptureItem(null, "f.000001:900", []), t0.AddMilliseconds(70), new Dictionary<string, string>());
        Assert.Null(batcher.TakeIfDue(t0.AddMilliseconds(500)));
        var quiet = batcher.TakeIfDue(t0.AddMilliseconds(1100));
        Assert.Equal(("f.000001:202", "f.000001:900", 0), (quiet!.From, quiet.To, quiet.Transactions.Count));
        Assert.Null(batcher.DueIn(t0.AddMilliseconds(1200))); // nothing moved since: a quiet source costs nothing
    }
}
