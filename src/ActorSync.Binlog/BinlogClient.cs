using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace ActorSync.Binlog;

/// <summary>Where and how to follow a server's binlog.</summary>
/// <param name="ServerId">This reader's replica id: unique among the server's replicas, or the server drops the older one.</param>
/// <param name="HeartbeatPeriod">How often an idle server says it is alive; a read waits 4 periods before giving up on it.</param>
public sealed record BinlogOptions(string Host, int Port, string User, string Password, uint ServerId, bool Checksummed, TimeSpan HeartbeatPeriod);

/// <summary>
/// One replication connection: logs in, asks for the binlog from a position (COM_BINLOG_DUMP) and reads its events
/// one at a time. The server pushes events as they are committed; <see cref="ReadAsync"/> waits for the next.
/// Not thread-safe; dispose to disconnect.
/// </summary>
public sealed class BinlogClient : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly PacketChannel _channel;
    private readonly BinlogOptions _options;
    private EventParser _parser = new(false, "");

    private BinlogClient(TcpClient tcp, BinlogOptions options)
    {
        _tcp = tcp;
        _options = options;
        _channel = new PacketChannel(tcp.GetStream());
    }

    public string ServerVersion { get; private set; } = "";

    public static async Task<BinlogClient> ConnectAsync(BinlogOptions options, CancellationToken cancellation = default)
    {
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            await tcp.ConnectAsync(options.Host, options.Port, cancellation);
        }
        catch (SocketException error)
        {
            tcp.Dispose();
            throw new BinlogException($"cannot reach the binlog at {options.Host}:{options.Port}: {error.Message}", error);
        }
        var client = new BinlogClient(tcp, options);
        try
        {
            client.ServerVersion = await Handshake.RunAsync(client._channel, options.User, options.Password, cancellation);
            // Say we handle checksums as the server writes them, want MariaDB's GTID events, and a heartbeat when idle.
            await client.QueryAsync(options.Checksummed ? "SET @master_binlog_checksum = 'CRC32'" : "SET @master_binlog_checksum = 'NONE'", cancellation);
            await client.QueryAsync("SET @mariadb_slave_capability = 4", cancellation);
            long nanos = (long)options.HeartbeatPeriod.TotalMilliseconds * 1_000_000;
            await client.QueryAsync($"SET @master_heartbeat_period = {nanos}", cancellation);
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    private async Task QueryAsync(string sql, CancellationToken cancellation)
    {
        _channel.ResetSequence();
        await _channel.WriteAsync(new byte[] { 0x03 }.Concat(Encoding.UTF8.GetBytes(sql)).ToArray(), cancellation);
        var reply = await _channel.ReadAsync(cancellation);
        PacketChannel.ThrowIfError(reply, sql);
    }

    /// <summary>Asks for the binlog from <paramref name="from"/>; events follow through <see cref="ReadAsync"/>.</summary>
    public async Task StartAsync(BinlogPosition from, CancellationToken cancellation = default)
    {
        var file = Encoding.UTF8.GetBytes(from.File);
        var command = new byte[11 + file.Length];
        command[0] = 0x12; // COM_BINLOG_DUMP
        BinaryPrimitives.WriteUInt32LittleEndian(command.AsSpan(1), checked((uint)from.Offset));
        BinaryPrimitives.WriteUInt16LittleEndian(command.AsSpan(5), 0); // block and wait for new events
        BinaryPrimitives.WriteUInt32LittleEndian(command.AsSpan(7), _options.ServerId);
        file.CopyTo(command, 11);
        _channel.ResetSequence();
        await _channel.WriteAsync(command, cancellation);
        _parser = new EventParser(_options.Checksummed, from.File);
    }

    /// <summary>The next event; throws if the server reports an error, ends the stream, or stays silent past 4 heartbeats.</summary>
    public async Task<BinlogEvent> ReadAsync(CancellationToken cancellation = default)
    {
        using var silence = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        silence.CancelAfter(_options.HeartbeatPeriod * 4);
        byte[] packet;
        try
        {
            packet = await _channel.ReadAsync(silence.Token);
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            throw new BinlogException($"the binlog at {_options.Host}:{_options.Port} sent nothing, not even a heartbeat, for {(_options.HeartbeatPeriod * 4).TotalSeconds:0.#} s.");
        }
        catch (Exception error) when (error is IOException or SocketException or EndOfStreamException)
        {
            throw new BinlogException($"the binlog connection to {_options.Host}:{_options.Port} was lost: {error.Message}", error);
        }
        PacketChannel.ThrowIfError(packet, "reading the binlog");
        if (packet[0] == 0xFE && packet.Length < 9) throw new BinlogException("the server ended the binlog stream.");
        return _parser.Parse(packet.AsSpan(1));
    }

    public ValueTask DisposeAsync()
    {
        _tcp.Dispose();
        return ValueTask.CompletedTask;
    }
}
