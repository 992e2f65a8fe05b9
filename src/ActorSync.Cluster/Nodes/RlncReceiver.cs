using ActorSync.Cluster.Protocol;
using ActorSync.Coding;
using ActorSync.Coding.Kernels;
using Microsoft.Win32.SafeHandles;

namespace ActorSync.Cluster.Nodes;

/// <summary>What one round of RLNC packets left: batches decoded and kept, still undetermined, and failing their digests.</summary>
public sealed record RecoveryResult(int[] Decoded, int[] Undetermined, int[] FailedVerification, int Rank, int Unknowns);

/// <summary>
/// A node's side of source-down recovery, segment by segment and bounded in memory. Every batch the node does not hold
/// whole is unknown. The first segment of each packet decides, from its coefficients, whether the packet adds rank
/// (<see cref="RlncSystem"/>); each segment of an innovative packet has the known batches subtracted and is spilled
/// to disk by (slot, index). <see cref="Solve"/> then combines, index by index, the spilled segments into every batch
/// the packets determine, checks each segment against the manifest and hands it on to be stored. Memory holds one
/// segment index's worth of slots at a time. Knows nothing of actors.
/// </summary>
public sealed class RlncReceiver : IDisposable
{
    private readonly BatchManifest _manifest;
    private readonly IReadOnlySet<int> _whole;
    private readonly SegmentStore _store;
    private readonly GfKernel _kernel = GfKernels.Best;
    private readonly RlncSystem _system;
    private readonly Dictionary<(int Sender, int Sequence), int> _slots = new();
    private readonly List<SafeFileHandle> _spill = [];
    private readonly List<bool[]> _present = [];
    private readonly string _spillPrefix;

    public RlncReceiver(BatchManifest manifest, IReadOnlySet<int> whole, SegmentStore store)
    {
        _manifest = manifest;
        _whole = whole;
        _store = store;
        _system = new RlncSystem(Enumerable.Range(0, manifest.BatchCount).Where(b => !whole.Contains(b)), _kernel);
        _spillPrefix = Path.Combine(store.SpillDirectory, Guid.NewGuid().ToString("N")[..8]);
    }

    public int Rank => _system.Rank;

    public int Unknowns => _system.Unknowns;

    public bool IsFullRank => _system.IsFullRank;

    /// <summary>Takes one segment of an RLNC packet; returns why it was not used, or null.</summary>
    public string? Accept(RlncSegmentPacket packet)
    {
        if (!packet.IsIntact) return $"segment {packet.Index} of RLNC packet {packet.Sequence} from node {packet.Sender + 1} fails its checksum.";
        if ((uint)packet.Index >= (uint)_manifest.SegmentCount || packet.Payload.Length != _manifest.PaddedLength(packet.Index))
            return $"segment {packet.Index} of an RLNC packet from node {packet.Sender + 1} has {packet.Payload.Length} bytes; segment {packet.Index} here has {(_manifest.SegmentCount > packet.Index ? _manifest.PaddedLength(packet.Index) : 0)}.";
        if (packet.BatchIds.Length != packet.Coefficients.Length || packet.BatchIds.Distinct().Count() != packet.BatchIds.Length
            || packet.BatchIds.Any(b => (uint)b >= (uint)_manifest.BatchCount))
            return $"an RLNC packet from node {packet.Sender + 1} names batches outside the dataset, or twice.";
        var key = (packet.Sender, packet.Sequence);
        if (!_slots.TryGetValue(key, out int slot)) _slots[key] = slot = _system.Offer(packet.BatchIds, packet.Coefficients);
        if (slot < 0) return null; // adds no rank: nothing to keep
        var payload = packet.Payload.AsSpan();
        var scratch = new byte[payload.Length];
        for (int k = 0; k < packet.BatchIds.Length; k++)
        {
            int batch = packet.BatchIds[k];
            if (!_whole.Contains(batch)) continue;
            int length = _store.Read(SegmentId.Of(_manifest.SegmentDigest(batch, packet.Index) ?? Digest.Empty), scratch);
            if (length < 0) return $"batch B{batch + 1} was held here but its segment {packet.Index} is gone.";
            _kernel.MulAdd(packet.Coefficients[k], scratch.AsSpan(0, length), payload[..length]);
        }
        while (_spill.Count <= slot)
        {
            _spill.Add(File.OpenHandle($"{_spillPrefix}-{_spill.Count}.tmp", FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, FileOptions.DeleteOnClose));
            _present.Add(new bool[_manifest.SegmentCount]);
        }
        RandomAccess.Write(_spill[slot], payload, _manifest.Layout.OffsetOf(packet.Index));
        _present[slot][packet.Index] = true;
        return null;
    }

    /// <summary>Solves every batch the packets determine; <paramref name="keep"/> stores each verified segment.</summary>
    public RecoveryResult Solve(Action<StoredSegment, ReadOnlySpan<byte>> keep)
    {
        var rows = _system.Determined();
        var decoded = new List<int>();
        var failed = new List<int>();
        var incomplete = new List<int>();
        var slotBuffer = new byte[_manifest.Layout.Size];
        for (int r = 0; r < rows.Count; r++)
        {
            var (batch, makeUp) = rows[r];
            bool ok = true, wrong = false;
            for (int index = 0; index < _manifest.SegmentCount && ok; index++)
            {
                int padded = _manifest.PaddedLength(index);
                var output = new byte[padded];
                for (int slot = 0; slot < Rank && ok; slot++)
                {
                    if (makeUp[slot] == 0) continue;
                    if (!_present[slot][index]) { ok = false; break; }
                    RandomAccess.Read(_spill[slot], slotBuffer.AsSpan(0, padded), _manifest.Layout.OffsetOf(index));
                    _kernel.MulAdd(makeUp[slot], slotBuffer.AsSpan(0, padded), output);
                }
                if (!ok) break;
                if (!_manifest.VerifyPadded(batch, index, output)) { ok = false; wrong = true; break; }
                int length = _manifest.ContentLength(batch, index);
                if (length > 0) keep(new StoredSegment(batch, index, length, _manifest.SegmentDigest(batch, index)!, 0, 0), output.AsSpan(0, length));
            }
            (ok ? decoded : wrong ? failed : incomplete).Add(batch);
        }
        return new([.. decoded.Order()], [.. _system.UndeterminedBatches.Concat(incomplete).Order()], [.. failed.Order()], Rank, Unknowns);
    }

    public void Dispose()
    {
        foreach (var file in _spill) file.Dispose();
        _spill.Clear();
    }
}
