using ActorSync.Cluster.Nodes;
using ActorSync.Cluster.Protocol;
using ActorSync.Coding;

namespace ActorSync.Cluster.Tests;

/// <summary>The chaos suite's packet faults: each damages exactly what it says, and only the packets it is aimed at.</summary>
public class PacketGremlinTests
{
    private static readonly byte[] Data = Enumerable.Range(0, 64).Select(i => (byte)i).ToArray();
    private static readonly SegmentFrame Batch = new(1, 2, 0, Data.Length, Digest.Of(Data), Data);
    private static readonly XorFrame Xor = XorFrame.From(1, XorSegmentPacket.Create(0, 0, [new(1, 64, Digest.Of(Data)), new(3, 64, Digest.Of(Data[..32]))], Data));
    private static readonly RlncFrame Rlnc = RlncFrame.From(1, RlncSegmentPacket.Create(1, 7, 0, [0, 2, 4], [3, 9, 200], Data));

    private static bool Intact(XorFrame x) => x.ToPacket().IsIntact;

    private static bool Intact(RlncFrame r) => r.ToPacket().IsIntact;

    [Fact]
    public void Flip_changes_one_bit_of_the_payload_and_the_checksum_catches_it()
    {
        var gremlin = new PacketGremlin(seed: 1);
        Assert.Null(gremlin.Arm("flip", 3));

        var batch = (SegmentFrame)gremlin.Pass(Batch).Now.Single();
        var xor = (XorFrame)gremlin.Pass(Xor).Now.Single();
        var rlnc = (RlncFrame)gremlin.Pass(Rlnc).Now.Single();

        int BitsChanged(byte[] a, byte[] b) => a.Zip(b, (x, y) => System.Numerics.BitOperations.PopCount((uint)(x ^ y))).Sum();
        Assert.Equal(1, BitsChanged(Data, batch.Payload));
        Assert.Equal(1, BitsChanged(Data, xor.Payload));
        Assert.False(Intact(xor));
        Assert.False(Intact(rlnc));
        Assert.Equal(3, gremlin.Damaged);
        Assert.Null(gremlin.Fault);
        Assert.Same(Xor, gremlin.Pass(Xor).Now.Single()); // disarmed: packets pass untouched
    }

    [Fact]
    public void Truncate_cuts_the_payload_short()
    {
        var gremlin = new PacketGremlin(seed: 2);
        gremlin.Arm("truncate", 1);

        var rlnc = (RlncFrame)gremlin.Pass(Rlnc).Now.Single();

        Assert.Equal(Data.Length / 2, rlnc.Payload.Length);
        Assert.False(Intact(rlnc));
    }

    [Fact]
    public void Duplicate_delivers_twice_and_reorder_holds_one_back()
    {
        var gremlin = new PacketGremlin(seed: 3);
        gremlin.Arm("duplicate", 1);
        Assert.Equal([Batch, Batch], gremlin.Pass(Batch).Now);

        gremlin.Arm("reorder", 1);
        var (now, hold) = gremlin.Pass(Xor);
        Assert.Empty(now);
        Assert.True(hold);
    }

    [Fact]
    public void Wrong_coefficients_lie_under_a_matching_checksum()
    {
        var gremlin = new PacketGremlin(seed: 4);
        gremlin.Arm("wrong-coefficients", 2);

        var rlnc = (RlncFrame)gremlin.Pass(Rlnc).Now.Single();
        var xor = (XorFrame)gremlin.Pass(Xor).Now.Single();

        Assert.NotEqual(Rlnc.Coefficients, rlnc.Coefficients);
        Assert.DoesNotContain((byte)0, rlnc.Coefficients);
        Assert.True(Intact(rlnc)); // only decoding against the manifest's digests can tell
        Assert.NotEqual(Xor.Terms.Select(t => Convert.ToHexString(t.Digest)), xor.Terms.Select(t => Convert.ToHexString(t.Digest)));
        Assert.True(Intact(xor));
        Assert.Equal(Data, rlnc.Payload);
    }

    [Fact]
    public void A_fault_aimed_at_one_kind_leaves_the_others_alone()
    {
        var gremlin = new PacketGremlin(seed: 5);
        gremlin.Arm("flip", 1, "rlnc");

        Assert.Same(Batch, gremlin.Pass(Batch).Now.Single());
        Assert.Same(Xor, gremlin.Pass(Xor).Now.Single());
        Assert.NotSame(Rlnc, gremlin.Pass(Rlnc).Now.Single());
        Assert.Equal(1, gremlin.Damaged);
    }

    [Theory]
    [InlineData("melt", 1, "any", "'melt' is not a packet fault")]
    [InlineData("flip", 0, "any", "count 0 must be 1 to 1000")]
    [InlineData("flip", 1, "smoke", "'smoke' is not a packet kind")]
    [InlineData("wrong-coefficients", 1, "batch", "a plain batch has no coefficients")]
    public void Arming_refuses_what_it_cannot_do(string fault, int count, string kind, string expected)
    {
        var gremlin = new PacketGremlin(seed: 6);

        Assert.Contains(expected, gremlin.Arm(fault, count, kind));
        Assert.Null(gremlin.Fault);
        Assert.Contains("is not FAULT:COUNT:KIND", gremlin.Arm("flip-2-rlnc"));
        Assert.Null(gremlin.Arm("flip:2:rlnc"));
        Assert.Equal("flip", gremlin.Fault);
    }
}
