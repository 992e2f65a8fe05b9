using ActorSync.Cluster.Hubs;

namespace ActorSync.Cluster.Tests;

public class LinkShaperTests
{
    private DateTime _now = new(2026, 11, 24, 12, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void Payloads_queue_for_the_link_cross_it_at_the_bandwidth_and_then_take_the_latency()
    {
        var link = new LinkShaper(TimeSpan.FromMilliseconds(20), bytesPerSecond: 1_000_000, () => _now);

        var first = link.DelayFor(100_000);   // 100 ms on the wire + 20 ms
        var second = link.DelayFor(50_000);   // waits for the first: 100 + 50 + 20
        _now += TimeSpan.FromSeconds(1);      // the link has been idle since
        var third = link.DelayFor(10_000);

        Assert.Equal(TimeSpan.FromMilliseconds(120), first);
        Assert.Equal(TimeSpan.FromMilliseconds(170), second);
        Assert.Equal(TimeSpan.FromMilliseconds(30), third);
        Assert.True(link.IsShaped);
    }

    [Fact]
    public void An_unshaped_link_adds_nothing_and_bad_settings_are_named()
    {
        var unshaped = new LinkShaper(TimeSpan.Zero, 0, () => _now);

        Assert.False(unshaped.IsShaped);
        Assert.Equal(TimeSpan.Zero, unshaped.DelayFor(1 << 20));
        Assert.Contains("bytes-per-second", Assert.Throws<ArgumentOutOfRangeException>(() => new LinkShaper(TimeSpan.Zero, -1)).Message);
        Assert.Contains("latency", Assert.Throws<ArgumentOutOfRangeException>(() => new LinkShaper(TimeSpan.FromMilliseconds(-1), 0)).Message);
    }
}
