using ActorSync.Coding.Kernels;

namespace ActorSync.Coding;

/// <summary>
/// A node's side of linear-coded recovery: each packet is a fresh combination of all the batches the node
/// holds, with coefficients drawn uniformly from the nonzero elements of GF(256). The thesis used all-ones
/// coefficients, which in characteristic 2 give singular systems (B4+B5, B4+B6, B5+B6 has rank 2).
/// </summary>
public sealed class RlncEncoder
{
    private readonly int _sender;
    private readonly int[] _batchIds;
    private readonly byte[][] _batches;
    private readonly Random _random;
    private readonly GfKernel _kernel;
    private int _sequence;

    public RlncEncoder(int sender, IReadOnlyDictionary<int, byte[]> heldBatches, Random? random = null, GfKernel? kernel = null)
    {
        if (heldBatches.Count == 0)
            throw new ArgumentException($"node {sender + 1} holds no batches, so it has nothing to encode.", nameof(heldBatches));
        _sender = sender;
        _batchIds = heldBatches.Keys.Order().ToArray();
        _batches = _batchIds.Select(b => heldBatches[b]).ToArray();
        if (_batches.Any(b => b.Length != _batches[0].Length))
            throw new ArgumentException($"node {sender + 1}'s batches differ in size; batches must be padded to one size.", nameof(heldBatches));
        _random = random ?? new Random();
        _kernel = kernel ?? GfKernels.Best;
    }

    public CodedPacket Next() => Encode(RandomCoefficients(_batchIds.Length, _random));

    /// <summary>Coefficients drawn uniformly from the nonzero elements of GF(256).</summary>
    public static byte[] RandomCoefficients(int count, Random random)
    {
        var coefficients = new byte[count];
        for (int i = 0; i < coefficients.Length; i++) coefficients[i] = (byte)random.Next(1, 256);
        return coefficients;
    }

    /// <summary>A packet with the given coefficients; for tests and for reproducing a peer's packet.</summary>
    public CodedPacket Encode(byte[] coefficients)
    {
        if (coefficients.Length != _batchIds.Length)
            throw new ArgumentException($"{coefficients.Length} coefficients given for node {_sender + 1}'s {_batchIds.Length} batches.", nameof(coefficients));
        var payload = new byte[_batches[0].Length];
        for (int i = 0; i < _batches.Length; i++) _kernel.MulAdd(coefficients[i], _batches[i], payload);
        return CodedPacket.Create(_sender, _sequence++, (int[])_batchIds.Clone(), coefficients, payload);
    }
}
