using System.CommandLine;
using ActorSync.Control;

namespace ActorSync.Cli;

/// <summary>
/// The commands answered by a member's command endpoint (pbm-style): one-shot from the command line, or many in
/// `actorsync repl`. The endpoint and token come from --endpoint/--token, ACTORSYNC_ENDPOINT/ACTORSYNC_TOKEN, or the
/// state a local `cluster up` wrote.
/// </summary>
public static class RemoteCommands
{
    public const string EndpointVariable = "ACTORSYNC_ENDPOINT";
    public const string TokenVariable = "ACTORSYNC_TOKEN";

    public static Option<string?> EndpointOption() => new("--endpoint")
    {
        Description = $"host:port of a member's command endpoint (or {EndpointVariable}; default: the local cluster's orchestrator, else 127.0.0.1:{CommandWire.DefaultPort})",
    };

    public static Option<string?> TokenOption() => new("--token") { Description = $"the endpoint's token (or {TokenVariable}; default: the local cluster's)" };

    public static Option<string> StateOption() => new("--state-dir")
    {
        Description = "where `cluster up` keeps its state",
        DefaultValueFactory = _ => LocalCluster.DefaultStateDirectory,
    };

    /// <summary>A command whose words (built from what was parsed) are sent to the endpoint.</summary>
    public static Command Create(string name, string description, Func<ParseResult, IEnumerable<string>> words, params Option[] extra)
    {
        var endpoint = EndpointOption();
        var token = TokenOption();
        var state = StateOption();
        var json = new Option<bool>("--json") { Description = "answer with one JSON document (README, \"JSON replies\")" };
        var command = new Command(name, description) { endpoint, token, state, json };
        foreach (var option in extra) command.Options.Add(option);
        command.SetAction(parse => Run(Resolve(parse.GetValue(endpoint), parse.GetValue(token), parse.GetValue(state)!),
            [.. words(parse), .. parse.GetValue(json) ? new[] { "--json" } : []], parse.GetValue(json)));
        return command;
    }

    public static Command Create(string name, string description, params string[] words) => Create(name, description, _ => words);

    public static Command Repl()
    {
        var endpoint = EndpointOption();
        var token = TokenOption();
        var state = StateOption();
        var command = new Command("repl", "Connect to a member's command endpoint and type commands (`help` lists them, `exit` leaves)") { endpoint, token, state };
        command.SetAction(parse => ReplAsync(Resolve(parse.GetValue(endpoint), parse.GetValue(token), parse.GetValue(state)!)).GetAwaiter().GetResult());
        return command;
    }

    public static (string Endpoint, string Token) Resolve(string? endpoint, string? token, string stateDirectory)
    {
        var local = LocalCluster.ReadState(stateDirectory);
        endpoint ??= Environment.GetEnvironmentVariable(EndpointVariable) is { Length: > 0 } e ? e
            : local?.Members.FirstOrDefault(m => m.Role == "orchestrator") is { } o ? $"127.0.0.1:{o.CommandPort}"
            : $"127.0.0.1:{CommandWire.DefaultPort}";
        token ??= Environment.GetEnvironmentVariable(TokenVariable) is { Length: > 0 } t ? t : local?.Token ?? "";
        return (endpoint, token);
    }

    public static int Run((string Endpoint, string Token) target, string[] words, bool json = false)
    {
        if (target.Token.Length == 0) return CliErrors.Fail($"no token: give --token or set {TokenVariable} (the cluster's ACTORSYNC_TOKEN).");
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
        try
        {
            return RunAsync(target, words, json, cancel.Token).GetAwaiter().GetResult() ? 0 : 1;
        }
        catch (OperationCanceledException)
        {
            return 0; // Ctrl+C ends a tail
        }
        catch (Exception error) when (error is IOException or FormatException)
        {
            return CliErrors.Fail(error.Message);
        }
    }

    private static async Task<bool> RunAsync((string Endpoint, string Token) target, string[] words, bool json, CancellationToken cancellation)
    {
        await using var client = await CommandClient.ConnectAsync(target.Endpoint, target.Token, TimeSpan.FromSeconds(5), cancellation);
        return json ? await ReplyRenderer.RenderJsonAsync(client.RunAsync(words, cancellation), cancellation)
            : await ReplyRenderer.RenderAsync(client.RunAsync(words, cancellation), cancellation);
    }

    private static async Task<int> ReplAsync((string Endpoint, string Token) target)
    {
        if (target.Token.Length == 0) return CliErrors.Fail($"no token: give --token or set {TokenVariable}.");
        CommandClient client;
        try
        {
            client = await CommandClient.ConnectAsync(target.Endpoint, target.Token, TimeSpan.FromSeconds(5));
        }
        catch (IOException error)
        {
            return CliErrors.Fail(error.Message);
        }
        try
        {
            Console.WriteLine($"connected to {target.Endpoint}; `help` lists the commands, `exit` leaves.");
            while (true)
            {
                Console.Write("actorsync> ");
                var line = Console.ReadLine();
                if (line is null || line.Trim() is "exit" or "quit") return 0;
                string[] words;
                try
                {
                    words = CommandWire.SplitWords(line);
                }
                catch (FormatException error)
                {
                    Console.Error.WriteLine($"error: {error.Message}");
                    continue;
                }
                if (words.Length == 0) continue;
                try
                {
                    await ReplyRenderer.RenderAsync(client.RunAsync(words));
                }
                catch (IOException error)
                {
                    // The member closes a connection left idle (actorsync.member.commands.idle-timeout): connect again,
                    // but do not run the command again, which may have started.
                    await DisposeQuietlyAsync(client);
                    try
                    {
                        client = await CommandClient.ConnectAsync(target.Endpoint, target.Token, TimeSpan.FromSeconds(5));
                    }
                    catch (IOException again)
                    {
                        return CliErrors.Fail($"{error.Message}; reconnecting failed: {again.Message}");
                    }
                    Console.Error.WriteLine($"the connection was closed ({error.Message}); connected again: run the command again if it did not finish.");
                }
            }
        }
        finally
        {
            await DisposeQuietlyAsync(client);
        }
    }

    private static async Task DisposeQuietlyAsync(CommandClient client)
    {
        try
        {
            await client.DisposeAsync();
        }
        catch (Exception error) when (error is IOException or ObjectDisposedException)
        {
            // the connection was broken already
        }
    }
}
