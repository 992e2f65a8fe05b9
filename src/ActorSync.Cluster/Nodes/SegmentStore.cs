using System.Collections.Concurrent;
using ActorSync.Coding;

namespace ActorSync.Cluster.Nodes;

/// <summary>
/// A node's segments on disk, one file per segment content, named by its SHA-256 (content-addressed: a segment that
/// did not change between datasets, or that two batches share, is stored once). A file is written under a temporary
/// name and renamed into place, so a crash leaves either the whole segment or an orphaned temporary file, which is
/// deleted at start. Files are not fsynced: a segment damaged by a power loss fails its digest when the node starts,
/// is dropped and refilled by repair, and is never served. Reads and writes are safe from several threads; a padding
/// segment (no content) is always present and never stored. Knows nothing of actors.
/// </summary>
public sealed class SegmentStore
{
    private static readonly SegmentId Empty = SegmentId.Of(Digest.Empty);
    private readonly ConcurrentDictionary<SegmentId, int> _lengths = new();

    public string Directory { get; }

    /// <summary>Where RLNC recovery keeps received payloads until it can solve them; emptied at start.</summary>
    public string SpillDirectory { get; }

    public SegmentStore(string directory)
    {
        Directory = System.IO.Directory.CreateDirectory(directory).FullName;
        SpillDirectory = Path.Combine(Directory, "spill");
        if (System.IO.Directory.Exists(SpillDirectory)) System.IO.Directory.Delete(SpillDirectory, recursive: true);
        System.IO.Directory.CreateDirectory(SpillDirectory);
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory, "*", SearchOption.AllDirectories))
        {
            var name = Path.GetFileName(file);
            if (name.EndsWith(".tmp", StringComparison.Ordinal)) { File.Delete(file); continue; }
            if (!name.EndsWith(".seg", StringComparison.Ordinal) || name.Length != 64 + 4) continue;
            try { _lengths[SegmentId.Of(Convert.FromHexString(name[..64]))] = (int)new FileInfo(file).Length; }
            catch (FormatException) { } // not ours
        }
    }

    public int Count => _lengths.Count;

    public long Bytes => _lengths.Values.Sum(v => (long)v);

    public bool Has(SegmentId id) => id == Empty || _lengths.ContainsKey(id);

    public IEnumerable<SegmentId> All => _lengths.Keys;

    /// <summary>Stores a segment's content under its digest (the caller has checked it). Idempotent.</summary>
    public void Write(SegmentId id, ReadOnlySpan<byte> content)
    {
        if (id == Empty || _lengths.ContainsKey(id)) return;
        var path = PathOf(id);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None))
            file.Write(content);
        File.Move(temporary, path, overwrite: true);
        _lengths[id] = content.Length;
    }

    /// <summary>The content length of a stored segment, or −1 if it is not here.</summary>
    public int LengthOf(SegmentId id) => id == Empty ? 0 : _lengths.TryGetValue(id, out int length) ? length : -1;

    /// <summary>Copies a segment's content into <paramref name="destination"/>; returns its length, or −1 if it is not here.</summary>
    public int Read(SegmentId id, Span<byte> destination)
    {
        if (id == Empty) return 0;
        if (!_lengths.TryGetValue(id, out int length)) return -1;
        try
        {
            using var file = File.OpenHandle(PathOf(id), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            int read = RandomAccess.Read(file, destination[..length], 0);
            return read == length ? length : throw new IOException($"segment {id} has {read} bytes, not {length}.");
        }
        catch (FileNotFoundException)
        {
            _lengths.TryRemove(id, out _);
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

    /// <summary>True if the segment is here and its content still has its digest; a damaged one is deleted.</summary>
    public bool Verify(SegmentId id)
    {
        if (id == Empty) return true;
        var content = Read(id);
        if (content is not null && SegmentId.Of(Digest.Of(content)) == id) return true;
        Delete(id);
        return false;
    }

    public void Delete(SegmentId id)
    {
        if (id == Empty) return;
        _lengths.TryRemove(id, out _);
        File.Delete(PathOf(id));
    }

    /// <summary>Deletes every segment not in <paramref name="keep"/>; returns how many went.</summary>
    public int Retain(IReadOnlySet<SegmentId> keep)
    {
        int deleted = 0;
        foreach (var id in _lengths.Keys.Where(id => !keep.Contains(id)).ToArray())
        {
            Delete(id);
            deleted++;
        }
        return deleted;
    }

    private string PathOf(SegmentId id)
    {
        var hex = id.Hex;
        return Path.Combine(Directory, hex[..2], hex + ".seg");
    }
}
