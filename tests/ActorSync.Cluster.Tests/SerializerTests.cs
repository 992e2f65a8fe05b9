using System.Runtime.Serialization;
using ActorSync.Cluster.Protocol;
using Akka.Actor;
using Akka.Serialization;
using Akka.Streams;
using Akka.Streams.Dsl;
using ActorSync.Coding;

namespace ActorSync.Cluster.Tests;

public class SerializerTests : Akka.TestKit.Xunit2.TestKit
{
    public SerializerTests() : base(ClusterConfig.Compose()) { }

    private static readonly byte[] Payload = Enumerable.Range(0, 70_000).Select(i => (byte)(i * 31)).ToArray();
    private static readonly byte[] DigestBytes = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();

    // Declared before the samples: static fields initialize in order.
    private static readonly byte[] Catalog = Payload[..300];
    private static readonly TableCheck Check = new("bank", 4521, 4521, "ab12", "ab12");
    private static readonly CycleReport Report = new(3, "sync", "normal", "leader", 11, "2026-11-24T03:00:00Z", 1234, true, "verified", 6, 4096, 6, 3, 2, 0, 1, 6, 4521,
        [new LinkUse("source.egress", 9, 36_864), new LinkUse("relay", 24, 98_304)], [Check], 0, 0, 0);
    private static readonly StoredSegment Stored = new(4, 2, 65_536, DigestBytes, 3, 1L << 33);
    private static readonly SegmentTerm Term = new(3, 1000, DigestBytes);

    /// <summary>One sample of every protocol type; the coverage test below fails if a new type is not listed here.</summary>
    public static readonly object[] Samples =
    [
        GetHoldings.Instance,
        new Holdings(3, 9, [0, 4, 11], [1, 2], 81_920, 1 << 20),
        DropCache.Instance,
        new CacheDropped(3),
        new StoreManifest(9, Payload[..200], Catalog),
        new ManifestStored(1, 9, [0, 2], [5]),
        GetManifest.Instance,
        new NodeManifest(2, 9, Payload[..200], Catalog),
        new OpenInbox(9, 2),
        new InboxClosed(1, 9, 2, 40, 1, 12, 0, "ünïcode 😀"),
        new OfferSegments(9, [new SegmentOffer(2, 0b101, FrameKind.Repair), new SegmentOffer(5, 0b10, FrameKind.Fallback)]),
        new OfferRecovery(9, 3, 0b1100),
        new SolveRecovery(9),
        new RecoverySolved(0, 9, [1, 2], [3], [4], 5, 6),
        new FeedDestination(9, 3, 65_536, [DigestBytes, [], DigestBytes], true),
        new ArmPacketFault("flip", 2, "rlnc"),
        new PacketFaultArmed(1, "reorder", 2, 5, ""),
        new ChaosNoise(Payload[..40]),
        CacheCleared.Instance,
        new ManifestCached(9, Payload[..200], Catalog),
        new SegmentsStored(9, [Stored, Stored with { Index = 3 }]),
        new NodeCacheSnapshot(9, Payload[..200], Catalog, [Stored], 10, [Stored with { Batch = 1 }]),
        new SegmentFrame(9, 2, 1, 60_000, DigestBytes, Payload[..65_536]),
        new XorFrame(9, 2, 1, [Term, Term with { Batch = 5 }], Payload[..65_536], DigestBytes[..16]),
        new RlncFrame(9, 2, 7, 1, [1, 4, 5], [3, 200, 17], Payload[..65_536], DigestBytes[..16]),
        new Routed(0b1010, FrameKind.Xor, new XorFrame(9, 2, 1, [Term], Payload[..1000], DigestBytes[..16])),
        new ChangeChunk(3, Payload[..500]),
        new NodeDown("hub-b", 2, "its actor stopped"),
        new NodeUp("hub-b", 2),
        new DatabaseDown("hub-b", "mysql", "unreachable"),
        new DatabaseUp("hub-c", "sqlite"),
        GetHubStatus.Instance,
        new HubStatus("hub-b", "mysql", true, "", [0, 1], [2]),
        GetMode.Instance,
        new ModeChanged("normal", "recovery", "source database mysql down: unreachable", "2026-11-24T03:00:00.0000000Z"),
        new ModeStatus("recovery", false, true, [3], [new ModeChanged("normal", "recovery", "down", "2026-11-24T03:00:00Z")]),
        new PrepareSnapshot(11, 6, new ActorSync.Data.SyncFilter(["bank", "ünïcode"], ["x_*"], ["bank.ssn"]).Encode(), 65_536, new SnapshotRouting(4, 2, 1, "leader", 0b1111, Payload[..200], [[0, 1], [], [2], [3, 4, 5]]), ContentCodec.Deflate),
        new SnapshotPrepared("hub-b", 11, Payload[..200], Catalog, 4521, 120, "mariadb-bin.000003:1234"),
        new ReleaseSnapshot(11),
        new HubFailed("hub-b", "snapshot the source", "MySQL 127.0.0.1:3306/bank: connection refused"),
        new FinishApply(11, Payload[..200], Catalog),
        new ApplyInterrupted("hub-c", 11, "the stream from the node failed"),
        new DatasetApplied("hub-c", 11, 6, 4521, 420_000, true, [Check]),
        new CollectChanges(Catalog),
        new ChangesCompleted("hub-c"),
        new StartSync(true, "last-writer-wins", ["bank=source-wins"]),
        new SyncRefused("no source hub"),
        GetSyncStatus.Instance,
        new SyncStatus(true, new CycleProgress(7, "sync", "placement", 3, 6), [Report]),
        new CycleProgress(7, "recovery", "linear-coded peer recovery", 1, 4),
        GetRoster.Instance,
        Report,
    ];

    [Fact]
    public void Every_protocol_type_round_trips_through_the_actorsync_serializer()
    {
        var serialization = Sys.Serialization;
        foreach (var sample in Samples)
        {
            var serializer = Assert.IsType<ActorSyncSerializer>(serialization.FindSerializerFor(sample));
            var bytes = serializer.ToBinary(sample);
            var back = serializer.FromBinary(bytes, serializer.Manifest(sample));
            Assert.Equal(Normalize(sample), Normalize(back));
        }
    }

    [Fact]
    public void Every_concrete_protocol_type_has_a_sample()
    {
        var markers = new[] { typeof(INodeProtocol), typeof(INodeEvent), typeof(IHubProtocol), typeof(IOrchestratorProtocol), typeof(IDataFrame) };
        var types = typeof(ActorSyncSerializer).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && markers.Any(m => m.IsAssignableFrom(t)));

        // These carry actor or stream references, so they are checked with live ones below; a legacy entry is only ever read.
        Type[] withActors = [typeof(WatchNode), typeof(SubscribeModes), typeof(RegisterNode), typeof(RegisterHub), typeof(ApplyDataset), typeof(Roster),
            typeof(InboxOpened), typeof(SegmentsOffered), typeof(RecoveryOffered), typeof(DestinationFeedOffered), typeof(SnapshotStarted),
            typeof(ChangesCollected), typeof(ResolveChanges), typeof(ChangesResolved), typeof(CompleteChanges), typeof(LegacyJournalEntry)];
        Assert.All(types.Where(t => !withActors.Contains(t)), t => Assert.Contains(Samples, s => s.GetType() == t));
    }

    [Fact]
    public void An_actor_reference_round_trips_to_the_same_actor()
    {
        var watch = new WatchNode(4, TestActor);
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(watch);

        var back = (WatchNode)serializer.FromBinary(serializer.ToBinary(watch), serializer.Manifest(watch));

        Assert.Equal(4, back.Node);
        Assert.Equal(TestActor, back.Ref);
        var subscribe = new SubscribeModes(TestActor);
        Assert.Equal(TestActor, ((SubscribeModes)serializer.FromBinary(serializer.ToBinary(subscribe), serializer.Manifest(subscribe))).Subscriber);
        object[] withActors =
        [
            new RegisterNode(2, TestActor),
            new NodeDown("hub-b", 2, "its member became unreachable", TestActor),
            new RegisterHub("hub-b", TestActor, TestActor),
            new ApplyDataset(11, Catalog, 6, 65_536, TestActor, true, ContentCodec.Deflate),
            new Roster([new RosterNode(0, TestActor, true), new RosterNode(3, TestActor, false)], [new RosterHub("hub-b", TestActor)]),
        ];
        foreach (var message in withActors)
            Assert.Equal(Normalize(message), Normalize(serializer.FromBinary(serializer.ToBinary(message), serializer.Manifest(message))));
    }

    [Fact]
    public async Task A_stream_reference_inside_a_message_still_streams_after_the_round_trip()
    {
        var materializer = Sys.Materializer();
        var source = await Source.From(Enumerable.Range(0, 3).Select(i => (IDataFrame)new ChangeChunk(i, [(byte)i]))).RunWith(StreamRefs.SourceRef<IDataFrame>(), materializer);
        var received = new List<IDataFrame>();
        var sink = await StreamRefs.SinkRef<IDataFrame>().To(Sink.ForEach<IDataFrame>(received.Add)).Run(materializer);
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(new OpenInbox(1, 1));
        T RoundTrip<T>(T message) where T : notnull => (T)serializer.FromBinary(serializer.ToBinary(message), serializer.Manifest(message));

        var offered = RoundTrip(new SegmentsOffered(2, 9, source));
        var opened = RoundTrip(new InboxOpened(1, 9, 4, sink));
        foreach (var message in new object[] { new RecoveryOffered(1, 9, 3, source), new DestinationFeedOffered(0, 9, source), new SnapshotStarted("hub-b", 9, Catalog, source),
                     new ChangesCollected("hub-c", 3, source), new ResolveChanges(Catalog, source, "source-wins", []), new ChangesResolved("hub-b", 1, 1, 0, 10, 20, source),
                     new CompleteChanges(Catalog, source) })
            Assert.Equal(serializer.Manifest(message), serializer.Manifest(RoundTrip(message)));
        offered.Segments.Source.RunWith(opened.Inbox.Sink, materializer);

        await AwaitAssertAsync(() => Assert.Equal([0, 1, 2], received.Cast<ChangeChunk>().Select(c => c.Sequence)), TimeSpan.FromSeconds(10));
        Assert.Equal((2, 9L, 4), (offered.Node, offered.Dataset, opened.Round));
    }

    [Fact]
    public void A_journal_entry_of_the_format_before_segments_is_read_as_nothing_and_a_newer_format_is_refused()
    {
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(CacheCleared.Instance);
        var newer = serializer.ToBinary(new ManifestCached(9, Payload[..200], Catalog));
        newer[0] = 9; // a format this build does not know

        Assert.Equal(new LegacyJournalEntry("E1"), serializer.FromBinary(Payload[..100], "E1"));
        Assert.Equal(new LegacyJournalEntry("S1"), serializer.FromBinary(Payload[..100], "S1"));
        Assert.Contains("format 9", Assert.Throws<SerializationException>(() => serializer.FromBinary(newer, "E4")).Message);
    }

    [Fact]
    public void Payloads_travel_as_raw_bytes_not_text()
    {
        var frame = Samples.OfType<SegmentFrame>().Single();
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(frame);
        var frameBytes = serializer.ToBinary(frame);

        Assert.InRange(frameBytes.Length, frame.Payload.Length, frame.Payload.Length + 96); // base64 would be a third larger
    }

    [Fact]
    public void Damaged_or_unknown_messages_are_refused_by_name()
    {
        var frame = Samples.OfType<SegmentFrame>().Single();
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(frame);
        var bytes = serializer.ToBinary(frame);

        var truncated = Assert.Throws<SerializationException>(() => serializer.FromBinary(bytes[..^5], "FS"));
        var unknown = Assert.Throws<SerializationException>(() => serializer.FromBinary(bytes, "ZZ"));
        var trailing = Assert.Throws<SerializationException>(() => serializer.FromBinary([.. bytes, 1], "FS"));

        Assert.Contains("'FS'", truncated.Message);
        Assert.Contains("'ZZ'", unknown.Message);
        Assert.Contains("trailing", trailing.Message);
    }

    /// <summary>
    /// Records with arrays compare by reference, so compare a deep rendering instead: every public property, with
    /// byte arrays as a hash and length, other arrays and nested records element by element.
    /// </summary>
    private static string Normalize(object? value) => value switch
    {
        null => "null",
        byte[] bytes => Hex(bytes),
        string text => text,
        IActorRef actor => actor.Path.ToString(),
        System.Collections.IEnumerable items => "[" + string.Join(";", items.Cast<object?>().Select(Normalize)) + "]",
        _ when value.GetType().IsPrimitive || value is decimal || value is Enum => value.ToString()!,
        _ => value.GetType().Name + "{" + string.Join(",", value.GetType().GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract")
            .Select(p => p.Name + "=" + Normalize(p.GetValue(value)))) + "}",
    };

    private static string Hex(byte[] bytes) => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes)) + bytes.Length;
}
