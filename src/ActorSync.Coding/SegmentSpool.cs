using Microsoft.Win32.SafeHandles;

namespace ActorSync.Coding;

/// <summary>A segment of a batch's content that is complete: its digest is final and its bytes are in the spool.</summary>
public readonly record struct SealedSegment(int Batch, int Index, int Length, byte[] Digest);

/// <summary>
/// Collects records into N batches as they arrive (the caller chooses each record's batch) and seals each batch's
/// content into fixed-size segments as it fills, so a segment can leave while the batches are still growing. Sealed
/// segments go to one spool file (deleted on dispose), or to memory for small datasets; only the N open segments
/// are held in memory (and, when the layout compresses, the N open blocks). <see cref="Finish"/> seals the partial
/// last segments and gives the manifest. Not thread-safe: one reader fills it and reads it back.
/// </summary>
public sealed class SegmentSpool : IDisposable
{
    private readonly SegmentLayout _layout;
    private readonly byte[]?[] _open;
    private readonly int[] _openLength;
    private readonly long[] _length;
    private readonly List<long>[] _offsets;
    private readonly List<byte[]>[] _digests;
    private readonly Queue<SealedSegment> _sealed = new();
    private readonly byte[]?[] _block;
    private readonly int[] _blockLength;
    private readonly MemoryStream _compressed = new();
    private readonly SafeFileHandle? _file;
    private readonly MemoryStream? _memory;
    private long _end;
    private BatchManifest? _manifest;

    /// <param name="directory">Where to keep the spool file; null keeps sealed segments in memory.</param>
    public SegmentSpool(int batchCount, SegmentLayout layout, string? directory = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchCount, 1);
        _layout = layout;
        _open = new byte[batchCount][];
        _openLength = new int[batchCount];
        _block = new byte[layout.Codec == ContentCodec.None ? 0 : batchCount][];
        _blockLength = new int[_block.Length];
        _length = new long[batchCount];
        _offsets = Enumerable.Range(0, batchCount).Select(_ => new List<long>()).ToArray();
        _digests = Enumerable.Range(0, batchCount).Select(_ => new List<byte[]>()).ToArray();
        if (directory is null) _memory = new MemoryStream();
        else _file = File.OpenHandle(Path.Combine(directory, $"actorsync-spool-{Guid.NewGuid():N}.tmp"), FileMode.CreateNew,
            FileAccess.ReadWrite, FileShare.None, FileOptions.DeleteOnClose);
    }

    public int BatchCount => _open.Length;

    public SegmentLayout Layout => _layout;

    public BatchManifest Manifest => _manifest ?? throw new InvalidOperationException("call Finish() first.");

    /// <summary>The batch's content so far (final once <see cref="Finish"/> has run).</summary>
    public long ContentLength(int batch) => _length[batch];

    /// <summary>Appends a record, behind its varint length, to batch <paramref name="batch"/> (to its open block when compressing).</summary>
    public void Add(int batch, ReadOnlySpan<byte> record)
    {
        if (_manifest is not null) throw new InvalidOperationException("records cannot be added after Finish().");
        if (_layout.Codec == ContentCodec.None)
        {
            AppendFramed(batch, record);
            return;
        }
        Span<byte> prefix = stackalloc byte[BatchFrame.MaxVarintSize];
        int prefixLength = BatchFrame.WriteVarint(prefix, record.Length);
        int framed = prefixLength + record.Length;
        if (_blockLength[batch] > 0 && _blockLength[batch] + framed > BatchContent.BlockSize) FlushBlock(batch);
        var block = _block[batch] ??= new byte[Math.Max(BatchContent.BlockSize, framed)];
        if (block.Length < framed) block = _block[batch] = new byte[framed];
        prefix[..prefixLength].CopyTo(block.AsSpan(_blockLength[batch]));
        record.CopyTo(block.AsSpan(_blockLength[batch] + prefixLength));
        _blockLength[batch] += framed;
        if (_blockLength[batch] >= BatchContent.BlockSize) FlushBlock(batch);
    }

    /// <summary>Segments sealed since the last call, in the order they were sealed.</summary>
    public bool TryTakeSealed(out SealedSegment segment) => _sealed.TryDequeue(out segment);

    public int PendingSealed => _sealed.Count;

    /// <summary>Seals every batch's last, partial segment and fixes the manifest.</summary>
    public BatchManifest Finish()
    {
        if (_manifest is not null) return _manifest;
        for (int b = 0; b < _block.Length; b++) FlushBlock(b);
        for (int b = 0; b < BatchCount; b++)
            if (_openLength[b] > 0) Seal(b);
        var batches = new BatchDescriptor[BatchCount];
        for (int b = 0; b < BatchCount; b++) batches[b] = new BatchDescriptor(_layout, ContentLength(b), _digests[b].ToArray());
        return _manifest = new BatchManifest(_layout, batches);
    }

    /// <summary>True once segment <paramref name="index"/> of the batch is sealed.</summary>
    public bool IsSealed(int batch, int index) => index < _offsets[batch].Count;

    public byte[] DigestOf(int batch, int index) => _digests[batch][index];

    /// <summary>Copies a sealed segment's content into <paramref name="destination"/> and returns its length.</summary>
    public int ReadContent(int batch, int index, Span<byte> destination)
    {
        if (!IsSealed(batch, index)) throw new InvalidOperationException($"segment {index} of batch B{batch + 1} is not sealed.");
        int length = (int)Math.Min(_layout.Size, ContentLength(batch) - _layout.OffsetOf(index));
        var target = destination[..length];
        long offset = _offsets[batch][index];
        if (_file is not null) RandomAccess.Read(_file, target, offset);
        else _memory!.GetBuffer().AsSpan((int)offset, length).CopyTo(target);
        return length;
    }

    /// <summary>Segment <paramref name="index"/> padded to <paramref name="paddedLength"/> (zeros past the content).</summary>
    public byte[] ReadPadded(int batch, int index, int paddedLength)
    {
        var padded = new byte[paddedLength];
        if (IsSealed(batch, index)) ReadContent(batch, index, padded);
        return padded;
    }

    /// <summary>Batch b, padded to the manifest's common size.</summary>
    public byte[] ReadBatch(int batch)
    {
        var manifest = Manifest;
        var padded = new byte[manifest.BatchSize];
        for (int i = 0; i < _offsets[batch].Count; i++) ReadContent(batch, i, padded.AsSpan((int)_layout.OffsetOf(i)));
        return padded;
    }

    public void Dispose()
    {
        _file?.Dispose();
        _memory?.Dispose();
    }

    /// <summary>A record behind its varint length, into the batch's content.</summary>
    private void AppendFramed(int batch, ReadOnlySpan<byte> record)
    {
        Span<byte> prefix = stackalloc byte[BatchFrame.MaxVarintSize];
        Append(batch, prefix[..BatchFrame.WriteVarint(prefix, record.Length)]);
        Append(batch, record);
    }

    private void Append(int batch, ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            var open = _open[batch] ??= new byte[_layout.Size];
            int take = Math.Min(bytes.Length, open.Length - _openLength[batch]);
            bytes[..take].CopyTo(open.AsSpan(_openLength[batch]));
            _openLength[batch] += take;
            _length[batch] += take;
            bytes = bytes[take..];
            if (_openLength[batch] == open.Length) Seal(batch);
        }
    }

    /// <summary>Compresses the batch's open block into its content as one framed record.</summary>
    private void FlushBlock(int batch)
    {
        if (_blockLength[batch] == 0) return;
        BatchContent.WriteBlock(_block[batch].AsSpan(0, _blockLength[batch]), _compressed);
        AppendFramed(batch, _compressed.GetBuffer().AsSpan(0, (int)_compressed.Length));
        _blockLength[batch] = 0;
        if (_block[batch]!.Length > BatchContent.BlockSize) _block[batch] = null; // an oversized record's buffer is not kept
    }

    private void Seal(int batch)
    {
        var content = _open[batch].AsSpan(0, _openLength[batch]);
        var digest = Digest.Of(content);
        if (_file is not null) RandomAccess.Write(_file, content, _end);
        else
        {
            _memory!.Position = _end;
            _memory.Write(content);
        }
        _offsets[batch].Add(_end);
        _digests[batch].Add(digest);
        _end += content.Length;
        _sealed.Enqueue(new SealedSegment(batch, _offsets[batch].Count - 1, content.Length, digest));
        _openLength[batch] = 0;
    }
}
