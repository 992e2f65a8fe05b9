using System.Buffers.Binary;

namespace ActorSync.Binlog;

/// <summary>
/// MySQL client/server packets over a stream: a 3-byte little-endian length and a sequence number, then the payload;
/// a payload of 16 MiB − 1 or more continues in the next packet.
/// </summary>
internal sealed class PacketChannel(Stream stream)
{
    private const int MaxChunk = 0xFFFFFF;
    private readonly byte[] _header = new byte[4];
    private byte _sequence;

    public void ResetSequence() => _sequence = 0;

    public async Task<byte[]> ReadAsync(CancellationToken cancellation)
    {
        byte[]? whole = null;
        while (true)
        {
            await stream.ReadExactlyAsync(_header, cancellation);
            int length = _header[0] | _header[1] << 8 | _header[2] << 16;
            _sequence = (byte)(_header[3] + 1);
            var chunk = new byte[length];
            await stream.ReadExactlyAsync(chunk, cancellation);
            if (whole is null) whole = chunk;
            else
            {
                var joined = new byte[whole.Length + chunk.Length];
                whole.CopyTo(joined, 0);
                chunk.CopyTo(joined, whole.Length);
                whole = joined;
            }
            if (length < MaxChunk) return whole;
        }
    }

    public async Task WriteAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellation)
    {
        int offset = 0;
        do
        {
            int length = Math.Min(MaxChunk, payload.Length - offset);
            var packet = new byte[4 + length];
            packet[0] = (byte)length;
            packet[1] = (byte)(length >> 8);
            packet[2] = (byte)(length >> 16);
            packet[3] = _sequence++;
            payload.Span.Slice(offset, length).CopyTo(packet.AsSpan(4));
            await stream.WriteAsync(packet, cancellation);
            offset += length;
            if (length == MaxChunk && offset == payload.Length) { await WriteEmptyAsync(cancellation); break; }
        } while (offset < payload.Length);
        await stream.FlushAsync(cancellation);
    }

    private Task WriteEmptyAsync(CancellationToken cancellation)
    {
        var packet = new byte[] { 0, 0, 0, _sequence++ };
        return stream.WriteAsync(packet, cancellation).AsTask();
    }

    /// <summary>Throws the server's error if <paramref name="packet"/> is an ERR packet.</summary>
    public static void ThrowIfError(byte[] packet, string during)
    {
        if (packet.Length == 0 || packet[0] != 0xFF) return;
        int code = packet.Length >= 3 ? BinaryPrimitives.ReadUInt16LittleEndian(packet.AsSpan(1)) : 0;
        int text = packet.Length > 3 && packet[3] == (byte)'#' ? 9 : 3;
        string message = packet.Length > text ? System.Text.Encoding.UTF8.GetString(packet, text, packet.Length - text) : "";
        // 1236: ER_MASTER_FATAL_ERROR_READING_BINLOG, e.g. "Could not find first log file name in binary log index file".
        if (code == 1236) throw new BinlogPurgedException($"{during}: the server cannot serve that binlog position (error 1236: {message})");
        throw new BinlogException($"{during}: the server answered error {code}: {message}") { ServerError = code };
    }
}
