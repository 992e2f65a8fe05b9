using System.Runtime.Serialization;
using ActorSync.Cluster.Protocol;
using Akka.Actor;
using Akka.Serialization;

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

    /// <summary>One sample of every protocol type; the coverage test below fails if a new type is not listed here.</summary>
    public static readonly object[] Samples =
    [
        new StoreBatch(7, 3, Payload, DigestBytes),
        new BatchStored(2, 7, 3),
        new BatchRejected(2, 7, 3, "digest mismatch: ünïcode 😀"),
        new GetBatch(5),
        new BatchData(1, 7, 5, Payload, DigestBytes),
        new BatchMissing(1, 5),
        GetHoldings.Instance,
        new Holdings(3, 9, [0, 4, 11], [1, 2], 81_920),
        DropCache.Instance,
        new CacheDropped(3),
        new ArmPacketFault("flip", 2, "rlnc"),
        new PacketFaultArmed(1, "reorder", 2, 5, ""),
        new ChaosNoise(Payload[..40]),
        new BatchCached(9, 4, Payload, DigestBytes),
        CacheCleared.Instance,
        new NodeCacheSnapshot(9, [new CachedBatch(0, Payload, DigestBytes), new CachedBatch(4, [], DigestBytes)], 4096, [DigestBytes, DigestBytes], Catalog),
        new StoreManifest(9, 4096, [DigestBytes, DigestBytes, DigestBytes], Catalog),
        new ManifestStored(1, 9),
        new ManifestCached(9, 4096, [DigestBytes], Catalog),
        GetManifest.Instance,
        new NodeManifest(2, 9, 4096, [DigestBytes], Catalog),
        new CacheDecoded(9, [1, 5]),
        new DecodedCached(3, 9, [1]),
        new XorPacketMessage(9, 2, [0, 3, 5], Payload, DigestBytes[..16]),
        new XorAccepted(1, 9, 2, "Decoded", [3], []),
        new EncodeRecovery(9, 2),
        new RlncPacketMessage(9, 2, 7, [1, 4, 5], [3, 200, 17], Payload, DigestBytes[..16]),
        new RlncAccepted(0, 9, "Innovative", 2, 3, [], [3, 4], [5]),
        new NodeDown("hub-b", 2, "its actor stopped"),
        new NodeUp("hub-b", 2),
        new DatabaseDown("hub-b", "mysql", "unreachable"),
        new DatabaseUp("hub-c", "sqlite"),
        GetHubStatus.Instance,
        new HubStatus("hub-b", "mysql", true, "", [0, 1], [2]),
        GetMode.Instance,
        new ModeChanged("normal", "recovery", "source database mysql down: unreachable", "2026-11-24T03:00:00.0000000Z"),
        new ModeStatus("recovery", false, true, [3], [new ModeChanged("normal", "recovery", "down", "2026-11-24T03:00:00Z")]),
        new PrepareSnapshot(11, 6, ["bank", "ünïcode"]),
        new SnapshotPrepared("hub-b", 11, 4096, [DigestBytes, DigestBytes], Catalog, 4521, 120),
        new FetchBatch(11, 5),
        new SourceBatch(11, 5, Payload, DigestBytes),
        new EncodeXor(11, 2, [0, 3, 5]),
        new ReleaseSnapshot(11),
        new HubFailed("hub-b", "snapshot the source", "MySQL 127.0.0.1:3306/bank: connection refused"),
        new DatasetApplied("hub-c", 11, 6, 4521, 420_000, true, [Check]),
        new CollectChanges(Catalog),
        new ChangesCollected("hub-c", Payload[..100], 3),
        new ResolveChanges(Catalog, Payload[..100], "source-wins", ["bank=last-writer-wins"]),
        new ChangesResolved("hub-b", Payload[..50], 3, 2, 1),
        new CompleteChanges(Catalog, Payload[..50]),
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
        var markers = new[] { typeof(INodeProtocol), typeof(INodeEvent), typeof(IHubProtocol), typeof(IOrchestratorProtocol) };
        var types = typeof(ActorSyncSerializer).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && markers.Any(m => m.IsAssignableFrom(t)));

        // These carry actor references, so they are checked with a live actor below.
        Type[] withActors = [typeof(WatchNode), typeof(SubscribeModes), typeof(RegisterNode), typeof(RegisterHub), typeof(ApplyDataset), typeof(Roster)];
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
            new RegisterHub("hub-b", TestActor, TestActor),
            new ApplyDataset(11, 4096, [DigestBytes], Catalog, TestActor, true),
            new Roster([new RosterNode(0, TestActor, true), new RosterNode(3, TestActor, false)], [new RosterHub("hub-b", TestActor)]),
        ];
        foreach (var message in withActors)
            Assert.Equal(Normalize(message), Normalize(serializer.FromBinary(serializer.ToBinary(message), serializer.Manifest(message))));
    }

    [Fact]
    public void Payloads_travel_as_raw_bytes_not_text()
    {
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(Samples[0]);
        var bytes = serializer.ToBinary(Samples[0]);

        Assert.InRange(bytes.Length, Payload.Length, Payload.Length + 64); // base64 would be a third larger
    }

    [Fact]
    public void Damaged_or_unknown_messages_are_refused_by_name()
    {
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(Samples[0]);
        var bytes = serializer.ToBinary(Samples[0]);

        var truncated = Assert.Throws<SerializationException>(() => serializer.FromBinary(bytes[..^5], "SB"));
        var unknown = Assert.Throws<SerializationException>(() => serializer.FromBinary(bytes, "ZZ"));
        var trailing = Assert.Throws<SerializationException>(() => serializer.FromBinary([.. bytes, 1], "SB"));

        Assert.Contains("'SB'", truncated.Message);
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
        _ when value.GetType().IsPrimitive || value is decimal => value.ToString()!,
        _ => value.GetType().Name + "{" + string.Join(",", value.GetType().GetProperties()
            .Where(p => p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract")
            .Select(p => p.Name + "=" + Normalize(p.GetValue(value)))) + "}",
    };

    private static string Hex(byte[] bytes) => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes)) + bytes.Length;
}
