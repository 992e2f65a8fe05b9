using System.Collections.Concurrent;
using ActorSync.Coding;
using Microsoft.Win32.SafeHandles;

namespace ActorSync.Cluster.Nodes;

/// <summary>Where a segment's content lies in a store: a pack file and an offset in it.</summary>
public readonly record struct SegmentLocation(int Pack, long Offset);

/// <summary>
/// A node's segments on disk, content-addressed (a segment that did not change between datasets, or that two batches
/// share, is stored once) and appended to pack files: one write per segment into a file that stays open, no file per
/// segment (creating and deleting thousands of small files cost more kernel time than the data). Where each segment
/// lies is the node's journal's business (<see cref="StoredSegment"/> carries it); at start the node hands the
/// locations it replayed back (<see cref="Adopt"/>) and checks each against its digest. Nothing is fsynced: a segment
/// damaged by a power loss fails that check, is dropped and refilled by repair, and is never served. A pack whose
/// segments are all gone is deleted; so are packs no journal entry names, which is what a crash leaves. Reads and
/// writes are safe from several threads. A padding segment (no content) is always present and never stored.
/// Knows nothing of actors.
/// </summary>
public sealed class SegmentStore : IDisposable
{
    /// <summary>A pack is closed for writing past this size, so whole packs can be deleted as datasets move on.</summary>
    public const long PackSize = 256L << 20;

    private static readonly SegmentId Empty = SegmentId.Of(Digest.Empty);
    private readonly ConcurrentDictionary<SegmentId, (SegmentLocation Location, int Length)> _index = new();
    private readonly ConcurrentDictionary<int, SafeFileHandle> _packs = new();
    private readonly object _writeLock = new();
    private int _current;
    private long _end;

    public string Directory { get; }

    /// <summary>Where RLNC recovery keeps received payloads until it can solve them; emptied at start.</summary>
    public string SpillDirectory { get; }

    public SegmentStore(string directory)
    {
        Directory = System.IO.Directory.CreateDirectory(directory).FullName;
        SpillDirectory = Path.Combine(Directory, "spill");
        if (System.IO.Directory.Exists(SpillDirectory)) System.IO.Directory.Delete(SpillDirectory, recursive: true);
        System.IO.Directory.CreateDirectory(SpillDirectory);
        // Each start writes to a new pack: the last one may end in a half-written segment that no journal entry names.
        _current = Packs().Select(p => p.Number).DefaultIfEmpty(0).Max() + 1;
        // The format before packs kept one file per segment in subdirectories: nothing names them any more.
        foreach (var old in System.IO.Directory.EnumerateDirectories(Directory).Where(d => d != SpillDirectory)) System.IO.Directory.Delete(old, recursive: true);
    }

    public int Count => _index.Count;

    public long Bytes => _index.Values.Sum(v => (long)v.Length);

    public bool Has(SegmentId id) => id == Empty || _index.ContainsKey(id);

    /// <summary>Takes back the locations a restarted node replayed from its journal (the caller then verifies them).</summary>
    public void Adopt(IEnumerable<(SegmentId Id, SegmentLocation Location, int Length)> segments)
    {
        foreach (var (id, location, length) in segments)
            if (id != Empty && File.Exists(PackPath(location.Pack))) _index[id] = (location, length);
    }

    /// <summary>Appends a segment's content under its digest (the caller has checked it); a segment already here is not written twice.</summary>
    public SegmentLocation Write(SegmentId id, ReadOnlySpan<byte> content)
    {
        if (id == Empty) return default;
        if (_index.TryGetValue(id, out var known)) return known.Location;
        lock (_writeLock)
        {
            if (_end > 0 && _end + content.Length > PackSize)
            {
                _current++;
                _end = 0;
            }
            var location = new SegmentLocation(_current, _end);
            RandomAccess.Write(Handle(_current, create: true), content, _end);
            _end += content.Length;
            _index[id] = (location, content.Length);
            return location;
        }
    }

    public SegmentLocation? LocationOf(SegmentId id) => _index.TryGetValue(id, out var entry) ? entry.Location : null;

    /// <summary>The content length of a stored segment, or −1 if it is not here.</summary>
    public int LengthOf(SegmentId id) => id == Empty ? 0 : _index.TryGetValue(id, out var entry) ? entry.Length : -1;

    /// <summary>Copies a segment's content into <paramref name="destination"/>; returns its length, or −1 if it is not here.</summary>
    public int Read(SegmentId id, Span<byte> destination)
    {
        if (id == Empty) return 0;
        if (!_index.TryGetValue(id, out var entry)) return -1;
        try
        {
            int read = RandomAccess.Read(Handle(entry.Location.Pack, create: false), destination[..entry.Length], entry.Location.Offset);
            return read == entry.Length ? entry.Length : -1;
        }
        catch (Exception error) when (error is FileNotFoundException or ObjectDisposedException)
        {
            _index.TryRemove(id, out _);
            return -1;
        }
    }

    public byte[]? Read(SegmentId id)
    {
        int length = LengthOf(id);
        if (length < 0) return null;
        var content = new byte[length];
        return Read(id, content) == length ? content : null;
    }

    /// <summary>True if the segment is here and its content still has its digest; a damaged one is forgotten.</summary>
    public bool Verify(SegmentId id)
    {
        if (id == Empty) return true;
        var content = Read(id);
        if (content is not null && SegmentId.Of(Digest.Of(content)) == id) return true;
        _index.TryRemove(id, out _);
        return false;
    }

    /// <summary>Forgets every segment not in <paramref name="keep"/> and deletes the packs left with none; returns how many went.</summary>
    public int Retain(IReadOnlySet<SegmentId> keep)
    {
        int forgotten = 0;
        foreach (var id in _index.Keys.Where(id => !keep.Contains(id)).ToArray())
            if (_index.TryRemove(id, out _)) forgotten++;
        DeleteUnusedPacks();
        return forgotten;
    }

    public void Dispose()
    {
        foreach (var handle in _packs.Values) handle.Dispose();
        _packs.Clear();
    }

    private void DeleteUnusedPacks()
    {
        lock (_writeLock)
        {
            var used = _index.Values.Select(v => v.Location.Pack).ToHashSet();
            foreach (var (number, path) in Packs())
            {
                if (used.Contains(number)) continue;
                if (_packs.TryRemove(number, out var handle)) handle.Dispose();
                File.Delete(path);
                if (number == _current) _end = 0; // written again from its start
            }
        }
    }

    private SafeFileHandle Handle(int pack, bool create) => _packs.GetOrAdd(pack, number =>
        File.OpenHandle(PackPath(number), create ? FileMode.OpenOrCreate : FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete));

    private string PackPath(int pack) => Path.Combine(Directory, $"pack-{pack:D6}.seg");

    private IEnumerable<(int Number, string Path)> Packs() =>
        System.IO.Directory.EnumerateFiles(Directory, "pack-*.seg")
            .Select(path => (Path.GetFileNameWithoutExtension(path), path))
            .Where(p => int.TryParse(p.Item1.AsSpan(5), out _))
            .Select(p => (int.Parse(p.Item1.AsSpan(5)), p.path)).ToArray();
}
