using ActorSync.Coding.Kernels;

namespace ActorSync.Coding;

public enum XorAcceptOutcome
{
    /// <summary>The packet revealed at least one batch, now or by unlocking packets held back earlier.</summary>
    Decoded,

    /// <summary>The packet has two or more unknown batches; it is kept until enough of them are known.</summary>
    Held,

    /// <summary>Every batch in the packet is known already; it carries nothing new.</summary>
    Redundant,
}

public sealed record XorAcceptResult(XorAcceptOutcome Outcome, IReadOnlyList<int> DecodedBatches);

/// <summary>
/// A node's decoder for XOR packets that arrive in any order. A packet with exactly one unknown batch yields it
/// (XOR out the known ones); one with more waits, and each newly known batch may unlock waiting packets in turn.
/// Works for both plans: the thesis plan decodes in one step, the leader plan needs the second peeling step.
/// </summary>
public sealed class XorPeelingDecoder
{
    private readonly byte[]?[] _batches;
    private readonly int _batchSize;
    private readonly GfKernel _kernel;
    private readonly Dictionary<int, List<Waiting>> _waitingOn = new();
    private int _missing;

    private sealed class Waiting(XorPacketSpec spec, byte[] payload, int unknown)
    {
        public XorPacketSpec Spec { get; } = spec;
        public byte[] Payload { get; } = payload;
        public int Unknown { get; set; } = unknown;
        public bool Done { get; set; }
    }

    public XorPeelingDecoder(int batchCount, int batchSize, GfKernel? kernel = null)
    {
        _batches = new byte[batchCount][];
        _batchSize = batchSize;
        _kernel = kernel ?? GfKernels.Best;
        _missing = batchCount;
    }

    public bool IsComplete => _missing == 0;

    public int MissingCount => _missing;

    public IEnumerable<int> MissingBatches => Enumerable.Range(0, _batches.Length).Where(b => _batches[b] is null);

    public ReadOnlyMemory<byte>? Batch(int batch) => _batches[batch];

    /// <summary>A batch the node already holds (its cache).</summary>
    public void AddKnown(int batch, byte[] data)
    {
        CheckSize(data.Length);
        if (_batches[batch] is not null) return;
        _batches[batch] = data;
        _missing--;
    }

    public XorAcceptResult Accept(XorPacketSpec packet, ReadOnlySpan<byte> payload)
    {
        CheckSize(payload.Length);
        foreach (var b in packet.Batches)
            if ((uint)b >= (uint)_batches.Length)
                throw new ArgumentException($"packet P{packet.Index + 1} names batch B{b + 1}, but there are only {_batches.Length} batches.", nameof(packet));

        int unknown = packet.Batches.Count(b => _batches[b] is null);
        if (unknown == 0) return new(XorAcceptOutcome.Redundant, []);

        var waiting = new Waiting(packet, payload.ToArray(), unknown);
        if (unknown > 1)
        {
            foreach (var b in packet.Batches)
                if (_batches[b] is null)
                {
                    if (!_waitingOn.TryGetValue(b, out var list)) _waitingOn[b] = list = [];
                    list.Add(waiting);
                }
            return new(XorAcceptOutcome.Held, []);
        }

        var decoded = new List<int>();
        var ready = new Queue<Waiting>();
        ready.Enqueue(waiting);
        while (ready.Count > 0)
        {
            var next = ready.Dequeue();
            if (next.Done) continue;
            next.Done = true;
            int target = Resolve(next);
            if (target < 0) continue; // its last unknown arrived through another packet meanwhile
            decoded.Add(target);
            if (_waitingOn.Remove(target, out var unlocked))
                foreach (var w in unlocked)
                    if (!w.Done && --w.Unknown == 1) ready.Enqueue(w);
        }
        return new(decoded.Count > 0 ? XorAcceptOutcome.Decoded : XorAcceptOutcome.Redundant, decoded);
    }

    /// <summary>XORs the known batches out of a packet with one unknown left and stores the result.</summary>
    private int Resolve(Waiting packet)
    {
        int target = -1;
        foreach (var b in packet.Spec.Batches)
        {
            var known = _batches[b];
            if (known is null) target = b;
            else _kernel.Xor(known, packet.Payload);
        }
        if (target < 0) return -1;
        _batches[target] = packet.Payload;
        _missing--;
        return target;
    }

    private void CheckSize(int length)
    {
        if (length != _batchSize)
            throw new ArgumentException($"expected {_batchSize}-byte batches and packets, got {length} bytes.");
    }
}
