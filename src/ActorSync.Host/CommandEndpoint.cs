using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using ActorSync.Control;
using Akka.Event;

namespace ActorSync.Host;

/// <summary>The admin token (every command) and the read-only one (show, list and status; empty: none).</summary>
public sealed record CommandTokens(string Admin, string Read = "");

/// <summary>How many clients the command endpoint serves at once, and how long it waits for a request.</summary>
public sealed record CommandLimits(int MaxConnections, TimeSpan IdleTimeout)
{
    public static readonly CommandLimits Default = new(16, TimeSpan.FromMinutes(10));
}

/// <summary>
/// The pbm-style command endpoint: a TCP port (loopback by default) that answers <see cref="CommandWire"/> requests
/// carrying the right token: the admin token runs every command, the read-only one only those that show
/// (<see cref="CommandHandler.IsReadOnly"/>). Nothing a client sends is held beyond one request line (<see cref="CommandWire.MaxLineBytes"/>):
/// a longer line, or a wrong token, gets one error and the connection is closed. At most
/// <see cref="CommandLimits.MaxConnections"/> clients are served at once; a connection that sends no request for
/// <see cref="CommandLimits.IdleTimeout"/> is closed; a client that goes away cancels the command it started.
/// </summary>
public sealed class CommandEndpoint : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CommandHandler _handler;
    private readonly CommandTokens _tokens;
    private readonly CommandLimits _limits;
    private readonly ILoggingAdapter _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _slots;
    private readonly Task _accepting;
    private int _active;

    public IPEndPoint Bound => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>Connections being served now.</summary>
    public int ActiveConnections => Volatile.Read(ref _active);

    public CommandEndpoint(string host, int port, CommandTokens tokens, CommandHandler handler, ILoggingAdapter log, CommandLimits? limits = null)
    {
        if (tokens.Admin.Length == 0) throw new ArgumentException("the command endpoint needs a token (ACTORSYNC_TOKEN).", nameof(tokens));
        _tokens = tokens;
        _handler = handler;
        _log = log;
        _limits = limits ?? CommandLimits.Default;
        _slots = new SemaphoreSlim(_limits.MaxConnections, _limits.MaxConnections);
        var address = host is "*" or "0.0.0.0" ? IPAddress.Any : IPAddress.TryParse(host, out var ip) ? ip
            : Dns.GetHostAddresses(host).FirstOrDefault() ?? throw new ArgumentException($"actorsync.member.commands.host = '{host}' does not resolve.");
        _listener = new TcpListener(address, port);
        try
        {
            _listener.Start();
        }
        catch (SocketException error)
        {
            throw new InvalidOperationException($"the command endpoint cannot listen on {host}:{port} (actorsync.member.commands.port, ACTORSYNC_COMMAND_PORT): {error.Message}", error);
        }
        _accepting = AcceptAsync();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            if (_slots.Wait(0)) _ = ServeAsync(client);
            else _ = RefuseAsync(client);
        }
    }

    private async Task RefuseAsync(TcpClient client)
    {
        using var _ = client;
        _log.Warning("command endpoint: refused a connection from {0}: {1} clients are connected already (actorsync.member.commands.max-connections)",
            client.Client.RemoteEndPoint?.ToString() ?? "?", _limits.MaxConnections);
        try
        {
            await using var writer = Writer(client.GetStream());
            await SendAsync(writer, Reply.Failure($"busy: {_limits.MaxConnections} clients are connected already; try again later."), Reply.Finished(false));
        }
        catch (Exception error) when (error is IOException or SocketException or ObjectDisposedException)
        {
            // it went away first
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        Interlocked.Increment(ref _active);
        var remote = client.Client.RemoteEndPoint?.ToString() ?? "?";
        using var connection = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        try
        {
            var stream = client.GetStream();
            await using var writer = Writer(stream);
            // One reader per connection, ahead of the commands: it sees the client go away while a command runs.
            var lines = Channel.CreateBounded<string>(1);
            // The client closing its side (or sending a line too long) ends the connection and cancels what it runs.
            _ = ReadLinesAsync(stream, lines.Writer, connection.Token).ContinueWith(_ => CancelQuietly(connection),
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            while (await NextRequestAsync(lines.Reader, connection.Token) is { } line)
            {
                CommandRequest request;
                try
                {
                    request = CommandWire.DecodeRequest(line);
                }
                catch (Exception error) when (error is FormatException or System.Text.Json.JsonException)
                {
                    await SendAsync(writer, Reply.Failure($"not a command request: {error.Message}"), Reply.Finished(false));
                    return;
                }
                bool admin = CommandWire.TokenMatches(_tokens.Admin, request.Token);
                if (!admin && !CommandWire.TokenMatches(_tokens.Read, request.Token))
                {
                    _log.Warning("command endpoint: refused a request with a wrong token from {0}", remote);
                    await SendAsync(writer, Reply.Failure("refused: wrong token (set ACTORSYNC_TOKEN or --token to this cluster's token)."), Reply.Finished(false));
                    return;
                }
                if (!admin && !CommandHandler.IsReadOnly(request.Args))
                {
                    _log.Warning("command endpoint: refused `{0}` from {1}: the read-only token cannot run it", string.Join(' ', request.Args), remote);
                    await SendAsync(writer, Reply.Failure($"refused: `{string.Join(' ', request.Args)}` needs the admin token (ACTORSYNC_TOKEN); this token is read-only."), Reply.Finished(false));
                    continue;
                }
                _log.Info("command from {0}: {1}", remote, string.Join(' ', request.Args));
                await RunAsync(writer, request, connection.Token);
            }
            if (lines.Reader.Completion is { IsFaulted: true, Exception.InnerException: LineTooLongException tooLong })
            {
                _log.Warning("command endpoint: cut the connection from {0}: {1}", remote, tooLong.Message);
                await SendAsync(writer, Reply.Failure($"not a command request: {tooLong.Message}"), Reply.Finished(false));
            }
        }
        catch (Exception error) when (error is IOException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // the client went away, or we are stopping
        }
        finally
        {
            CancelQuietly(connection);
            client.Dispose();
            Interlocked.Decrement(ref _active);
            _slots.Release();
        }
    }

    /// <summary>Request lines into the channel until the client closes, sends a line too long, or the connection ends.</summary>
    private static async Task ReadLinesAsync(Stream stream, ChannelWriter<string> lines, CancellationToken cancellation)
    {
        var reader = new BoundedLineReader(stream, CommandWire.MaxLineBytes);
        try
        {
            while (await reader.ReadLineAsync(cancellation) is { } line) await lines.WriteAsync(line, cancellation);
            lines.TryComplete();
        }
        catch (Exception error)
        {
            lines.TryComplete(error);
        }
    }

    private static void CancelQuietly(CancellationTokenSource source)
    {
        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // the connection is over already
        }
    }

    /// <summary>The next request line; null once the client has gone, sent something unreadable, or stayed idle too long.</summary>
    private async Task<string?> NextRequestAsync(ChannelReader<string> lines, CancellationToken cancellation)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        idle.CancelAfter(_limits.IdleTimeout);
        try
        {
            return await lines.WaitToReadAsync(idle.Token) && lines.TryRead(out var line) ? line : null;
        }
        catch (Exception)
        {
            return null; // idle, gone, stopping, or the reader failed (ServeAsync says why)
        }
    }

    private async Task RunAsync(StreamWriter writer, CommandRequest request, CancellationToken cancellation)
    {
        bool ok = true;
        try
        {
            await foreach (var reply in _handler.RunAsync(request.Args, cancellation))
            {
                ok &= reply.Kind != ReplyKind.Error;
                await writer.WriteLineAsync(CommandWire.Encode(reply));
            }
        }
        catch (Exception error) when (error is not OperationCanceledException && error is not IOException)
        {
            ok = false;
            await writer.WriteLineAsync(CommandWire.Encode(Reply.Failure($"{string.Join(' ', request.Args)} failed: {error.Message}")));
        }
        await writer.WriteLineAsync(CommandWire.Encode(Reply.Finished(ok)));
    }

    private static StreamWriter Writer(Stream stream) => new(stream, new UTF8Encoding(false), leaveOpen: true) { AutoFlush = true, NewLine = "\n" };

    private static async Task SendAsync(StreamWriter writer, params Reply[] replies)
    {
        foreach (var reply in replies) await writer.WriteLineAsync(CommandWire.Encode(reply));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
