using ActorSync.Coding.Kernels;

namespace ActorSync.Coding;

public enum XorAcceptOutcome
{
    /// <summary>The packet revealed at least one value, now or by unlocking packets held back earlier.</summary>
    Decoded,

    /// <summary>The packet has two or more unknown values; it is kept until enough of them are known.</summary>
    Held,

    /// <summary>Every value in the packet is known already; it carries nothing new.</summary>
    Redundant,

    /// <summary>The packet is malformed, or the value it yielded failed verification; it was dropped.</summary>
    Rejected,
}

/// <summary>One term of an XOR packet: which value, and how many of the payload's leading bytes it covers (the rest of
/// the payload is zero for it).</summary>
public readonly record struct XorTerm<TKey>(TKey Key, int Length);

/// <param name="FailedVerification">Values the packet would have yielded that failed verification; they were not
/// kept, so they cannot spread to other values. Ask for them again.</param>
/// <param name="Dropped">Held packets given up to stay within the memory cap: what they would have yielded comes later
/// (a gap fill), never wrong.</param>
public sealed record XorAcceptResult<TKey>(
    XorAcceptOutcome Outcome,
    IReadOnlyList<TKey> Decoded,
    IReadOnlyList<TKey> FailedVerification,
    string? Reason = null,
    int Dropped = 0);

/// <summary>
/// A decoder for XOR packets that arrive in any order, over values named by any key (a batch number, or a segment's
/// digest). A packet with exactly one unknown value yields it (XOR out the known ones); one with more waits, and each
/// newly known value, decoded or learned from elsewhere, may unlock waiting packets in turn. Works for both delivery
/// plans: the thesis plan decodes in one step, the leader plan needs the second peeling step. Every decoded value is
/// verified before it is kept, and waiting packets are bounded by <c>maxHeldBytes</c>.
/// </summary>
public sealed class XorPeeler<TKey> where TKey : notnull
{
    private readonly Func<TKey, ReadOnlyMemory<byte>?> _known;
    private readonly Func<TKey, ReadOnlySpan<byte>, bool> _verify;
    private readonly Action<TKey, byte[]> _learn;
    private readonly GfKernel _kernel;
    private readonly long _maxHeldBytes;
    private readonly Dictionary<TKey, List<Waiting>> _waitingOn = new();
    private readonly LinkedList<Waiting> _held = new();
    private long _heldBytes;

    private sealed class Waiting(XorTerm<TKey>[] terms, byte[] payload, int unknown)
    {
        public XorTerm<TKey>[] Terms { get; } = terms;
        public byte[] Payload { get; } = payload;
        public int Unknown { get; set; } = unknown;
        public bool Done { get; set; }
        public LinkedListNode<Waiting>? Node { get; set; }
    }

    /// <param name="known">A value's bytes if known (exactly its term length), else null.</param>
    /// <param name="verify">Whether a decoded value is right (its digest matches).</param>
    /// <param name="learn">Keeps a decoded, verified value; <paramref name="known"/> must return it from then on.</param>
    public XorPeeler(Func<TKey, ReadOnlyMemory<byte>?> known, Func<TKey, ReadOnlySpan<byte>, bool> verify, Action<TKey, byte[]> learn,
        long maxHeldBytes = long.MaxValue, GfKernel? kernel = null)
    {
        _known = known;
        _verify = verify;
        _learn = learn;
        _maxHeldBytes = maxHeldBytes;
        _kernel = kernel ?? GfKernels.Best;
    }

    /// <summary>Packets waiting for more of their values.</summary>
    public int HeldPackets => _held.Count;

    public long HeldBytes => _heldBytes;

    /// <summary>Takes a packet whose integrity the caller checked. The peeler owns <paramref name="payload"/> from now on.</summary>
    public XorAcceptResult<TKey> Accept(IReadOnlyList<XorTerm<TKey>> terms, byte[] payload)
    {
        if (terms.Count == 0) return Rejected("the packet combines no values.");
        foreach (var term in terms)
            if (term.Length < 0 || term.Length > payload.Length)
                return Rejected($"a term covers {term.Length} bytes of a {payload.Length}-byte payload.");
        int unknown = 0;
        foreach (var term in terms)
            if (_known(term.Key) is null) unknown++;
        if (unknown == 0) return new(XorAcceptOutcome.Redundant, [], []);

        var waiting = new Waiting(terms.ToArray(), payload, unknown);
        if (unknown > 1)
        {
            int dropped = Hold(waiting);
            return new(XorAcceptOutcome.Held, [], [], null, dropped);
        }
        return Peel(waiting);
    }

    /// <summary>A value became known from elsewhere (it arrived uncoded): packets waiting on it may now decode.</summary>
    public XorAcceptResult<TKey> Learned(TKey key)
    {
        if (!_waitingOn.Remove(key, out var unlocked)) return new(XorAcceptOutcome.Redundant, [], []);
        var ready = new Queue<Waiting>();
        foreach (var w in unlocked)
            if (!w.Done && --w.Unknown <= 1) ready.Enqueue(w);
        return ready.Count == 0 ? new(XorAcceptOutcome.Held, [], []) : Peel(ready);
    }

    /// <summary>Forgets every waiting packet (a new dataset, or a cycle that ended).</summary>
    public void Clear()
    {
        _waitingOn.Clear();
        _held.Clear();
        _heldBytes = 0;
    }

    private XorAcceptResult<TKey> Peel(Waiting first) => Peel(new Queue<Waiting>([first]));

    private XorAcceptResult<TKey> Peel(Queue<Waiting> ready)
    {
        var decoded = new List<TKey>();
        var failed = new List<TKey>();
        while (ready.Count > 0)
        {
            var next = ready.Dequeue();
            if (next.Done) continue;
            Release(next);
            var target = Resolve(next);
            if (target is not { } term) continue; // its last unknown arrived through another packet meanwhile
            var value = next.Payload.AsSpan();
            if (value[term.Length..].ContainsAnyExcept((byte)0) || !_verify(term.Key, value[..term.Length]))
            {
                failed.Add(term.Key);
                continue;
            }
            var bytes = term.Length == next.Payload.Length ? next.Payload : value[..term.Length].ToArray();
            _learn(term.Key, bytes);
            decoded.Add(term.Key);
            if (_waitingOn.Remove(term.Key, out var unlocked))
                foreach (var w in unlocked)
                    if (!w.Done && --w.Unknown <= 1) ready.Enqueue(w);
        }
        var outcome = decoded.Count > 0 ? XorAcceptOutcome.Decoded : failed.Count > 0 ? XorAcceptOutcome.Rejected : XorAcceptOutcome.Redundant;
        return new(outcome, decoded, failed, failed.Count > 0 ? $"{failed.Count} decoded value(s) failed verification." : null);
    }

    /// <summary>XORs the known values out of a packet with one unknown left; returns that unknown, or null if none is left.</summary>
    private XorTerm<TKey>? Resolve(Waiting packet)
    {
        XorTerm<TKey>? target = null;
        foreach (var term in packet.Terms)
        {
            if (_known(term.Key) is not { } known) target = term;
            else _kernel.Xor(known.Span, packet.Payload.AsSpan(0, known.Length));
        }
        return target;
    }

    private int Hold(Waiting waiting)
    {
        foreach (var term in waiting.Terms)
            if (_known(term.Key) is null)
            {
                if (!_waitingOn.TryGetValue(term.Key, out var list)) _waitingOn[term.Key] = list = [];
                list.Add(waiting);
            }
        waiting.Node = _held.AddLast(waiting);
        _heldBytes += waiting.Payload.Length;
        int dropped = 0;
        while (_heldBytes > _maxHeldBytes && _held.First is { } oldest)
        {
            Release(oldest.Value);
            dropped++;
        }
        return dropped;
    }

    private void Release(Waiting waiting)
    {
        waiting.Done = true;
        foreach (var term in waiting.Terms)
            if (_waitingOn.TryGetValue(term.Key, out var list) && list.Remove(waiting) && list.Count == 0) _waitingOn.Remove(term.Key);
        if (waiting.Node is null) return;
        _held.Remove(waiting.Node);
        waiting.Node = null;
        _heldBytes -= waiting.Payload.Length;
    }

    private static XorAcceptResult<TKey> Rejected(string reason) => new(XorAcceptOutcome.Rejected, [], [], reason);
}
