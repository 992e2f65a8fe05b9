using ActorSync.Cluster.Protocol;
using ActorSync.Coding;
using ActorSync.Coding.Planning;

namespace ActorSync.Cluster.Tests;

/// <summary>A dataset spooled into segments for the node tests: its manifest, and its frames as Hub B would send them.</summary>
internal sealed class SegmentedData : IDisposable
{
    public static readonly SegmentLayout Layout = new(4096);

    public SegmentSpool Spool { get; }
    public BatchManifest Manifest { get; }
    public Placement Placement { get; }
    public long Dataset { get; }

    private SegmentedData(SegmentSpool spool, Placement placement, long dataset)
    {
        Spool = spool;
        Manifest = spool.Finish();
        while (spool.TryTakeSealed(out _)) { }
        Placement = placement;
        Dataset = dataset;
    }

    /// <summary>Bank-like rows routed to batches by a hash of their number; <paramref name="variant"/> changes every row.</summary>
    public static SegmentedData Create(Placement placement, int rows = 3000, long dataset = 1, int variant = 0)
    {
        var spool = new SegmentSpool(placement.BatchCount, Layout);
        for (int i = 0; i < rows; i++)
        {
            var row = System.Text.Encoding.UTF8.GetBytes($"{i},{30 + i % 50},management,married,tertiary,no,{(i * 13 + variant) % 9000},{variant}");
            spool.Add((int)((uint)HashCode.Combine(i, 17) % placement.BatchCount), row);
        }
        return new SegmentedData(spool, placement, dataset);
    }

    public byte[] EncodedManifest => Manifest.Encode();

    /// <summary>Batch b's segments, padded, as a peer or Hub B sends them.</summary>
    public IEnumerable<SegmentFrame> Batch(int batch) => Enumerable.Range(0, Manifest.SegmentCount).Select(i =>
        new SegmentFrame(Dataset, batch, i, Manifest.ContentLength(batch, i), Manifest.SegmentDigest(batch, i) ?? Digest.Empty,
            Spool.ReadPadded(batch, i, Manifest.PaddedLength(i))));

    /// <summary>What Hub B streams for a sync into empty nodes, in the order a scan seals it, with each frame's recipients.</summary>
    public IReadOnlyList<(uint Recipients, IDataFrame Frame)> SourceStream(DeliveryMode scheme)
    {
        var router = new SourceRouter(new SourceRouting(Placement, scheme, Placement.AllNodes, null, new Dictionary<int, IReadOnlySet<int>>()));
        var emissions = new List<SourceEmission>();
        for (int i = 0; i < Manifest.SegmentCount; i++)
            for (int b = 0; b < Manifest.BatchCount; b++)
                if (i < Manifest.Batches[b].SegmentDigests.Count && Manifest.ContentLength(b, i) == Layout.Size) // a full segment seals during the scan
                    emissions.AddRange(router.Sealed(new SealedSegment(b, i, Layout.Size, Manifest.SegmentDigest(b, i)!), Layout.Size));
        emissions.AddRange(router.Finished(Manifest));
        return emissions.Select(e => (e.Recipients, Frame(e))).ToArray();
    }

    private IDataFrame Frame(SourceEmission emission)
    {
        if (emission.Kind == SourcePacketKind.Xor)
            return XorFrame.From(Dataset, XorSegmentPacket.Encode(emission.Packet, emission.Index, emission.Terms, emission.PaddedLength,
                (term, destination) => Spool.ReadContent(term.Batch, emission.Index, destination)));
        var term = emission.Terms[0];
        return new SegmentFrame(Dataset, term.Batch, emission.Index, term.Length, term.Digest, Spool.ReadPadded(term.Batch, emission.Index, emission.PaddedLength));
    }

    public void Dispose() => Spool.Dispose();
}
