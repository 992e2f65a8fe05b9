using ActorSync.Cluster.Nodes;
using ActorSync.Cluster.Protocol;
using Akka.Actor;
using Akka.Serialization;

namespace ActorSync.Cluster.Tests;

/// <summary>
/// Golden journal entries (tests/ActorSync.Cluster.Tests/golden/journal), written by the builds that wrote them:
/// format 1 (whole batches, before segments) by commit 86403d4's serializer, format 2 (segments) by this one's. A node
/// upgraded in place replays them: format 2 exactly, format 1 as nothing usable (repair refills it), never an error.
/// </summary>
public sealed class JournalFormatTests : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("golden", ClusterConfig.Compose());

    private static byte[] Bytes(int n, byte seed) => Enumerable.Range(0, n).Select(i => (byte)(seed + i)).ToArray();

    private object Read(string file)
    {
        var manifest = Path.GetFileNameWithoutExtension(file).Split('-')[1];
        var serializer = (SerializerWithStringManifest)_system.Serialization.FindSerializerForType(typeof(SegmentsStored));
        return serializer.FromBinary(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "golden", "journal", file)), manifest);
    }

    [Fact]
    public void Format_2_entries_read_back_exactly()
    {
        StoredSegment[] segments = [new(0, 0, 4096, Bytes(32, 7), 1, 0), new(1, 2, 100, Bytes(32, 9), 2, 8192)];

        Assert.IsType<CacheCleared>(Read("v2-E2.bin"));
        var manifest = Assert.IsType<ManifestCached>(Read("v2-E4.bin"));
        Assert.Equal(638000000000000002, manifest.Dataset);
        Assert.Equal(Bytes(120, 5), manifest.Manifest);
        Assert.Equal(Bytes(40, 3), manifest.Catalog);
        var stored = Assert.IsType<SegmentsStored>(Read("v2-E5.bin"));
        Assert.Equal(638000000000000002, stored.Dataset);
        Assert.Equal(segments.Select(Describe), stored.Segments.Select(Describe));
        var snapshot = Assert.IsType<NodeCacheSnapshot>(Read("v2-S2.bin"));
        Assert.Equal((638000000000000002, 638000000000000003), (snapshot.Dataset, snapshot.PendingDataset));
        Assert.Equal(segments.Select(Describe), snapshot.Held.Select(Describe));
        Assert.Equal([Describe(segments[1])], snapshot.Pending.Select(Describe));
    }

    [Fact]
    public void Format_1_entries_replay_as_nothing_held_so_repair_refills_the_node()
    {
        var cache = new NodeCache();
        foreach (var file in new[] { "v1-S1.bin", "v1-E3.bin", "v1-E1.bin" })
        {
            var entry = Read(file);
            Assert.IsType<LegacyJournalEntry>(entry);
            cache.Apply((INodeEvent)entry);
        }

        Assert.Equal((0, 0L, 0), (cache.HeldCount, cache.Dataset, cache.PendingCount));
    }

    private static string Describe(StoredSegment s) => $"{s.Batch}/{s.Index}/{s.Length}/{Convert.ToHexString(s.Digest)}@{s.Pack}:{s.Offset}";

    public void Dispose() => _system.Dispose();
}
