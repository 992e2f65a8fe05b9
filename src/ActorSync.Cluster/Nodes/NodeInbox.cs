using ActorSync.Cluster.Protocol;
using ActorSync.Coding;

namespace ActorSync.Cluster.Nodes;

/// <summary>What one frame did: segments now stored (to journal), and whether it was refused and why.</summary>
public sealed record InboxOutcome(IReadOnlyList<StoredSegment> Stored, bool Rejected, int Decoded, int Dropped, string? Problem)
{
    public static readonly InboxOutcome Nothing = new([], false, 0, 0, null);
}

/// <summary>
/// A node's handling of the frames that stream into it, without actors: a batch segment is checked against its
/// digest and stored; an XOR packet segment is checked and peeled against what the store holds (keyed by segment
/// digest, so it works before the dataset's manifest is known, and each decoded segment is verified against the digest
/// its packet carries); an RLNC segment goes to the recovery receiver. The caller journals what is stored.
/// </summary>
public sealed class NodeInbox : IDisposable
{
    private readonly int _node;
    private readonly SegmentStore _store;
    private readonly NodeCache _cache;
    private readonly XorPeeler<SegmentId> _xor;
    private readonly Dictionary<SegmentId, (int Batch, int Index)> _positions = new();
    private readonly List<StoredSegment> _learned = [];
    private RlncReceiver? _rlnc;

    /// <param name="maxHeldBytes">XOR packets waiting for more of their terms are dropped past this (the gap fill covers them).</param>
    public NodeInbox(int node, long dataset, SegmentStore store, NodeCache cache, long maxHeldBytes)
    {
        _node = node;
        Dataset = dataset;
        _store = store;
        _cache = cache;
        _xor = new XorPeeler<SegmentId>(
            id => _store.Read(id) is { } bytes ? (ReadOnlyMemory<byte>?)bytes : null, // a bare null would become an empty memory
            (id, content) => SegmentId.Of(Digest.Of(content)) == id,
            (id, content) =>
            {
                var location = _store.Write(id, content);
                if (_positions.TryGetValue(id, out var at)) _learned.Add(new StoredSegment(at.Batch, at.Index, content.Length, id.ToBytes(), location.Pack, location.Offset));
            },
            maxHeldBytes);
    }

    public long Dataset { get; }

    public InboxOutcome Accept(IDataFrame frame)
    {
        long dataset = frame switch { SegmentFrame s => s.Dataset, XorFrame x => x.Dataset, RlncFrame r => r.Dataset, _ => -1 };
        if (dataset != Dataset) return Refused($"a {frame.GetType().Name} of dataset {dataset} reached the inbox of dataset {Dataset}.");
        return frame switch
        {
            SegmentFrame segment => Store(segment),
            XorFrame xor => Decode(xor.ToPacket()),
            RlncFrame rlnc => Recover(rlnc.ToPacket()),
            _ => Refused($"{frame.GetType().Name} is not a frame a node takes."),
        };
    }

    /// <summary>Solves what the RLNC packets so far determine (source-down recovery); the solved segments are stored.</summary>
    public (RecoveryResult Result, IReadOnlyList<StoredSegment> Stored) Solve()
    {
        if (_rlnc is null) return (new RecoveryResult([], [], [], 0, 0), []);
        var stored = new List<StoredSegment>();
        var result = _rlnc.Solve((segment, content) =>
        {
            var location = _store.Write(SegmentId.Of(segment.Digest), content);
            stored.Add(segment with { Pack = location.Pack, Offset = location.Offset });
        });
        if (_rlnc.IsFullRank || result.FailedVerification.Length > 0)
        {
            // Done, or poisoned by a lying peer: either way the next packets start afresh.
            _rlnc.Dispose();
            _rlnc = null;
        }
        return (result, stored);
    }

    public void Dispose()
    {
        _rlnc?.Dispose();
        _xor.Clear();
    }

    private InboxOutcome Store(SegmentFrame frame)
    {
        if (frame.Length < 0 || frame.Length > frame.Payload.Length || frame.Payload.AsSpan(frame.Length).ContainsAnyExcept((byte)0)
            || !Digest.Matches(frame.Digest, Digest.Of(frame.Payload.AsSpan(0, frame.Length))))
            return Refused($"segment {frame.Index} of batch B{frame.Batch + 1} does not match its digest: it was damaged on the way; send it again.");
        var id = SegmentId.Of(frame.Digest);
        var location = _store.Write(id, frame.Payload.AsSpan(0, frame.Length));
        var stored = new List<StoredSegment> { new(frame.Batch, frame.Index, frame.Length, frame.Digest, location.Pack, location.Offset) };
        var unlocked = _xor.Learned(id);
        return new(Stored: [.. stored, .. TakeLearned()], false, unlocked.Decoded.Count, 0, null);
    }

    private InboxOutcome Decode(XorSegmentPacket packet)
    {
        if (!packet.IsIntact) return Refused($"segment {packet.Index} of XOR packet P{packet.Packet + 1} fails its checksum.");
        var terms = new XorTerm<SegmentId>[packet.Terms.Length];
        for (int t = 0; t < terms.Length; t++)
        {
            var term = packet.Terms[t];
            if (term.Digest.Length != Digest.Size) return Refused($"XOR packet P{packet.Packet + 1} carries a malformed digest.");
            terms[t] = new XorTerm<SegmentId>(term.Id, term.Length);
            _positions.TryAdd(term.Id, (term.Batch, packet.Index));
        }
        var result = _xor.Accept(terms, packet.Payload);
        var stored = TakeLearned();
        bool rejected = result.Outcome == XorAcceptOutcome.Rejected;
        return new(stored, rejected, result.Decoded.Count, result.Dropped,
            rejected ? $"XOR packet P{packet.Packet + 1}, segment {packet.Index}: {result.Reason}" : null);
    }

    private InboxOutcome Recover(RlncSegmentPacket packet)
    {
        if (_cache.Dataset != Dataset || _cache.Manifest is not { } manifest)
            return Refused($"an RLNC packet of dataset {Dataset} came before its manifest (holding {_cache.Dataset}).");
        _rlnc ??= new RlncReceiver(manifest, Enumerable.Range(0, manifest.BatchCount).Where(_cache.HoldsWhole).ToHashSet(), _store);
        var problem = _rlnc.Accept(packet);
        return problem is null ? InboxOutcome.Nothing : Refused(problem);
    }

    private List<StoredSegment> TakeLearned()
    {
        var learned = _learned.ToList();
        _learned.Clear();
        return learned;
    }

    private InboxOutcome Refused(string problem) => new([], true, 0, 0, $"node {_node + 1}: {problem}");
}
