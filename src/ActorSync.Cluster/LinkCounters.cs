using System.Collections.Concurrent;

namespace ActorSync.Cluster;

/// <summary>
/// Payload bytes and packets per link (source egress, the relay, each node's ingress and egress, peer recovery, …).
/// Every claim about coded versus uncoded savings is read from these counters, never assumed. A packet is one
/// batch-sized unit (a batch, or a coded packet over batches): however many of its segments cross a link, it counts
/// once there. Thread-safe. The link names are the one vocabulary the reports, metrics and docs use.
/// </summary>
public sealed class LinkCounters
{
    public const string SourceEgress = "source.egress";
    public const string Relay = "relay";
    public const string PeerRecovery = "peer.recovery";
    public const string PeerRepair = "peer.repair";

    /// <summary>Batches sent uncoded after coded delivery or recovery left a node short (a crash, a bad packet).</summary>
    public const string Fallback = "fallback";

    public const string DestinationIngress = "destination.ingress";
    public const string Reverse = "reverse";

    private readonly ConcurrentDictionary<string, Counter> _links = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Link, long Packet, int Copy), byte> _seen = new();

    public static string NodeIngress(int node) => $"node{node + 1}.ingress";

    public static string NodeEgress(int node) => $"node{node + 1}.egress";

    public void Count(string link, long bytes, long packets = 1)
    {
        var counter = _links.GetOrAdd(link, _ => new Counter());
        Interlocked.Add(ref counter.Bytes, bytes);
        Interlocked.Add(ref counter.Packets, packets);
    }

    /// <summary>Counts a segment of packet <paramref name="packet"/> (its <paramref name="copy"/>, where a link carries
    /// several copies of one packet): its bytes, and the packet once per link and copy.</summary>
    public void CountSegment(string link, long packet, long bytes, int copy = -1) =>
        Count(link, bytes, _seen.TryAdd((link, packet, copy), 0) ? 1 : 0);

    /// <summary>A consistent-enough copy for reports: each link's packets and bytes, by link name.</summary>
    public IReadOnlyDictionary<string, LinkTotal> Snapshot() =>
        _links.OrderBy(l => l.Key, StringComparer.Ordinal)
            .ToDictionary(l => l.Key, l => new LinkTotal(Interlocked.Read(ref l.Value.Packets), Interlocked.Read(ref l.Value.Bytes)));

    private sealed class Counter
    {
        public long Packets;
        public long Bytes;
    }
}

public sealed record LinkTotal(long Packets, long Bytes);
