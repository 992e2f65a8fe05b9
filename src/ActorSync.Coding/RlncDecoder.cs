using ActorSync.Coding.Kernels;

namespace ActorSync.Coding;

public enum RlncReceiveOutcome
{
    /// <summary>The packet raised the rank by one.</summary>
    Innovative,

    /// <summary>The packet is a combination of packets already received: the rank did not change.</summary>
    NotInnovative,

    /// <summary>The packet's checksum does not match its contents; it was dropped.</summary>
    Corrupt,

    /// <summary>The packet is malformed for this decoder (sizes, batch ids); it was dropped.</summary>
    Invalid,
}

public sealed record RlncReceiveResult(RlncReceiveOutcome Outcome, int Rank, string? Reason = null);

/// <summary>
/// What a decode produced: the batches solved and verified, the unknowns still undetermined (ask for more
/// packets), and any solved batch whose digest did not match the manifest (a peer sent wrong coefficients).
/// </summary>
public sealed record RlncDecodeResult(
    IReadOnlyDictionary<int, byte[]> Batches,
    IReadOnlyList<int> Undetermined,
    IReadOnlyList<int> FailedVerification)
{
    public bool IsComplete => Undetermined.Count == 0 && FailedVerification.Count == 0;
}

/// <summary>
/// The coefficient side of linear-coded recovery: each packet's coefficient vector over the unknown batches is reduced
/// against the rows received so far (incremental Gauss–Jordan, kept in reduced row echelon form). A vector that
/// reduces to zero adds no rank and is reported as such. Each row also records which received payloads (slots, in
/// the order they were accepted) it is made of, so the payload work is done once, wherever the payloads are kept:
/// in memory for whole batches (<see cref="RlncDecoder"/>), or on disk segment by segment.
/// </summary>
public sealed class RlncSystem
{
    private readonly Dictionary<int, int> _column = new();
    private readonly int[] _unknownBatches;
    private readonly GfKernel _kernel;
    private readonly List<byte[]> _coefficients = [];
    private readonly List<byte[]> _makeUp = [];
    private readonly List<int> _pivots = [];

    public RlncSystem(IEnumerable<int> unknownBatches, GfKernel? kernel = null)
    {
        _unknownBatches = unknownBatches.Distinct().Order().ToArray();
        for (int i = 0; i < _unknownBatches.Length; i++) _column[_unknownBatches[i]] = i;
        _kernel = kernel ?? GfKernels.Best;
    }

    public int Unknowns => _unknownBatches.Length;

    public int Rank => _pivots.Count;

    public bool IsFullRank => Rank == Unknowns;

    public IReadOnlyList<int> UnknownBatches => _unknownBatches;

    public bool IsUnknown(int batch) => _column.ContainsKey(batch);

    /// <summary>
    /// Offers a packet's coefficients (those of batches that are not unknown are ignored: the caller subtracts what
    /// it knows from the payload). Returns the new payload slot, or −1 if the packet adds no rank.
    /// </summary>
    public int Offer(ReadOnlySpan<int> batchIds, ReadOnlySpan<byte> coefficients)
    {
        if (IsFullRank) return -1;
        int u = Unknowns;
        var vector = new byte[u];
        for (int i = 0; i < batchIds.Length; i++)
            if (_column.TryGetValue(batchIds[i], out int column))
                vector[column] = coefficients[i];
        var makeUp = new byte[u];
        makeUp[Rank] = 1;

        for (int k = 0; k < Rank; k++)
        {
            byte factor = vector[_pivots[k]];
            if (factor == 0) continue;
            _kernel.MulAdd(factor, _coefficients[k], vector);
            _kernel.MulAdd(factor, _makeUp[k], makeUp);
        }

        int pivot = vector.AsSpan().IndexOfAnyExcept((byte)0);
        if (pivot < 0) return -1;

        byte scale = GF256.Inv(vector[pivot]);
        _kernel.Mul(scale, vector, vector);
        _kernel.Mul(scale, makeUp, makeUp);
        for (int k = 0; k < Rank; k++)
        {
            byte factor = _coefficients[k][pivot];
            if (factor == 0) continue;
            _kernel.MulAdd(factor, vector, _coefficients[k]);
            _kernel.MulAdd(factor, makeUp, _makeUp[k]);
        }
        _coefficients.Add(vector);
        _makeUp.Add(makeUp);
        _pivots.Add(pivot);
        return Rank - 1;
    }

    /// <summary>Each batch the packets so far pin down, with the slot weights that combine to it.</summary>
    public IReadOnlyList<(int Batch, byte[] MakeUp)> Determined()
    {
        var rows = new List<(int, byte[])>();
        for (int k = 0; k < Rank; k++)
        {
            var row = _coefficients[k].AsSpan();
            if (row[(_pivots[k] + 1)..].IndexOfAnyExcept((byte)0) < 0 && row[.._pivots[k]].IndexOfAnyExcept((byte)0) < 0)
                rows.Add((_unknownBatches[_pivots[k]], _makeUp[k]));
        }
        return rows;
    }

    /// <summary>Unknown batches that the packets so far do not pin down; helpers are the nodes that hold any of them.</summary>
    public IReadOnlyList<int> UndeterminedBatches
    {
        get
        {
            var determined = Determined().Select(d => d.Batch).ToHashSet();
            return _unknownBatches.Where(b => !determined.Contains(b)).ToArray();
        }
    }
}

/// <summary>
/// The receiving side of linear-coded recovery for whole batches in memory. Each packet's known batches are
/// subtracted and its coefficients go to an <see cref="RlncSystem"/>; a packet that adds no rank is reported as such
/// and its payload never touched. The payload work is done once, in <see cref="Decode"/>, in cache-sized stripes.
/// Decoding is rateless: short of rank, the caller asks for more packets; it never guesses.
/// </summary>
public sealed class RlncDecoder
{
    private readonly IReadOnlyDictionary<int, byte[]> _known;
    private readonly RlncSystem _system;
    private readonly int _batchSize;
    private readonly BatchManifest? _manifest;
    private readonly GfKernel _kernel;
    private readonly List<byte[]> _payloads = [];

    public RlncDecoder(IReadOnlyDictionary<int, byte[]> known, IEnumerable<int> wanted, int batchSize,
        BatchManifest? manifest = null, GfKernel? kernel = null)
    {
        _known = known;
        _kernel = kernel ?? GfKernels.Best;
        _system = new RlncSystem(wanted.Where(b => !known.ContainsKey(b)), _kernel);
        _batchSize = batchSize;
        _manifest = manifest;
        foreach (var (batch, data) in known)
            if (data.Length != batchSize)
                throw new ArgumentException($"known batch B{batch + 1} has {data.Length} bytes, not {batchSize}.", nameof(known));
    }

    public int Unknowns => _system.Unknowns;

    public int Rank => _system.Rank;

    public bool IsFullRank => _system.IsFullRank;

    public IReadOnlyList<int> UnknownBatches => _system.UnknownBatches;

    /// <summary>Unknown batches that the packets so far do not pin down; helpers are the nodes that hold any of them.</summary>
    public IReadOnlyList<int> UndeterminedBatches => _system.UndeterminedBatches;

    public RlncReceiveResult Receive(CodedPacket packet)
    {
        if (!packet.IsIntact)
            return new(RlncReceiveOutcome.Corrupt, Rank, $"packet {packet.Sequence} from node {packet.Sender + 1} fails its checksum.");
        var problem = Validate(packet);
        if (problem is not null) return new(RlncReceiveOutcome.Invalid, Rank, problem);
        if (_system.Offer(packet.BatchIds, packet.Coefficients) < 0) return new(RlncReceiveOutcome.NotInnovative, Rank);
        _payloads.Add(SubtractKnown(packet));
        return new(RlncReceiveOutcome.Innovative, Rank);
    }

    /// <summary>Solves every unknown the packets determine, verifying each against the manifest when there is one.</summary>
    public RlncDecodeResult Decode()
    {
        var rows = _system.Determined();
        var outputs = rows.Select(_ => new byte[_batchSize]).ToArray();
        // Stripes small enough that every payload and output stripe stays in L2 while it is combined.
        int stripe = Math.Clamp(256 * 1024 / Math.Max(1, Rank + rows.Count) / 64 * 64, 1024, 64 * 1024);
        for (int offset = 0; offset < _batchSize; offset += stripe)
        {
            int length = Math.Min(stripe, _batchSize - offset);
            for (int r = 0; r < rows.Count; r++)
            {
                var makeUp = rows[r].MakeUp;
                var destination = outputs[r].AsSpan(offset, length);
                for (int slot = 0; slot < Rank; slot++)
                    _kernel.MulAdd(makeUp[slot], _payloads[slot].AsSpan(offset, length), destination);
            }
        }

        var solved = new Dictionary<int, byte[]>();
        var failed = new List<int>();
        for (int r = 0; r < rows.Count; r++)
        {
            int batch = rows[r].Batch;
            if (_manifest is null || _manifest.Verify(batch, outputs[r])) solved[batch] = outputs[r];
            else failed.Add(batch);
        }
        return new(solved, UndeterminedBatches, failed);
    }

    private byte[] SubtractKnown(CodedPacket packet)
    {
        var payload = (byte[])packet.Payload.Clone();
        for (int i = 0; i < packet.BatchIds.Length; i++)
            if (_known.TryGetValue(packet.BatchIds[i], out var known))
                _kernel.MulAdd(packet.Coefficients[i], known, payload);
        return payload;
    }

    private string? Validate(CodedPacket packet)
    {
        string from = $"packet {packet.Sequence} from node {packet.Sender + 1}";
        if (packet.BatchIds.Length != packet.Coefficients.Length)
            return $"{from} has {packet.BatchIds.Length} batch ids but {packet.Coefficients.Length} coefficients.";
        if (packet.Payload.Length != _batchSize)
            return $"{from} has a {packet.Payload.Length}-byte payload; batches here are {_batchSize} bytes.";
        if (packet.BatchIds.Distinct().Count() != packet.BatchIds.Length)
            return $"{from} names a batch twice.";
        foreach (var batch in packet.BatchIds)
            if (!_known.ContainsKey(batch) && !_system.IsUnknown(batch))
                return $"{from} combines batch B{batch + 1}, which this node neither holds nor wants.";
        return null;
    }
}
