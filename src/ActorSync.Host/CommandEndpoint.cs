using System.Net;
using System.Net.Sockets;
using System.Text;
using ActorSync.Control;
using Akka.Event;

namespace ActorSync.Host;

/// <summary>
/// The pbm-style command endpoint: a TCP port (loopback by default) that answers <see cref="CommandWire"/> requests
/// carrying the right token. A request with a wrong token gets one error and the connection is closed.
/// </summary>
public sealed class CommandEndpoint : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CommandHandler _handler;
    private readonly string _token;
    private readonly ILoggingAdapter _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public IPEndPoint Bound => (IPEndPoint)_listener.LocalEndpoint;

    public CommandEndpoint(string host, int port, string token, CommandHandler handler, ILoggingAdapter log)
    {
        if (token.Length == 0) throw new ArgumentException("the command endpoint needs a token (ACTORSYNC_TOKEN).", nameof(token));
        _token = token;
        _handler = handler;
        _log = log;
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
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        var remote = client.Client.RemoteEndPoint?.ToString() ?? "?";
        try
        {
            var stream = client.GetStream();
            using var reader = new StreamReader(stream, new UTF8Encoding(false));
            await using var writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
            using var closed = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            while (await reader.ReadLineAsync(closed.Token) is { } line)
            {
                CommandRequest request;
                try
                {
                    if (line.Length > CommandWire.MaxLineBytes) throw new FormatException("the request line is too long.");
                    request = CommandWire.DecodeRequest(line);
                }
                catch (Exception error) when (error is FormatException or System.Text.Json.JsonException)
                {
                    await SendAsync(writer, Reply.Failure($"not a command request: {error.Message}"), Reply.Finished(false));
                    return;
                }
                if (!CommandWire.TokenMatches(_token, request.Token))
                {
                    _log.Warning("command endpoint: refused a request with a wrong token from {0}", remote);
                    await SendAsync(writer, Reply.Failure("refused: wrong token (set ACTORSYNC_TOKEN or --token to this cluster's token)."), Reply.Finished(false));
                    return;
                }
                _log.Info("command from {0}: {1}", remote, string.Join(' ', request.Args));
                bool ok = true;
                try
                {
                    await foreach (var reply in _handler.RunAsync(request.Args, closed.Token))
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
        }
        catch (Exception error) when (error is IOException or OperationCanceledException or SocketException)
        {
            // the client went away, or we are stopping
        }
    }

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
