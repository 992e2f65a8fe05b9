using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace ActorSync.Binlog;

/// <summary>
/// The client side of the connection phase (protocol 10, HandshakeResponse41): <c>mysql_native_password</c>, and the
/// fast path of <c>caching_sha2_password</c>, including an auth-switch request from the server.
/// </summary>
internal static class Handshake
{
    private const uint LongPassword = 1, LongFlag = 4, ConnectWithDb = 8, Protocol41 = 0x200, Transactions = 0x2000,
        SecureConnection = 0x8000, MultiResults = 0x20000, PluginAuth = 0x80000, PluginAuthLenencData = 0x200000;

    public static async Task<string> RunAsync(PacketChannel channel, string user, string password, CancellationToken cancellation)
    {
        var greeting = await channel.ReadAsync(cancellation);
        PacketChannel.ThrowIfError(greeting, "connecting");
        var (serverVersion, scramble, plugin) = ParseGreeting(greeting);

        var response = new List<byte>(128);
        uint capabilities = LongPassword | LongFlag | Protocol41 | Transactions | SecureConnection | MultiResults | PluginAuth | PluginAuthLenencData;
        Span<byte> fixedPart = stackalloc byte[32];
        BinaryPrimitives.WriteUInt32LittleEndian(fixedPart, capabilities);
        BinaryPrimitives.WriteUInt32LittleEndian(fixedPart[4..], 1 << 24);
        fixedPart[8] = 45; // utf8mb4_general_ci
        response.AddRange(fixedPart.ToArray());
        response.AddRange(Encoding.UTF8.GetBytes(user));
        response.Add(0);
        var auth = Scramble(plugin, password, scramble);
        response.Add((byte)auth.Length);
        response.AddRange(auth);
        response.AddRange(Encoding.ASCII.GetBytes(plugin));
        response.Add(0);
        await channel.WriteAsync(response.ToArray(), cancellation);

        while (true)
        {
            var reply = await channel.ReadAsync(cancellation);
            PacketChannel.ThrowIfError(reply, $"logging in as {user}");
            switch (reply[0])
            {
                case 0x00: return serverVersion;
                case 0xFE: // auth switch: plugin name, then its scramble
                    int end = Array.IndexOf(reply, (byte)0, 1);
                    plugin = Encoding.ASCII.GetString(reply, 1, end - 1);
                    scramble = reply.AsSpan(end + 1).ToArray();
                    if (scramble.Length > 0 && scramble[^1] == 0) scramble = scramble[..^1];
                    await channel.WriteAsync(Scramble(plugin, password, scramble), cancellation);
                    break;
                case 0x01 when reply.Length >= 2 && reply[1] == 3: break; // caching_sha2: fast auth succeeded, OK follows
                case 0x01 when reply.Length >= 2 && reply[1] == 4:
                    throw new BinlogException($"logging in as {user}: the server wants caching_sha2_password's full authentication, which " +
                        "needs TLS; use a replication user IDENTIFIED WITH mysql_native_password, or log in once with the mysql client so the server caches it.");
                default: throw new BinlogException($"logging in as {user}: unexpected reply 0x{reply[0]:x2} during authentication.");
            }
        }
    }

    private static (string Version, byte[] Scramble, string Plugin) ParseGreeting(byte[] packet)
    {
        if (packet[0] != 10) throw new BinlogException($"the server speaks protocol {packet[0]}, not MySQL protocol 10.");
        int at = 1;
        int nul = Array.IndexOf(packet, (byte)0, at);
        string version = Encoding.ASCII.GetString(packet, at, nul - at);
        at = nul + 1 + 4; // connection id
        var scramble = new List<byte>(packet.AsSpan(at, 8).ToArray());
        at += 8 + 1;
        uint capabilities = BinaryPrimitives.ReadUInt16LittleEndian(packet.AsSpan(at));
        at += 2 + 1 + 2;
        capabilities |= (uint)BinaryPrimitives.ReadUInt16LittleEndian(packet.AsSpan(at)) << 16;
        at += 2;
        int authLength = packet[at];
        at += 1 + 10;
        if ((capabilities & SecureConnection) != 0)
        {
            int part2 = Math.Max(13, authLength - 8);
            scramble.AddRange(packet.AsSpan(at, part2 - 1).ToArray()); // the last byte is a NUL
            at += part2;
        }
        string plugin = "mysql_native_password";
        if ((capabilities & PluginAuth) != 0 && at < packet.Length)
        {
            nul = Array.IndexOf(packet, (byte)0, at);
            plugin = Encoding.ASCII.GetString(packet, at, (nul < 0 ? packet.Length : nul) - at);
        }
        return (version, scramble.ToArray(), plugin);
    }

    private static byte[] Scramble(string plugin, string password, byte[] scramble)
    {
        if (password.Length == 0) return [];
        var secret = Encoding.UTF8.GetBytes(password);
        switch (plugin)
        {
            case "mysql_native_password":
            {
                // SHA1(password) XOR SHA1(scramble + SHA1(SHA1(password)))
                var once = SHA1.HashData(secret);
                var twice = SHA1.HashData(once);
                var mix = SHA1.HashData([.. scramble.AsSpan(0, Math.Min(20, scramble.Length)), .. twice]);
                for (int i = 0; i < once.Length; i++) once[i] ^= mix[i];
                return once;
            }
            case "caching_sha2_password":
            {
                // SHA256(password) XOR SHA256(SHA256(SHA256(password)) + scramble)
                var once = SHA256.HashData(secret);
                var twice = SHA256.HashData(once);
                var mix = SHA256.HashData([.. twice, .. scramble.AsSpan(0, Math.Min(20, scramble.Length))]);
                for (int i = 0; i < once.Length; i++) once[i] ^= mix[i];
                return once;
            }
            default:
                throw new BinlogException($"the server asks for authentication plugin '{plugin}', which the binlog reader does not speak " +
                    "(mysql_native_password and caching_sha2_password are supported); give the replication user one of those.");
        }
    }
}
