using ActorSync.Cluster.Protocol;
using ActorSync.Coding;

namespace ActorSync.Cluster.Nodes;

/// <summary>
/// What a node holds, as a pure state built by applying its journal's events (<see cref="Apply"/>), in the style of an
/// event-sourced aggregate: the current dataset's manifest and catalog and which of its segments are held, and the
/// segments of a newer dataset that arrived before its manifest. The segment bytes are in the
/// <see cref="SegmentStore"/>; this is the metadata that says which of them belong to what. Knows nothing of actors.
/// </summary>
public sealed class NodeCache
{
    private readonly Dictionary<(int Batch, int Index), SegmentId> _held = new();
    private readonly Dictionary<(int Batch, int Index), StoredSegment> _pending = new();
    private readonly Dictionary<SegmentId, (SegmentLocation Location, int Length)> _locations = new();

    public long Dataset { get; private set; }

    public BatchManifest? Manifest { get; private set; }

    public byte[] Catalog { get; private set; } = [];

    /// <summary>The newer dataset whose segments are arriving before its manifest (0 if none).</summary>
    public long PendingDataset { get; private set; }

    public int HeldCount => _held.Count;

    public int PendingCount => _pending.Count;

    /// <summary>The segments of <see cref="PendingDataset"/> that arrived so far.</summary>
    public IEnumerable<StoredSegment> Pending => _pending.Values;

    public void Apply(INodeEvent @event)
    {
        switch (@event)
        {
            case ManifestCached cached: Install(cached.Dataset, BatchManifest.Decode(cached.Manifest), cached.Catalog); break;
            case SegmentsStored stored: Store(stored.Dataset, stored.Segments); break;
            case CacheCleared: Clear(); break;
            case NodeCacheSnapshot snapshot: Restore(snapshot); break;
            case LegacyJournalEntry: break; // the format before segments: nothing usable, repair refills
        }
    }

    /// <summary>Whether segment i of batch b of the current dataset is held (a padding segment is, once its batch's content is).</summary>
    public bool Holds(int batch, int index) =>
        Manifest is { } m && (index >= m.Batches[batch].SegmentDigests.Count || _held.ContainsKey((batch, index)));

    /// <summary>Batches of the current dataset held whole, and those held in part.</summary>
    public (int[] Whole, int[] Partial) Batches()
    {
        if (Manifest is not { } manifest) return ([], []);
        var whole = new List<int>();
        var partial = new List<int>();
        for (int b = 0; b < manifest.BatchCount; b++)
        {
            int held = 0, content = manifest.Batches[b].SegmentDigests.Count;
            for (int i = 0; i < content; i++) if (_held.ContainsKey((b, i))) held++;
            if (held == content) whole.Add(b);
            else if (held > 0) partial.Add(b);
        }
        return (whole.ToArray(), partial.ToArray());
    }

    public bool HoldsWhole(int batch) =>
        Manifest is { } m && Enumerable.Range(0, m.Batches[batch].SegmentDigests.Count).All(i => _held.ContainsKey((batch, i)));

    /// <summary>The segment at (batch, index) of the current dataset, whether held or not (padding: the empty digest).</summary>
    public SegmentId IdOf(int batch, int index) => SegmentId.Of(Manifest!.SegmentDigest(batch, index) ?? Digest.Empty);

    /// <summary>Where the journal says each held or pending segment lies in the store, for a restarted node's store to take back.</summary>
    public IEnumerable<(SegmentId Id, SegmentLocation Location, int Length)> Locations =>
        Referenced().Where(_locations.ContainsKey).Select(id => (id, _locations[id].Location, _locations[id].Length));

    /// <summary>The segments the store must keep: those held, and those of the dataset still arriving.</summary>
    public IReadOnlySet<SegmentId> Referenced() =>
        _held.Values.Concat(_pending.Values.Select(p => SegmentId.Of(p.Digest))).ToHashSet();

    /// <summary>Forgets segments whose bytes turned out missing or damaged (the start-up check): repair refills them.</summary>
    public int Drop(IReadOnlySet<SegmentId> lost)
    {
        foreach (var id in lost) _locations.Remove(id);
        int before = _held.Count + _pending.Count;
        foreach (var key in _held.Where(h => lost.Contains(h.Value)).Select(h => h.Key).ToArray()) _held.Remove(key);
        foreach (var key in _pending.Where(p => lost.Contains(SegmentId.Of(p.Value.Digest))).Select(p => p.Key).ToArray()) _pending.Remove(key);
        return before - _held.Count - _pending.Count;
    }

    public NodeCacheSnapshot ToSnapshot() => new(Dataset, Manifest?.Encode() ?? [], Catalog,
        _held.OrderBy(h => h.Key).Select(h =>
        {
            var (location, length) = _locations.GetValueOrDefault(h.Value);
            return new StoredSegment(h.Key.Batch, h.Key.Index, length, h.Value.ToBytes(), location.Pack, location.Offset);
        }).ToArray(),
        PendingDataset, _pending.Values.OrderBy(p => (p.Batch, p.Index)).ToArray());

    /// <summary>
    /// A newer dataset keeps every segment it lists that the node held of the last one or received for it already (an
    /// incremental cycle moves only the changed segments); the rest are no longer the node's.
    /// </summary>
    private void Install(long dataset, BatchManifest manifest, byte[] catalog)
    {
        if (dataset < Dataset) return;
        var available = _held.Values.ToHashSet();
        if (PendingDataset == dataset) foreach (var p in _pending.Values) available.Add(SegmentId.Of(p.Digest));
        _held.Clear();
        for (int b = 0; b < manifest.BatchCount; b++)
            for (int i = 0; i < manifest.Batches[b].SegmentDigests.Count; i++)
            {
                var id = SegmentId.Of(manifest.Batches[b].SegmentDigests[i]);
                if (available.Contains(id)) _held[(b, i)] = id;
            }
        if (PendingDataset <= dataset)
        {
            _pending.Clear();
            PendingDataset = 0;
        }
        Dataset = dataset;
        Manifest = manifest;
        Catalog = catalog;
        ForgetUnreferencedLocations();
    }

    private void ForgetUnreferencedLocations()
    {
        var referenced = Referenced();
        foreach (var id in _locations.Keys.Where(id => !referenced.Contains(id)).ToArray()) _locations.Remove(id);
    }

    private void Store(long dataset, StoredSegment[] segments)
    {
        foreach (var s in segments) _locations[SegmentId.Of(s.Digest)] = (new SegmentLocation(s.Pack, s.Offset), s.Length);
        if (dataset == Dataset && Manifest is { } manifest)
        {
            foreach (var s in segments)
                if ((uint)s.Batch < (uint)manifest.BatchCount && manifest.SegmentDigest(s.Batch, s.Index) is { } digest && digest.AsSpan().SequenceEqual(s.Digest))
                    _held[(s.Batch, s.Index)] = SegmentId.Of(s.Digest);
            return;
        }
        if (dataset < Dataset || dataset < PendingDataset) return;
        if (dataset > PendingDataset)
        {
            _pending.Clear();
            PendingDataset = dataset;
        }
        foreach (var s in segments) _pending[(s.Batch, s.Index)] = s;
    }

    private void Clear()
    {
        _held.Clear();
        _pending.Clear();
        _locations.Clear();
        PendingDataset = 0;
    }

    private void Restore(NodeCacheSnapshot snapshot)
    {
        Clear();
        Dataset = snapshot.Dataset;
        Manifest = snapshot.Manifest.Length == 0 ? null : BatchManifest.Decode(snapshot.Manifest);
        Catalog = snapshot.Catalog;
        foreach (var h in snapshot.Held)
        {
            _held[(h.Batch, h.Index)] = SegmentId.Of(h.Digest);
            _locations[SegmentId.Of(h.Digest)] = (new SegmentLocation(h.Pack, h.Offset), h.Length);
        }
        PendingDataset = snapshot.PendingDataset;
        foreach (var p in snapshot.Pending)
        {
            _pending[(p.Batch, p.Index)] = p;
            _locations[SegmentId.Of(p.Digest)] = (new SegmentLocation(p.Pack, p.Offset), p.Length);
        }
    }
}
