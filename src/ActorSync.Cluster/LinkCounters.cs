using System.Collections.Concurrent;

namespace ActorSync.Cluster;

/// <summary>
/// Payload bytes and packets per link (source egress, the relay, each node's ingress and egress, peer recovery).
/// Every claim about coded versus uncoded savings is read from these counters, never assumed. Thread-safe.
/// </summary>
public sealed class LinkCounters
{
    public const string SourceEgress = "source.egress";
    public const string Relay = "relay";
    public const string PeerRecovery = "peer.recovery";

    private readonly ConcurrentDictionary<string, Counter> _links = new(StringComparer.Ordinal);

    public static string NodeIngress(int node) => $"node{node + 1}.ingress";

    public static string NodeEgress(int node) => $"node{node + 1}.egress";

    public void Count(string link, long bytes, long packets = 1)
    {
        var counter = _links.GetOrAdd(link, _ => new Counter());
        Interlocked.Add(ref counter.Bytes, bytes);
        Interlocked.Add(ref counter.Packets, packets);
    }

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
