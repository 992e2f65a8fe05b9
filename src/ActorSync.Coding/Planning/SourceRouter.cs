namespace ActorSync.Coding.Planning;

/// <summary>What the source knows when a snapshot starts: the previous dataset's manifest (null if none) and which of
/// its batches each live node holds whole.</summary>
public sealed record SourceRouting(
    Placement Placement,
    DeliveryMode Scheme,
    uint Alive,
    BatchManifest? Previous,
    IReadOnlyDictionary<int, IReadOnlySet<int>> HeldWhole)
{
    /// <summary>The leader of the leader plan: the lowest-numbered live node.</summary>
    public int Leader => Alive == 0 ? 0 : System.Numerics.BitOperations.TrailingZeroCount(Alive);
}

/// <summary>Why a segment crosses the source link: the three kinds of packet the source sends.</summary>
public enum SourcePacketKind
{
    /// <summary>A batch's segment to the nodes it is placed on.</summary>
    Placement,

    /// <summary>An XOR packet's segment, for coded delivery.</summary>
    Xor,

    /// <summary>A batch's segment to nodes it is not placed on (the uncoded baselines, direct and partial).</summary>
    Uncoded,
}

/// <summary>
/// One segment to send over the source link: <paramref name="Terms"/> (one for a batch segment, several for an XOR
/// packet) at segment <paramref name="Index"/>, padded to <paramref name="PaddedLength"/>, for the nodes in
/// <paramref name="Recipients"/>. <paramref name="Packet"/> names the batch-sized packet it belongs to (a batch, or an
/// XOR packet of the plan), so packets are counted once however many of their segments cross.
/// </summary>
public sealed record SourceEmission(SourcePacketKind Kind, int Packet, int Index, SegmentTerm[] Terms, int PaddedLength, uint Recipients);

/// <summary>
/// Decides, as the source's scan seals each segment, what crosses the source link and to whom, so placement and
/// coded delivery stream while the source is still reading:
/// <list type="bullet">
/// <item>Only what no live node holds crosses the source link: a segment a node lacks but a peer holds (unchanged
/// since the previous dataset, which counts) is left to the gap fill, which brings it from that peer, so the scarce
/// link is spared.</item>
/// <item>Placement: a new segment goes to the nodes its batch is placed on.</item>
/// <item>Coded delivery: per segment index, the plan restricted to the new segments. Packet p's segment i leaves once
/// all of p's batches have sealed segment i, for the nodes that do not hold its terms.</item>
/// <item>The uncoded baselines: direct sends each segment once to every node lacking it; partial places, then sends
/// each segment again to the other nodes lacking it.</item>
/// </list>
/// Every packet is a padded batch: its segments up to the dataset's common count, so a full sync puts exactly the
/// formulas' packets × batch size on the link. A segment that is only padding (a batch shorter than the longest) goes
/// as zeros when its batch's end moved, and not at all otherwise.
/// </summary>
public sealed class SourceRouter
{
    private readonly SourceRouting _routing;
    private readonly Placement _placement;
    private readonly int[] _sealed;
    private readonly List<SegmentTerm>[] _terms;
    private readonly XorDeliveryPlan? _plan;
    private readonly List<int>[] _packetsOf;
    private readonly int[] _nextIndex;
    private BatchManifest? _final;

    public SourceRouter(SourceRouting routing)
    {
        _routing = routing;
        _placement = routing.Placement;
        int batches = _placement.BatchCount;
        _sealed = new int[batches];
        _terms = Enumerable.Range(0, batches).Select(_ => new List<SegmentTerm>()).ToArray();
        _plan = routing.Scheme switch
        {
            DeliveryMode.Leader => XorDeliveryPlan.LeaderBased(_placement, routing.Leader),
            DeliveryMode.ThesisMan => XorDeliveryPlan.ThesisMan(_placement),
            _ => null,
        };
        _packetsOf = Enumerable.Range(0, batches).Select(_ => new List<int>()).ToArray();
        _nextIndex = new int[_plan?.Packets.Count ?? 0];
        if (_plan is not null)
            foreach (var packet in _plan.Packets)
                foreach (var batch in packet.Batches) _packetsOf[batch].Add(packet.Index);
    }

    /// <summary>A segment the scan sealed (full, so more of its batch may follow).</summary>
    public IReadOnlyList<SourceEmission> Sealed(SealedSegment segment, int segmentSize)
    {
        if (segment.Index != _sealed[segment.Batch])
            throw new InvalidOperationException($"segment {segment.Index} of batch B{segment.Batch + 1} was sealed out of order (expected {_sealed[segment.Batch]}).");
        var term = new SegmentTerm(segment.Batch, segment.Length, segment.Digest);
        _terms[segment.Batch].Add(term);
        _sealed[segment.Batch]++;
        var emissions = new List<SourceEmission>();
        Place(term, segment.Index, segmentSize, emissions);
        foreach (var packet in _packetsOf[segment.Batch]) EmitReadyXor(packet, emissions, upTo: Ready(packet), segmentSize);
        return emissions;
    }

    /// <summary>The scan ended: the tails, padding segments included, and every packet segment not sent yet.</summary>
    public IReadOnlyList<SourceEmission> Finished(BatchManifest manifest)
    {
        _final = manifest;
        var emissions = new List<SourceEmission>();
        for (int b = 0; b < _placement.BatchCount; b++)
            for (int i = _sealed[b]; i < manifest.SegmentCount; i++)
            {
                var term = TermAt(b, i);
                if (i < manifest.Batches[b].SegmentDigests.Count) _terms[b].Add(term);
                Place(term, i, manifest.PaddedLength(i), emissions);
            }
        if (_plan is not null)
            foreach (var packet in _plan.Packets) EmitReadyXor(packet.Index, emissions, upTo: manifest.SegmentCount, segmentSize: 0);
        return emissions;
    }

    /// <summary>The term for segment i of batch b: sealed content, or the all-padding segment (length 0, empty digest).</summary>
    private SegmentTerm TermAt(int batch, int index)
    {
        if (index < _terms[batch].Count) return _terms[batch][index];
        if (_final is null) throw new InvalidOperationException($"segment {index} of batch B{batch + 1} is not sealed yet.");
        return index < _final.Batches[batch].SegmentDigests.Count
            ? new SegmentTerm(batch, _final.ContentLength(batch, index), _final.Batches[batch].SegmentDigests[index])
            : new SegmentTerm(batch, 0, Digest.Empty);
    }

    private void Place(SegmentTerm term, int index, int paddedLength, List<SourceEmission> emissions)
    {
        if (!IsNew(term, index)) return; // a live node holds it: the gap fill brings it from that peer
        uint alive = _routing.Alive;
        uint holders = _placement.HoldersOf(term.Batch) & alive;
        switch (_routing.Scheme)
        {
            case DeliveryMode.Direct:
                emissions.Add(new(SourcePacketKind.Uncoded, term.Batch, index, [term], paddedLength, alive));
                break;
            case DeliveryMode.Partial:
                if (holders != 0) emissions.Add(new(SourcePacketKind.Placement, term.Batch, index, [term], paddedLength, holders));
                if ((alive & ~holders) != 0) emissions.Add(new(SourcePacketKind.Uncoded, term.Batch, index, [term], paddedLength, alive & ~holders));
                break;
            default:
                if (holders != 0) emissions.Add(new(SourcePacketKind.Placement, term.Batch, index, [term], paddedLength, holders));
                break;
        }
    }

    /// <summary>No live node holds the segment: only the source can send it.</summary>
    private bool IsNew(SegmentTerm term, int index) => Lacking(term, index) == _routing.Alive;

    /// <summary>The live nodes that do not hold this segment of the new dataset yet.</summary>
    private uint Lacking(SegmentTerm term, int index)
    {
        uint lacking = 0;
        foreach (var node in Combinatorics.Members(_routing.Alive))
            if (!Holds(node, term, index)) lacking |= 1u << node;
        return lacking;
    }

    /// <summary>
    /// Whether a node holds the segment already: it holds the previous dataset's batch whole and that batch had the same
    /// content there. A padding-only segment is held where the batch's end did not move.
    /// </summary>
    private bool Holds(int node, SegmentTerm term, int index)
    {
        var previous = _routing.Previous;
        if (previous is null || term.Batch >= previous.BatchCount) return false;
        if (!_routing.HeldWhole.TryGetValue(node, out var held) || !held.Contains(term.Batch)) return false;
        if (term.Length == 0)
            return _final is not null && previous.Batches[term.Batch].ContentLength == _final.Batches[term.Batch].ContentLength
                && previous.BatchDigests[term.Batch].AsSpan().SequenceEqual(_final.BatchDigests[term.Batch]);
        return previous.SegmentDigest(term.Batch, index) is { } digest && digest.AsSpan().SequenceEqual(term.Digest);
    }

    /// <summary>Segment indices below which every batch of the packet is sealed.</summary>
    private int Ready(int packet) => _plan!.Packets[packet].Batches.Min(b => _sealed[b]);

    private void EmitReadyXor(int packet, List<SourceEmission> emissions, int upTo, int segmentSize)
    {
        var spec = _plan!.Packets[packet];
        for (; _nextIndex[packet] < upTo; _nextIndex[packet]++)
        {
            int index = _nextIndex[packet];
            var demanded = new List<SegmentTerm>();
            uint recipients = 0;
            foreach (var batch in spec.Batches)
            {
                var term = TermAt(batch, index);
                // Only what no live node holds is coded; the holders get it by placement, the packet is for the others.
                if (!IsNew(term, index)) continue;
                demanded.Add(term);
                recipients |= _routing.Alive & ~_placement.HoldersOf(batch);
            }
            recipients &= spec.Recipients;
            if (demanded.Count == 0 || recipients == 0) continue;
            int padded = _final is null ? segmentSize : _final.PaddedLength(index);
            emissions.Add(new(SourcePacketKind.Xor, packet, index, [.. demanded], padded, recipients));
        }
    }
}
