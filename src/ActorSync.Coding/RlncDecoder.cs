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
/// The receiving side of linear-coded recovery. Each packet's known batches are subtracted, and its coefficient
/// vector over the unknown batches is reduced against the rows received so far (incremental Gauss–Jordan, kept in
/// reduced row echelon form). A packet that reduces to zero adds no rank and is reported as such; its payload is
/// never touched. Each row also records which received payloads it is made of, so the payload work is done once,
/// in <see cref="Decode"/>, in cache-sized stripes. Decoding is rateless: short of rank, the caller asks for more
/// packets; it never guesses.
/// </summary>
public sealed class RlncDecoder
{
    private readonly IReadOnlyDictionary<int, byte[]> _known;
    private readonly Dictionary<int, int> _column = new();
    private readonly int[] _unknownBatches;
    private readonly int _batchSize;
    private readonly BatchManifest? _manifest;
    private readonly GfKernel _kernel;

    // Row k: its coefficients over the unknowns (RREF), its pivot column, and its make-up from received payloads.
    private readonly List<byte[]> _coefficients = [];
    private readonly List<byte[]> _makeUp = [];
    private readonly List<int> _pivots = [];
    private readonly List<byte[]> _payloads = [];

    public RlncDecoder(IReadOnlyDictionary<int, byte[]> known, IEnumerable<int> wanted, int batchSize,
        BatchManifest? manifest = null, GfKernel? kernel = null)
    {
        _known = known;
        _unknownBatches = wanted.Where(b => !known.ContainsKey(b)).Distinct().Order().ToArray();
        for (int i = 0; i < _unknownBatches.Length; i++) _column[_unknownBatches[i]] = i;
        _batchSize = batchSize;
        _manifest = manifest;
        _kernel = kernel ?? GfKernels.Best;
        foreach (var (batch, data) in known)
            if (data.Length != batchSize)
                throw new ArgumentException($"known batch B{batch + 1} has {data.Length} bytes, not {batchSize}.", nameof(known));
    }

    public int Unknowns => _unknownBatches.Length;

    public int Rank => _pivots.Count;

    public bool IsFullRank => Rank == Unknowns;

    public IReadOnlyList<int> UnknownBatches => _unknownBatches;

    /// <summary>Unknown batches that the packets so far do not pin down; helpers are the nodes that hold any of them.</summary>
    public IReadOnlyList<int> UndeterminedBatches
    {
        get
        {
            var determined = new HashSet<int>(DeterminedRows().Select(k => _pivots[k]));
            return Enumerable.Range(0, Unknowns).Where(c => !determined.Contains(c)).Select(c => _unknownBatches[c]).ToArray();
        }
    }

    public RlncReceiveResult Receive(CodedPacket packet)
    {
        if (!packet.IsIntact)
            return new(RlncReceiveOutcome.Corrupt, Rank, $"packet {packet.Sequence} from node {packet.Sender + 1} fails its checksum.");
        var problem = Validate(packet);
        if (problem is not null) return new(RlncReceiveOutcome.Invalid, Rank, problem);
        if (IsFullRank) return new(RlncReceiveOutcome.NotInnovative, Rank);

        int u = Unknowns;
        var vector = new byte[u];
        for (int i = 0; i < packet.BatchIds.Length; i++)
            if (_column.TryGetValue(packet.BatchIds[i], out int column))
                vector[column] = packet.Coefficients[i];
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
        if (pivot < 0) return new(RlncReceiveOutcome.NotInnovative, Rank);

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
        _payloads.Add(SubtractKnown(packet));
        return new(RlncReceiveOutcome.Innovative, Rank);
    }

    /// <summary>Solves every unknown the packets determine, verifying each against the manifest when there is one.</summary>
    public RlncDecodeResult Decode()
    {
        var rows = DeterminedRows().ToArray();
        var outputs = rows.Select(_ => new byte[_batchSize]).ToArray();
        // Stripes small enough that every payload and output stripe stays in L2 while it is combined.
        int stripe = Math.Clamp(256 * 1024 / Math.Max(1, Rank + rows.Length) / 64 * 64, 1024, 64 * 1024);
        for (int offset = 0; offset < _batchSize; offset += stripe)
        {
            int length = Math.Min(stripe, _batchSize - offset);
            for (int r = 0; r < rows.Length; r++)
            {
                var makeUp = _makeUp[rows[r]];
                var destination = outputs[r].AsSpan(offset, length);
                for (int slot = 0; slot < Rank; slot++)
                    _kernel.MulAdd(makeUp[slot], _payloads[slot].AsSpan(offset, length), destination);
            }
        }

        var solved = new Dictionary<int, byte[]>();
        var failed = new List<int>();
        for (int r = 0; r < rows.Length; r++)
        {
            int batch = _unknownBatches[_pivots[rows[r]]];
            if (_manifest is null || _manifest.Verify(batch, outputs[r])) solved[batch] = outputs[r];
            else failed.Add(batch);
        }
        return new(solved, UndeterminedBatches, failed);
    }

    /// <summary>Rows whose only nonzero coefficient is their pivot: each pins down one unknown batch.</summary>
    private IEnumerable<int> DeterminedRows()
    {
        for (int k = 0; k < Rank; k++)
        {
            var row = _coefficients[k].AsSpan();
            if (row[(_pivots[k] + 1)..].IndexOfAnyExcept((byte)0) < 0 && row[.._pivots[k]].IndexOfAnyExcept((byte)0) < 0)
                yield return k;
        }
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
            if (!_known.ContainsKey(batch) && !_column.ContainsKey(batch))
                return $"{from} combines batch B{batch + 1}, which this node neither holds nor wants.";
        return null;
    }
}
