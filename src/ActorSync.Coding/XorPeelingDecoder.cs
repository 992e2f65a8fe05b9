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

    /// <summary>The packet's checksum does not match, or it names batches that do not exist; it was dropped.</summary>
    Rejected,
}

/// <param name="FailedVerification">Batches the packet would have yielded whose digest did not match the manifest;
/// they were not stored, so they cannot spread to other batches. Ask for them again.</param>
public sealed record XorAcceptResult(
    XorAcceptOutcome Outcome,
    IReadOnlyList<int> DecodedBatches,
    IReadOnlyList<int> FailedVerification,
    string? Reason = null);

/// <summary>
/// A node's decoder for XOR packets that arrive in any order. A packet with exactly one unknown batch yields it
/// (XOR out the known ones); one with more waits, and each newly known batch may unlock waiting packets in turn.
/// Works for both plans: the thesis plan decodes in one step, the leader plan needs the second peeling step.
/// With a manifest, a decoded batch is kept only if its digest matches.
/// </summary>
public sealed class XorPeelingDecoder
{
    private readonly byte[]?[] _batches;
    private readonly int _batchSize;
    private readonly BatchManifest? _manifest;
    private readonly GfKernel _kernel;
    private readonly Dictionary<int, List<Waiting>> _waitingOn = new();
    private int _missing;

    private sealed class Waiting(int[] batches, byte[] payload, int unknown)
    {
        public int[] Batches { get; } = batches;
        public byte[] Payload { get; } = payload;
        public int Unknown { get; set; } = unknown;
        public bool Done { get; set; }
    }

    public XorPeelingDecoder(int batchCount, int batchSize, BatchManifest? manifest = null, GfKernel? kernel = null)
    {
        if (manifest is not null && (manifest.BatchCount != batchCount || manifest.BatchSize != batchSize))
            throw new ArgumentException($"the manifest describes {manifest.BatchCount} batches of {manifest.BatchSize} bytes, not {batchCount} of {batchSize}.", nameof(manifest));
        _batches = new byte[batchCount][];
        _batchSize = batchSize;
        _manifest = manifest;
        _kernel = kernel ?? GfKernels.Best;
        _missing = batchCount;
    }

    public bool IsComplete => _missing == 0;

    public int MissingCount => _missing;

    public IEnumerable<int> MissingBatches => Enumerable.Range(0, _batches.Length).Where(b => _batches[b] is null);

    /// <summary>The batch if known, else null (a bare null would convert to an empty memory through the array operator).</summary>
    public ReadOnlyMemory<byte>? Batch(int batch) => _batches[batch] is { } data ? data : default(ReadOnlyMemory<byte>?);

    /// <summary>A batch the node already holds (its cache).</summary>
    public void AddKnown(int batch, byte[] data)
    {
        if (data.Length != _batchSize)
            throw new ArgumentException($"batch B{batch + 1} has {data.Length} bytes; batches here are {_batchSize}.", nameof(data));
        if (_batches[batch] is not null) return;
        _batches[batch] = data;
        _missing--;
    }

    public XorAcceptResult Accept(XorPacket packet)
    {
        if (!packet.IsIntact) return Rejected($"packet P{packet.Index + 1} fails its checksum.");
        if (packet.Payload.Length != _batchSize)
            return Rejected($"packet P{packet.Index + 1} has {packet.Payload.Length} bytes; batches here are {_batchSize}.");
        foreach (var b in packet.Batches)
            if ((uint)b >= (uint)_batches.Length)
                return Rejected($"packet P{packet.Index + 1} names batch B{b + 1}, but there are only {_batches.Length} batches.");

        int unknown = packet.Batches.Count(b => _batches[b] is null);
        if (unknown == 0) return new(XorAcceptOutcome.Redundant, [], []);

        var waiting = new Waiting(packet.Batches, (byte[])packet.Payload.Clone(), unknown);
        if (unknown > 1)
        {
            foreach (var b in packet.Batches)
                if (_batches[b] is null)
                {
                    if (!_waitingOn.TryGetValue(b, out var list)) _waitingOn[b] = list = [];
                    list.Add(waiting);
                }
            return new(XorAcceptOutcome.Held, [], []);
        }

        var decoded = new List<int>();
        var failed = new List<int>();
        var ready = new Queue<Waiting>();
        ready.Enqueue(waiting);
        while (ready.Count > 0)
        {
            var next = ready.Dequeue();
            if (next.Done) continue;
            next.Done = true;
            int target = Resolve(next);
            if (target < 0) continue; // its last unknown arrived through another packet meanwhile
            if (_manifest is not null && !_manifest.Verify(target, next.Payload))
            {
                failed.Add(target);
                continue;
            }
            _batches[target] = next.Payload;
            _missing--;
            decoded.Add(target);
            if (_waitingOn.Remove(target, out var unlocked))
                foreach (var w in unlocked)
                    if (!w.Done && --w.Unknown == 1) ready.Enqueue(w);
        }
        var outcome = decoded.Count > 0 ? XorAcceptOutcome.Decoded : failed.Count > 0 ? XorAcceptOutcome.Rejected : XorAcceptOutcome.Redundant;
        return new(outcome, decoded, failed, failed.Count > 0 ? $"decoded {string.Join(", ", failed.Select(b => $"B{b + 1}"))} failed digest verification." : null);
    }

    /// <summary>XORs the known batches out of a packet with one unknown left; returns that unknown, or −1 if none is left.</summary>
    private int Resolve(Waiting packet)
    {
        int target = -1;
        foreach (var b in packet.Batches)
        {
            var known = _batches[b];
            if (known is null) target = b;
            else _kernel.Xor(known, packet.Payload);
        }
        return target;
    }

    private static XorAcceptResult Rejected(string reason) => new(XorAcceptOutcome.Rejected, [], [], reason);
}
