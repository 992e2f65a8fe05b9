namespace ActorSync.Coding;

/// <summary>
/// Packs a stream of encoded records into N batches of nearly equal content size, in stream order, without
/// splitting a record: a record goes to batch ⌊offset·N/total⌋, where offset is where it starts in the stream.
/// So the caller states the stream's total size (records plus their varint lengths) up front, and each record is
/// placed as it arrives. (The database edge places rows by key hash instead, so that one changed row changes one
/// batch; see <see cref="SegmentSpool"/>.)
/// </summary>
public sealed class BatchPacker : IDisposable
{
    private readonly SegmentSpool _spool;
    private readonly long _totalBytes;
    private long _offset;

    public BatchPacker(int batchCount, long totalBytes, SegmentLayout? layout = null, string? directory = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(totalBytes);
        _spool = new SegmentSpool(batchCount, layout ?? SegmentLayout.Default, directory);
        _totalBytes = totalBytes;
    }

    /// <summary>The bytes a record takes in the stream: its varint length and its bytes.</summary>
    public static long FramedSize(int recordLength) => BatchFrame.VarintSize(recordLength) + recordLength;

    public void Add(ReadOnlySpan<byte> record)
    {
        int batchCount = _spool.BatchCount;
        long index = _totalBytes == 0 ? batchCount - 1 : _offset * batchCount / _totalBytes;
        // A stream longer than announced lands in the last batch instead of being lost.
        _spool.Add((int)Math.Min(index, batchCount - 1), record);
        _offset += FramedSize(record.Length);
    }

    /// <summary>The padded batches and their manifest.</summary>
    public (byte[][] Batches, BatchManifest Manifest) Finish()
    {
        var manifest = _spool.Finish();
        return (Enumerable.Range(0, _spool.BatchCount).Select(_spool.ReadBatch).ToArray(), manifest);
    }

    /// <summary>Packs records that are already in memory.</summary>
    public static (byte[][] Batches, BatchManifest Manifest) Pack(IReadOnlyList<ReadOnlyMemory<byte>> records, int batchCount, SegmentLayout? layout = null)
    {
        long total = records.Sum(r => FramedSize(r.Length));
        using var packer = new BatchPacker(batchCount, total, layout);
        foreach (var record in records) packer.Add(record.Span);
        return packer.Finish();
    }

    public void Dispose() => _spool.Dispose();
}
