using BenchmarkDotNet.Attributes;

namespace ActorSync.Coding.Benchmarks;

/// <summary>RLNC decode of u unknown batches (receive u packets, solve), and the XOR peeling decode for comparison.</summary>
[MemoryDiagnoser]
public class DecodeBenchmarks
{
    private Dictionary<int, byte[]> _batches = [];
    private CodedPacket[] _packets = [];

    [Params(4, 20, 64)]
    public int Unknowns { get; set; }

    [Params(64 * 1024)]
    public int BatchBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(2);
        _batches = Enumerable.Range(0, Unknowns).ToDictionary(b => b, _ =>
        {
            var batch = new byte[BatchBytes];
            random.NextBytes(batch);
            return batch;
        });
        var encoder = new RlncEncoder(0, _batches, random);
        _packets = Enumerable.Range(0, Unknowns + 4).Select(_ => encoder.Next()).ToArray();
    }

    [Benchmark]
    public int RlncDecode()
    {
        var decoder = new RlncDecoder(new Dictionary<int, byte[]>(), _batches.Keys, BatchBytes);
        foreach (var packet in _packets)
        {
            if (decoder.IsFullRank) break;
            decoder.Receive(packet);
        }
        return decoder.Decode().Batches.Count;
    }
}
