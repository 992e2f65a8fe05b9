namespace ActorSync.Cluster.Hubs;

/// <summary>
/// A simulated scarce link (Hub B's source → relay link, for `actorsync-lab eval`): a payload waits until the link is
/// free, takes its size over the bandwidth to cross, then the latency to arrive. Unshaped (both zero) adds nothing.
/// </summary>
public sealed class LinkShaper
{
    private readonly TimeSpan _latency;
    private readonly long _bytesPerSecond;
    private readonly Func<DateTime> _clock;
    private DateTime _freeAt = DateTime.MinValue;

    public LinkShaper(TimeSpan latency, long bytesPerSecond, Func<DateTime>? clock = null)
    {
        if (latency < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(latency), latency, "actorsync.hub.source-link.latency may not be negative.");
        if (bytesPerSecond < 0) throw new ArgumentOutOfRangeException(nameof(bytesPerSecond), bytesPerSecond, "actorsync.hub.source-link.bytes-per-second may not be negative (0: unshaped).");
        _latency = latency;
        _bytesPerSecond = bytesPerSecond;
        _clock = clock ?? (() => DateTime.UtcNow);
    }

    public bool IsShaped => _latency > TimeSpan.Zero || _bytesPerSecond > 0;

    /// <summary>How long from now until a payload of this size, sent now, arrives.</summary>
    public TimeSpan DelayFor(long bytes)
    {
        var now = _clock();
        var start = _freeAt > now ? _freeAt : now;
        _freeAt = start + (_bytesPerSecond > 0 ? TimeSpan.FromSeconds((double)bytes / _bytesPerSecond) : TimeSpan.Zero);
        return _freeAt + _latency - now;
    }
}
