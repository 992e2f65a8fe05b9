namespace ActorSync.Coding;

/// <summary>
/// Packs a stream of encoded records into N batches of nearly equal content size, without splitting a record,
/// then pads them to one common size. A record goes to batch ⌊offset·N/total⌋, where offset is where it starts
/// in the stream; so the caller states the stream's total size (records plus their varint lengths) up front
/// and each record is placed as it arrives. <see cref="Finish"/> copies each batch once into its padded array.
/// </summary>
public sealed class BatchPacker
{
    private readonly int _batchCount;
    private readonly long _totalBytes;
    private readonly MemoryStream[] _contents;
    private readonly int[] _recordCounts;
    private long _offset;
    private bool _finished;

    public BatchPacker(int batchCount, long totalBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchCount, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(totalBytes);
        _batchCount = batchCount;
        _totalBytes = totalBytes;
        _contents = new MemoryStream[batchCount];
        _recordCounts = new int[batchCount];
        for (int i = 0; i < batchCount; i++) _contents[i] = new MemoryStream();
    }

    /// <summary>The bytes a record takes in the stream: its varint length and its bytes.</summary>
    public static long FramedSize(int recordLength) => BatchFrame.VarintSize(recordLength) + recordLength;

    public void Add(ReadOnlySpan<byte> record)
    {
        if (_finished) throw new InvalidOperationException("records cannot be added after Finish().");
        long index = _totalBytes == 0 ? _batchCount - 1 : _offset * _batchCount / _totalBytes;
        // A stream longer than announced lands in the last batch instead of being lost.
        int batch = (int)Math.Min(index, _batchCount - 1);
        Span<byte> prefix = stackalloc byte[5];
        int prefixLength = BatchFrame.WriteVarint(prefix, record.Length);
        _contents[batch].Write(prefix[..prefixLength]);
        _contents[batch].Write(record);
        _recordCounts[batch]++;
        _offset += prefixLength + record.Length;
    }

    /// <summary>The padded batches and their manifest.</summary>
    public (byte[][] Batches, BatchManifest Manifest) Finish()
    {
        if (_finished) throw new InvalidOperationException("Finish() was already called.");
        _finished = true;
        int batchSize = BatchFrame.HeaderSize + (int)_contents.Max(c => c.Length);
        var batches = new byte[_batchCount][];
        var digests = new byte[_batchCount][];
        for (int b = 0; b < _batchCount; b++)
        {
            var content = _contents[b].GetBuffer().AsSpan(0, (int)_contents[b].Length);
            var batch = new byte[batchSize];
            BatchFrame.WriteHeader(batch, content.Length, _recordCounts[b]);
            content.CopyTo(batch.AsSpan(BatchFrame.HeaderSize));
            batches[b] = batch;
            digests[b] = Digest.Of(BatchFrame.Content(batch));
            _contents[b].Dispose();
        }
        return (batches, new BatchManifest(batchSize, digests));
    }

    /// <summary>Packs records that are already in memory.</summary>
    public static (byte[][] Batches, BatchManifest Manifest) Pack(IReadOnlyList<ReadOnlyMemory<byte>> records, int batchCount)
    {
        long total = records.Sum(r => FramedSize(r.Length));
        var packer = new BatchPacker(batchCount, total);
        foreach (var record in records) packer.Add(record.Span);
        return packer.Finish();
    }
}
