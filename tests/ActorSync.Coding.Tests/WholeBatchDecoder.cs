namespace ActorSync.Coding.Tests;

/// <summary>A node's view in the plan-level tests: whole padded batches, peeled by <see cref="XorPeeler{TKey}"/> keyed by batch number.</summary>
internal sealed class WholeBatchDecoder
{
    private readonly byte[]?[] _batches;
    private readonly int _batchSize;
    private readonly XorPeeler<int> _peeler;

    public WholeBatchDecoder(int batchCount, int batchSize, BatchManifest? manifest = null)
    {
        _batches = new byte[batchCount][];
        _batchSize = batchSize;
        _peeler = new XorPeeler<int>(b => _batches[b] is { } data ? (ReadOnlyMemory<byte>?)data : null,
            (b, content) => manifest is null || manifest.Verify(b, content),
            (b, content) => _batches[b] = content);
    }

    public bool IsComplete => MissingCount == 0;

    public int MissingCount => _batches.Count(b => b is null);

    public IEnumerable<int> MissingBatches => Enumerable.Range(0, _batches.Length).Where(b => _batches[b] is null);

    public byte[]? Batch(int batch) => _batches[batch];

    public void AddKnown(int batch, byte[] data) => _batches[batch] ??= data;

    public XorAcceptResult<int> Accept(XorPacket packet)
    {
        if (!packet.IsIntact || packet.Payload.Length != _batchSize || packet.Batches.Any(b => (uint)b >= (uint)_batches.Length))
            return new XorAcceptResult<int>(XorAcceptOutcome.Rejected, [], [], "malformed");
        return _peeler.Accept(packet.Batches.Select(b => new XorTerm<int>(b, _batchSize)).ToArray(), (byte[])packet.Payload.Clone());
    }
}
