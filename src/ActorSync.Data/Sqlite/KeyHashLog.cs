namespace ActorSync.Data.Sqlite;

/// <summary>
/// The key hashes of the rows an apply wrote, appended in chunks of 64 KiB: a million rows take 8 MB in small-object
/// chunks, instead of a doubling list that leaves about twice that behind in the large-object heap.
/// </summary>
internal sealed class KeyHashLog
{
    private const int ChunkLength = 8192;
    private readonly List<ulong[]> _chunks = [];
    private int _lastLength = ChunkLength;

    public long Count => _chunks.Count == 0 ? 0 : (long)(_chunks.Count - 1) * ChunkLength + _lastLength;

    public void Add(ulong hash)
    {
        if (_lastLength == ChunkLength)
        {
            _chunks.Add(new ulong[ChunkLength]);
            _lastLength = 0;
        }
        _chunks[^1][_lastLength++] = hash;
    }

    /// <summary>Every hash, sorted, for binary search.</summary>
    public ulong[] ToSortedArray()
    {
        var all = new ulong[Count];
        for (int c = 0; c < _chunks.Count; c++)
            _chunks[c].AsSpan(0, c == _chunks.Count - 1 ? _lastLength : ChunkLength).CopyTo(all.AsSpan(c * ChunkLength));
        Array.Sort(all);
        return all;
    }
}
