using ActorSync.Coding.Planning;

namespace ActorSync.Coding.Tests;

/// <summary>
/// The source's routing, simulated without a network: a spool seals segments as random rows arrive, the router says
/// what to send, and each simulated node stores batch segments and peels XOR segments against what it holds, as a real
/// node does. Every node must end with every segment, and the packets and bytes must equal the formulas.
/// </summary>
public class SourceRouterTests
{
    private static readonly SegmentLayout Layout = new(4096);

    [Theory]
    [InlineData(4, 2, 1, "leader")]
    [InlineData(4, 2, 1, "thesis-man")]
    [InlineData(4, 2, 2, "leader")]
    [InlineData(5, 2, 1, "leader")]
    [InlineData(5, 3, 1, "thesis-man")]
    [InlineData(6, 3, 1, "leader")]
    [InlineData(4, 2, 1, "direct")]
    [InlineData(4, 2, 1, "partial")]
    public void A_full_sync_from_empty_nodes_delivers_everything_with_the_formulas_packets_and_bytes(int k, int r, int eta, string scheme)
    {
        var placement = new Placement(k, r, eta);
        var mode = DeliveryCost.Names[scheme];
        var run = Run(placement, mode, Rows(seed: k * 10 + r, count: 400 * placement.BatchCount), previous: null, nodes: null);

        foreach (var node in run.Nodes) Assert.True(node.HoldsAll(run.Manifest), $"node {node.Id + 1} lacks segments");
        var cost = DeliveryCost.Of(mode, placement);
        Assert.Equal(cost.SourcePackets, run.SourcePackets);
        Assert.Equal(cost.SourcePackets * run.Manifest.BatchSize, run.SourceBytes); // every packet is a padded batch
        Assert.Equal(cost.RelayPackets, run.RelayCopies);
        Assert.True(run.Manifest.SegmentCount > 3, "the batches span several segments");
    }

    [Fact]
    public void Coded_segments_leave_while_the_source_is_still_being_read()
    {
        var run = Run(new Placement(4, 2), DeliveryMode.Leader, Rows(seed: 3, count: 3000), previous: null, nodes: null);

        Assert.True(run.XorSentBeforeEnd > 0, "XOR packet segments wait for the end of the scan");
        Assert.True(run.PlacedBeforeEnd > run.PlacedAfterEnd);
    }

    [Fact]
    public void An_incremental_sync_sends_only_the_changed_segment_where_it_is_lacking()
    {
        var placement = new Placement(4, 2);
        var rows = Rows(seed: 5, count: 2500);
        var first = Run(placement, DeliveryMode.Leader, rows, previous: null, nodes: null);
        var changed = rows.ToArray();
        changed[1234] = changed[1234].ToArray();
        changed[1234][^1] ^= 0x01; // one byte of one row

        var second = Run(placement, DeliveryMode.Leader, changed, previous: first.Manifest, nodes: first.Nodes);

        var batch = Assert.Single(first.Manifest.Diff(second.Manifest));
        Assert.Equal(1, second.SourcePackets - second.XorPackets); // one placement packet, of one segment
        Assert.Equal(first.Manifest.Layout.Size, second.PlacementBytes);
        Assert.InRange(second.XorPackets, 1, 2);
        Assert.All(second.Nodes, node => Assert.True(node.HoldsAll(second.Manifest)));
        Assert.Equal((1 + second.XorPackets) * (long)Layout.Size, second.SourceBytes); // one segment each, not batch B{batch+1} whole
        Assert.True(second.SourceBytes * 10 < first.SourceBytes, $"{second.SourceBytes} of {first.SourceBytes} bytes sent (batch B{batch + 1})");
    }

    [Fact]
    public void A_node_that_lost_its_disk_is_left_to_its_peers_not_the_source()
    {
        var placement = new Placement(4, 2);
        var rows = Rows(seed: 8, count: 2000);
        var first = Run(placement, DeliveryMode.Leader, rows, previous: null, nodes: null);
        var nodes = first.Nodes.ToList();
        nodes[1] = new SimulatedNode(1); // node 2 lost everything

        var second = Run(placement, DeliveryMode.Leader, rows, previous: first.Manifest, nodes: nodes, heldWhole: n => n == 1 ? [] : null);

        Assert.Equal(0, second.SourcePackets); // nothing changed, and peers hold what node 2 lost
        var plan = CyclePlanner.Refill(nodes.Select(n => new NodeHolding(n.Id, n.Whole(second.Manifest))).ToArray(),
            CyclePlanner.Everything(placement.BatchCount, [0, 1, 2, 3]), sourceUp: true);
        Assert.All(plan.Transfers, t => Assert.False(t.FromSource));
        Assert.Equal(placement.BatchCount, plan.Transfers.Count(t => Combinatorics.Contains(t.To, 1)));
    }

    private sealed record RunResult(BatchManifest Manifest, IReadOnlyList<SimulatedNode> Nodes, long SourcePackets, long XorPackets, long SourceBytes,
        long PlacementBytes, long RelayCopies, int XorSentBeforeEnd, int PlacedBeforeEnd, int PlacedAfterEnd);

    private static RunResult Run(Placement placement, DeliveryMode mode, byte[][] rows, BatchManifest? previous, IReadOnlyList<SimulatedNode>? nodes,
        Func<int, int[]?>? heldWhole = null)
    {
        nodes ??= Enumerable.Range(0, placement.Nodes).Select(n => new SimulatedNode(n)).ToArray();
        var held = nodes.ToDictionary(n => n.Id, n => (IReadOnlySet<int>)((heldWhole?.Invoke(n.Id)) ?? (previous is null ? [] : n.Whole(previous).ToArray())).ToHashSet());
        var router = new SourceRouter(new SourceRouting(placement, mode, placement.AllNodes, previous, held));
        using var spool = new SegmentSpool(placement.BatchCount, Layout);
        var emissions = new List<(SourceEmission Emission, bool BeforeEnd)>();
        foreach (var row in rows)
        {
            spool.Add((int)(System.IO.Hashing.XxHash3.HashToUInt64(row.AsSpan(0, 8)) % (ulong)placement.BatchCount), row);
            while (spool.TryTakeSealed(out var sealedSegment)) emissions.AddRange(router.Sealed(sealedSegment, Layout.Size).Select(e => (e, true)));
        }
        var manifest = spool.Finish();
        while (spool.TryTakeSealed(out _)) { }
        emissions.AddRange(router.Finished(manifest).Select(e => (e, false)));

        var packets = new HashSet<(SourcePacketKind, int)>();
        long bytes = 0, placementBytes = 0, copies = 0;
        var copiesSeen = new HashSet<(SourcePacketKind, int, int)>();
        foreach (var (emission, _) in emissions)
        {
            packets.Add((emission.Kind, emission.Packet));
            bytes += emission.PaddedLength;
            if (emission.Kind == SourcePacketKind.Placement) placementBytes += emission.PaddedLength;
            foreach (var node in Combinatorics.Members(emission.Recipients))
            {
                if (copiesSeen.Add((emission.Kind, emission.Packet, node))) copies++;
                nodes[node].Receive(emission, spool);
            }
        }
        return new RunResult(manifest, nodes, packets.Count, packets.Count(p => p.Item1 == SourcePacketKind.Xor), bytes, placementBytes, copies,
            emissions.Count(e => e.BeforeEnd && e.Emission.Kind == SourcePacketKind.Xor), emissions.Count(e => e.BeforeEnd && e.Emission.Kind == SourcePacketKind.Placement),
            emissions.Count(e => !e.BeforeEnd && e.Emission.Kind == SourcePacketKind.Placement));
    }

    /// <summary>A node: a content-addressed store and a segment peeler, as the real node keeps them.</summary>
    private sealed class SimulatedNode
    {
        private readonly Dictionary<SegmentId, byte[]> _store = new() { [SegmentId.Of(Digest.Empty)] = [] };
        private readonly XorPeeler<SegmentId> _peeler;

        public SimulatedNode(int id)
        {
            Id = id;
            _peeler = new XorPeeler<SegmentId>(s => _store.TryGetValue(s, out var v) ? (ReadOnlyMemory<byte>?)v : null,
                (s, content) => SegmentId.Of(Digest.Of(content)) == s, (s, content) => _store[s] = content);
        }

        public int Id { get; }

        public void Receive(SourceEmission emission, SegmentSpool spool)
        {
            if (emission.Kind == SourcePacketKind.Xor)
            {
                var packet = XorSegmentPacket.Encode(emission.Packet, emission.Index, emission.Terms, emission.PaddedLength,
                    (term, destination) => spool.ReadContent(term.Batch, emission.Index, destination));
                Assert.True(packet.IsIntact);
                Assert.NotEqual(XorAcceptOutcome.Rejected, _peeler.Accept(packet.Terms.Select(t => new XorTerm<SegmentId>(t.Id, t.Length)).ToArray(), packet.Payload).Outcome);
                return;
            }
            var term = emission.Terms[0];
            var content = spool.ReadPadded(term.Batch, emission.Index, emission.PaddedLength)[..term.Length];
            Assert.Equal(term.Digest, Digest.Of(content));
            _store[term.Id] = content;
            _peeler.Learned(term.Id);
        }

        public IReadOnlySet<int> Whole(BatchManifest manifest) =>
            Enumerable.Range(0, manifest.BatchCount).Where(b => manifest.Batches[b].SegmentDigests.All(d => _store.ContainsKey(SegmentId.Of(d)))).ToHashSet();

        public bool HoldsAll(BatchManifest manifest) => Whole(manifest).Count == manifest.BatchCount;
    }

    private static byte[][] Rows(int seed, int count)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(i =>
        {
            var row = new byte[20 + random.Next(60)];
            random.NextBytes(row);
            BitConverter.TryWriteBytes(row, (long)i); // a stable key in the first 8 bytes
            return row;
        }).ToArray();
    }
}
