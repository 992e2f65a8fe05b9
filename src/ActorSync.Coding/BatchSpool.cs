namespace ActorSync.Coding;

/// <summary>
/// Collects records into N batches as they arrive: the caller chooses each record's batch. Batches live in memory
/// or, for datasets larger than memory should hold, in temp files (deleted on dispose). <see cref="Finish"/> fixes
/// the common padded size and computes the manifest; batches are then read back one at a time.
/// </summary>
public sealed class BatchSpool : IDisposable
{
    private readonly Stream[] _contents;
    private readonly int[] _recordCounts;
    private BatchManifest? _manifest;

    /// <param name="directory">Where to keep batch files; null keeps batches in memory.</param>
    public BatchSpool(int batchCount, string? directory = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchCount, 1);
        _contents = new Stream[batchCount];
        _recordCounts = new int[batchCount];
        for (int b = 0; b < batchCount; b++)
            _contents[b] = directory is null
                ? new MemoryStream()
                : new FileStream(Path.Combine(directory, $"actorsync-batch-{Guid.NewGuid():N}.tmp"), FileMode.CreateNew,
                    FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
    }

    public int BatchCount => _contents.Length;

    public BatchManifest Manifest => _manifest ?? throw new InvalidOperationException("call Finish() first.");

    public void Add(int batch, ReadOnlySpan<byte> record)
    {
        if (_manifest is not null) throw new InvalidOperationException("records cannot be added after Finish().");
        Span<byte> prefix = stackalloc byte[5];
        int prefixLength = BatchFrame.WriteVarint(prefix, record.Length);
        var stream = _contents[batch];
        if (stream.Length + prefixLength + record.Length > int.MaxValue - BatchFrame.HeaderSize)
            throw new InvalidOperationException($"batch B{batch + 1} would exceed 2 GiB; use more batches.");
        stream.Write(prefix[..prefixLength]);
        stream.Write(record);
        _recordCounts[batch]++;
    }

    public BatchManifest Finish()
    {
        if (_manifest is not null) return _manifest;
        int batchSize = BatchFrame.HeaderSize + (int)_contents.Max(c => c.Length);
        var digests = new byte[BatchCount][];
        for (int b = 0; b < BatchCount; b++)
            digests[b] = Digest.Of(BatchFrame.Content(Read(b, batchSize)));
        return _manifest = new BatchManifest(batchSize, digests);
    }

    /// <summary>Batch b, framed and padded to the common size.</summary>
    public byte[] ReadBatch(int batch) => Read(batch, Manifest.BatchSize);

    private byte[] Read(int batch, int batchSize)
    {
        var stream = _contents[batch];
        var padded = new byte[batchSize];
        BatchFrame.WriteHeader(padded, (int)stream.Length, _recordCounts[batch]);
        stream.Position = 0;
        stream.ReadExactly(padded.AsSpan(BatchFrame.HeaderSize, (int)stream.Length));
        stream.Seek(0, SeekOrigin.End);
        return padded;
    }

    public void Dispose()
    {
        foreach (var stream in _contents) stream.Dispose();
    }
}
