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
        new Holdings(3, 9, [0, 4, 11], [1, 2]),
        DropCache.Instance,
        new CacheDropped(3),
        new BatchCached(9, 4, Payload, DigestBytes),
        CacheCleared.Instance,
        new NodeCacheSnapshot(9, [new CachedBatch(0, Payload, DigestBytes), new CachedBatch(4, [], DigestBytes)], 4096, [DigestBytes, DigestBytes]),
        new StoreManifest(9, 4096, [DigestBytes, DigestBytes, DigestBytes]),
        new ManifestStored(1, 9),
        new ManifestCached(9, 4096, [DigestBytes]),
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

        // WatchNode and SubscribeModes carry an actor reference, so they are checked with a live actor below.
        Assert.All(types.Where(t => t != typeof(WatchNode) && t != typeof(SubscribeModes)), t => Assert.Contains(Samples, s => s.GetType() == t));
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

    /// <summary>Records with arrays compare by reference; compare their serialized form field by field instead.</summary>
    private static string Normalize(object message) => message switch
    {
        StoreBatch m => $"SB {m.Dataset} {m.Batch} {Hex(m.Data)} {Hex(m.Digest)}",
        BatchData m => $"BD {m.Node} {m.Dataset} {m.Batch} {Hex(m.Data)} {Hex(m.Digest)}",
        ModeStatus m => $"MD {m.Mode} {m.SourceHealthy} {m.DestinationHealthy} {string.Join(",", m.NodesDown)} {string.Join(";", m.History.Select(h => h.ToString()))}",
        Holdings m => $"HO {m.Node} {m.Dataset} {string.Join(",", m.Batches)} / {string.Join(",", m.Decoded)}",
        StoreManifest m => $"SM {m.Dataset} {m.BatchSize} {string.Join(",", m.Digests.Select(Hex))}",
        ManifestCached m => $"E3 {m.Dataset} {m.BatchSize} {string.Join(",", m.Digests.Select(Hex))}",
        XorPacketMessage m => $"XP {m.Dataset} {m.Index} {string.Join(",", m.Batches)} {Hex(m.Payload)} {Hex(m.Checksum)}",
        XorAccepted m => $"XA {m.Node} {m.Dataset} {m.Index} {m.Outcome} {string.Join(",", m.Decoded)} {string.Join(",", m.FailedVerification)}",
        RlncPacketMessage m => $"RP {m.Dataset} {m.Sender} {m.Sequence} {string.Join(",", m.BatchIds)} {Hex(m.Coefficients)} {Hex(m.Payload)} {Hex(m.Checksum)}",
        RlncAccepted m => $"RA {m.Node} {m.Dataset} {m.Outcome} {m.Rank} {m.Unknowns} {string.Join(",", m.Decoded)} {string.Join(",", m.Undetermined)} {string.Join(",", m.FailedVerification)}",
        BatchCached m => $"E1 {m.Dataset} {m.Batch} {Hex(m.Data)} {Hex(m.Digest)}",
        NodeCacheSnapshot m => $"S1 {m.Dataset} {m.BatchSize} {string.Join(",", m.Digests.Select(Hex))} " + string.Join(" ", m.Batches.Select(b => $"{b.Batch}:{Hex(b.Data)}:{Hex(b.Digest)}")),
        _ => message.ToString()!,
    };

    private static string Hex(byte[] bytes) => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes)) + bytes.Length;
}
