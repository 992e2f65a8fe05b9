using System.Net.Sockets;
using System.Text;
using ActorSync.Cluster;
using ActorSync.Cluster.Orchestration;
using ActorSync.Control;
using ActorSync.Host;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;

namespace ActorSync.Cli.Tests;

/// <summary>The command endpoint against what anyone who can connect may send: no token needed to try these.</summary>
public sealed class CommandEndpointTests : IAsyncLifetime
{
    private const string Token = "a-test-token-long-enough-for-the-endpoint-0123";
    private const string ReadToken = "a-read-only-token-long-enough-for-the-endpoint";
    private readonly ActorSystem _system = ActorSystem.Create("actorsync", ConfigurationFactory.ParseString("""
        akka.actor.provider = cluster
        akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
        akka.loglevel = WARNING
        """));
    private readonly List<CommandEndpoint> _endpoints = [];

    [Fact]
    public async Task A_line_with_no_end_is_cut_at_the_limit_not_read_whole()
    {
        var endpoint = Start(CommandLimits.Default);
        using var client = await ConnectAsync(endpoint);
        var stream = client.GetStream();
        var chunk = Encoding.ASCII.GetBytes(new string('a', 64 * 1024));
        long written = 0;

        var cut = await Record.ExceptionAsync(async () =>
        {
            while (written < 256L * 1024 * 1024)
            {
                await stream.WriteAsync(chunk);
                written += chunk.Length;
            }
        });

        Assert.IsAssignableFrom<IOException>(cut);
        Assert.True(written < 64L * 1024 * 1024, $"{written:N0} bytes went in before the connection was cut");
    }

    [Fact]
    public async Task A_connection_that_sends_nothing_is_closed_after_the_idle_timeout()
    {
        var endpoint = Start(new CommandLimits(4, TimeSpan.FromMilliseconds(500)));
        using var client = await ConnectAsync(endpoint);

        int read = await client.GetStream().ReadAsync(new byte[16]).AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(0, read);
        await Eventually(() => endpoint.ActiveConnections == 0);
    }

    [Fact]
    public async Task Past_the_connection_cap_a_client_is_told_so_and_a_freed_slot_serves_again()
    {
        var endpoint = Start(new CommandLimits(2, TimeSpan.FromMinutes(1)));
        using var first = await ConnectAsync(endpoint);
        using var second = await ConnectAsync(endpoint);
        await Eventually(() => endpoint.ActiveConnections == 2);

        using (var third = await ConnectAsync(endpoint))
            Assert.Contains("busy", await ReadLineAsync(third));
        first.Close();
        await Eventually(() => endpoint.ActiveConnections == 1);
        using var fourth = await ConnectAsync(endpoint);
        await SendAsync(fourth, ["help"]);

        Assert.Contains("commands", await ReadLineAsync(fourth));
    }

    [Fact]
    public async Task A_client_that_goes_away_ends_the_command_it_started()
    {
        var endpoint = Start(CommandLimits.Default);
        var client = await ConnectAsync(endpoint);
        await SendAsync(client, ["cluster", "tail"]); // runs until the client disconnects
        await Eventually(() => endpoint.ActiveConnections == 1);

        client.Dispose();

        await Eventually(() => endpoint.ActiveConnections == 0);
    }

    [Fact]
    public async Task A_wrong_token_is_refused_and_the_connection_closed()
    {
        var endpoint = Start(CommandLimits.Default);
        using var client = await ConnectAsync(endpoint);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.UTF8.GetBytes(CommandWire.Encode(new CommandRequest("wrong", ["help"])) + "\n"));

        Assert.Contains("wrong token", await ReadLineAsync(client));
        await Eventually(() => endpoint.ActiveConnections == 0);
    }

    [Fact]
    public async Task The_read_only_token_shows_but_cannot_change_anything_and_keeps_its_connection()
    {
        var endpoint = Start(CommandLimits.Default);
        using var client = await ConnectAsync(endpoint);
        var reader = new BoundedLineReader(client.GetStream(), 1024 * 1024);

        foreach (var command in new[] { "sync start", "cluster down-unreachable", "fault inject flip" })
        {
            await SendAsync(client, command.Split(' '), ReadToken);
            Assert.Contains("needs the admin token", await reader.ReadLineAsync(CancellationToken.None));
            Assert.Contains("end", await reader.ReadLineAsync(CancellationToken.None));
        }
        await SendAsync(client, ["help"], ReadToken);

        Assert.Contains("commands", await reader.ReadLineAsync(CancellationToken.None));
        Assert.True(CommandHandler.IsReadOnly(["sync", "status"]) && CommandHandler.IsReadOnly(["node", "list"]) && !CommandHandler.IsReadOnly(["cluster", "leave", "-a", "x"]));
    }

    private CommandEndpoint Start(CommandLimits limits)
    {
        var settings = OrchestratorSettings.From(ClusterConfig.Compose(Config.Empty));
        var endpoint = new CommandEndpoint("127.0.0.1", 0, new CommandTokens(Token, ReadToken), new CommandHandler(_system, ActorRefs.Nobody, settings, "test"),
            Logging.GetLogger(_system, "endpoint-test"), limits);
        _endpoints.Add(endpoint);
        return endpoint;
    }

    private static async Task<TcpClient> ConnectAsync(CommandEndpoint endpoint)
    {
        var client = new TcpClient();
        await client.ConnectAsync(endpoint.Bound.Address, endpoint.Bound.Port);
        return client;
    }

    private static Task SendAsync(TcpClient client, string[] args, string token = Token) =>
        client.GetStream().WriteAsync(Encoding.UTF8.GetBytes(CommandWire.Encode(new CommandRequest(token, args)) + "\n")).AsTask();

    private static async Task<string> ReadLineAsync(TcpClient client)
    {
        var reader = new BoundedLineReader(client.GetStream(), 1024 * 1024);
        return await reader.ReadLineAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)) ?? "(closed)";
    }

    private static async Task Eventually(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within 10 s");
            await Task.Delay(50);
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var endpoint in _endpoints) await endpoint.DisposeAsync();
        await _system.Terminate();
    }
}
