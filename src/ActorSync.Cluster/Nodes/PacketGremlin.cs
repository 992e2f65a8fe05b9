using ActorSync.Cluster.Protocol;
using ActorSync.Coding;

namespace ActorSync.Cluster.Nodes;

/// <summary>
/// Chaos testing's packet faults at a node's ingress (actorsync.chaos.enabled; off in production). Armed with a fault
/// and a count, it damages that many of the next packets (batches, XOR and RLNC packets) as the network or a lying
/// peer might, so the chaos suite can check that the node rejects or survives each and the cycle still ends complete.
/// </summary>
public sealed class PacketGremlin(int seed)
{
    /// <summary>What each fault does to a packet.</summary>
    public static readonly IReadOnlyDictionary<string, string> Faults = new Dictionary<string, string>
    {
        ["flip"] = "one payload byte flipped",
        ["truncate"] = "the payload cut short",
        ["duplicate"] = "delivered twice",
        ["reorder"] = "held back and delivered after the next packet",
        ["wrong-coefficients"] = "a lying peer: other coefficients (RLNC) or batches (XOR) under a matching checksum",
    };

    /// <summary>The frame kinds a fault can be aimed at: batch segments, XOR delivery, RLNC recovery.</summary>
    public static readonly string[] Kinds = ["any", "batch", "xor", "rlnc"];

    private readonly Random _random = new(seed);
    private string? _fault;
    private string _kind = "any";
    private int _remaining;

    public string? Fault => _remaining > 0 ? _fault : null;

    public int Remaining => _remaining;

    /// <summary>Packets damaged since the node started.</summary>
    public int Damaged { get; private set; }

    /// <summary>Arms the fault for the next <paramref name="count"/> packets; returns why not, or null.</summary>
    public string? Arm(string fault, int count, string kind = "any")
    {
        if (!Faults.ContainsKey(fault)) return $"'{fault}' is not a packet fault; one of: {string.Join(", ", Faults.Keys)}.";
        if (count is < 1 or > 1000) return $"count {count} must be 1 to 1000.";
        if (!Kinds.Contains(kind)) return $"'{kind}' is not a packet kind; one of: {string.Join(", ", Kinds)}.";
        if (fault == "wrong-coefficients" && kind == "batch") return "a plain batch has no coefficients: aim wrong-coefficients at xor or rlnc packets.";
        _fault = fault;
        _remaining = count;
        _kind = kind;
        return null;
    }

    /// <summary>Arms from a "fault:count:kind" setting (actorsync.chaos.arm-on-start), so a node can be damaged from its first packet after a restart.</summary>
    public string? Arm(string setting)
    {
        var parts = setting.Split(':');
        return parts.Length == 3 && int.TryParse(parts[1], out int count) ? Arm(parts[0], count, parts[2])
            : $"'{setting}' is not FAULT:COUNT:KIND, e.g. flip:2:rlnc.";
    }

    public static bool IsPacket(object message) => message is SegmentFrame or XorFrame or RlncFrame;

    private bool Aimed(object packet) => _kind switch
    {
        "batch" => packet is SegmentFrame,
        "xor" => packet is XorFrame,
        "rlnc" => packet is RlncFrame,
        _ => IsPacket(packet),
    };

    /// <summary>
    /// What reaches the node instead of <paramref name="packet"/>: the packets to handle now, in order, and whether it
    /// is to be held back (reorder) until the next one arrives.
    /// </summary>
    public (IReadOnlyList<object> Now, bool Hold) Pass(object packet)
    {
        if (_remaining <= 0 || !Aimed(packet)) return ([packet], false);
        object? damaged = _fault switch
        {
            "flip" => Flip(packet),
            "truncate" => Truncate(packet),
            "wrong-coefficients" => Lie(packet),
            _ => packet,
        };
        if (damaged is null) return ([packet], false); // the fault does not apply to this kind of packet
        _remaining--;
        Damaged++;
        return _fault switch
        {
            "duplicate" => ([packet, packet], false),
            "reorder" => ([], true),
            _ => ([damaged], false),
        };
    }

    private object Flip(object packet)
    {
        byte[] Flipped(byte[] data)
        {
            var copy = data.ToArray();
            if (copy.Length > 0) copy[_random.Next(copy.Length)] ^= (byte)(1 << _random.Next(8));
            return copy;
        }
        return packet switch
        {
            SegmentFrame b => b with { Payload = Flipped(b.Payload) },
            XorFrame x => x with { Payload = Flipped(x.Payload) },
            RlncFrame r => r with { Payload = Flipped(r.Payload) },
            _ => packet,
        };
    }

    private object Truncate(object packet)
    {
        byte[] Cut(byte[] data) => data[..(data.Length / 2)];
        return packet switch
        {
            SegmentFrame b => b with { Payload = Cut(b.Payload) },
            XorFrame x => x with { Payload = Cut(x.Payload) },
            RlncFrame r => r with { Payload = Cut(r.Payload) },
            _ => packet,
        };
    }

    /// <summary>Consistent but false: the checksum is recomputed, so only decoding against the manifest's digests can tell.</summary>
    private object? Lie(object packet)
    {
        switch (packet)
        {
            case RlncFrame r when r.Coefficients.Length > 0:
            {
                var coefficients = r.Coefficients.ToArray();
                int at = _random.Next(coefficients.Length);
                coefficients[at] = (byte)(coefficients[at] % 255 + 1); // still nonzero, but not what was encoded
                return RlncFrame.From(r.Dataset, RlncSegmentPacket.Create(r.Sender, r.Sequence, r.Index, r.BatchIds, coefficients, r.Payload));
            }
            case XorFrame x when x.Terms.Length > 0:
            {
                // Another term's digest in one place: a consistent packet that decodes to something wrong.
                var terms = x.Terms.ToArray();
                int at = _random.Next(terms.Length);
                var digest = terms[at].Digest.ToArray();
                digest[0] ^= 0x5A;
                terms[at] = terms[at] with { Digest = digest };
                return XorFrame.From(x.Dataset, XorSegmentPacket.Create(x.Packet, x.Index, terms, x.Payload));
            }
            default:
                return null; // a plain batch has no coefficients to lie about
        }
    }
}
