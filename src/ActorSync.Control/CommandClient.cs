using System.Net.Sockets;
using System.Text;

namespace ActorSync.Control;

/// <summary>A connection to one member's command endpoint; sends requests and yields reply lines until the end.</summary>
public sealed class CommandClient : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly StreamReader _reader;
    private readonly StreamWriter _writer;
    private readonly string _token;

    public string Endpoint { get; }

    private CommandClient(TcpClient tcp, string endpoint, string token)
    {
        _tcp = tcp;
        Endpoint = endpoint;
        _token = token;
        var stream = tcp.GetStream();
        _reader = new StreamReader(stream, new UTF8Encoding(false));
        _writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
    }

    /// <param name="endpoint">host:port of a member's command endpoint.</param>
    public static async Task<CommandClient> ConnectAsync(string endpoint, string token, TimeSpan timeout, CancellationToken cancellation = default)
    {
        var (host, port) = ParseEndpoint(endpoint);
        var tcp = new TcpClient();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(timeout);
        try
        {
            await tcp.ConnectAsync(host, port, deadline.Token);
        }
        catch (Exception error) when (error is SocketException or OperationCanceledException && !cancellation.IsCancellationRequested)
        {
            tcp.Dispose();
            throw new IOException($"no ActorSync command endpoint answers at {endpoint}: {error.Message}. Is the member running, " +
                "and is its command port (ACTORSYNC_COMMAND_PORT) the one given?", error);
        }
        return new CommandClient(tcp, endpoint, token);
    }

    public static (string Host, int Port) ParseEndpoint(string endpoint)
    {
        int colon = endpoint.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(endpoint[(colon + 1)..], out int port) || port is < 1 or > 65535)
            throw new FormatException($"endpoint '{endpoint}' is not host:port (e.g. 127.0.0.1:{CommandWire.DefaultPort}).");
        return (endpoint[..colon], port);
    }

    /// <summary>Sends one command and yields its replies; the last one is of kind End.</summary>
    public async IAsyncEnumerable<Reply> RunAsync(string[] args, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellation = default)
    {
        await _writer.WriteLineAsync(CommandWire.Encode(new CommandRequest(_token, args)).AsMemory(), cancellation);
        while (true)
        {
            var line = await _reader.ReadLineAsync(cancellation)
                ?? throw new IOException($"the endpoint at {Endpoint} closed the connection before the answer ended.");
            var reply = CommandWire.DecodeReply(line);
            yield return reply;
            if (reply.Kind == ReplyKind.End) yield break;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _writer.DisposeAsync();
        _reader.Dispose();
        _tcp.Dispose();
    }
}
