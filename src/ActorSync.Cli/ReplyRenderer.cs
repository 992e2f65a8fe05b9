using ActorSync.Control;
using Spectre.Console;

namespace ActorSync.Cli;

/// <summary>
/// Shows command-endpoint replies: tables with Spectre.Console, progress as a live bar on a terminal, or as one line
/// per step when the output is redirected (CI logs, scripts).
/// </summary>
public static class ReplyRenderer
{
    /// <summary>A console that does not squeeze wide tables when the output is not a terminal.</summary>
    public static IAnsiConsole Console { get; } = Create();

    private static IAnsiConsole Create()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(System.Console.Out) });
        if (System.Console.IsOutputRedirected) console.Profile.Width = 240;
        return console;
    }

    /// <summary>
    /// The answer as one JSON document on stdout (`--json`): the command's own document when it sends one, else its
    /// lines and tables. Errors go to stderr as they do for people.
    /// </summary>
    /// <returns>Whether the answer ended without an error.</returns>
    public static async Task<bool> RenderJsonAsync(IAsyncEnumerable<Reply> replies, CancellationToken cancellation = default)
    {
        bool ok = true;
        var lines = new List<string>();
        var tables = new List<object>();
        System.Text.Json.JsonElement? document = null;
        await foreach (var reply in replies.WithCancellation(cancellation))
        {
            switch (reply.Kind)
            {
                case ReplyKind.Data:
                    document = reply.Data;
                    break;
                case ReplyKind.Text:
                    lines.Add(reply.Text ?? "");
                    break;
                case ReplyKind.Table:
                    tables.Add(new { title = reply.Text ?? "", columns = reply.Columns ?? [], rows = reply.Rows ?? [] });
                    break;
                case ReplyKind.Error:
                    System.Console.Error.WriteLine($"error: {reply.Text}");
                    ok = false;
                    break;
                case ReplyKind.End:
                    ok &= reply.Ok;
                    break;
            }
        }
        var indented = new System.Text.Json.JsonSerializerOptions(Reply.DocumentOptions) { WriteIndented = true };
        System.Console.WriteLine(document is { } data
            ? System.Text.Json.JsonSerializer.Serialize(data, indented)
            : System.Text.Json.JsonSerializer.Serialize(new { lines, tables }, indented));
        return ok;
    }

    /// <returns>Whether the answer ended without an error.</returns>
    public static async Task<bool> RenderAsync(IAsyncEnumerable<Reply> replies, CancellationToken cancellation = default)
    {
        bool ok = true;
        var enumerator = replies.GetAsyncEnumerator(cancellation);
        try
        {
            while (await enumerator.MoveNextAsync())
            {
                var reply = enumerator.Current;
                if (reply.Kind == ReplyKind.Progress && !System.Console.IsOutputRedirected)
                {
                    ok &= await LiveProgressAsync(reply, enumerator);
                    continue;
                }
                ok &= Show(reply);
            }
        }
        finally
        {
            await enumerator.DisposeAsync();
        }
        return ok;
    }

    private static async Task<bool> LiveProgressAsync(Reply first, IAsyncEnumerator<Reply> rest)
    {
        var after = new List<Reply>();
        await Console.Progress().AutoClear(false).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(Markup.Escape(first.Text ?? ""), maxValue: Math.Max(1, first.Total));
                task.Value = first.Done;
                while (await rest.MoveNextAsync())
                {
                    var reply = rest.Current;
                    if (reply.Kind != ReplyKind.Progress)
                    {
                        after.Add(reply);
                        if (reply.Kind == ReplyKind.End) break;
                        continue;
                    }
                    task.Description = Markup.Escape(reply.Text ?? "");
                    task.MaxValue = Math.Max(1, reply.Total);
                    task.Value = reply.Done;
                }
            });
        bool ok = true;
        foreach (var reply in after) ok &= Show(reply);
        return ok;
    }

    /// <returns>False for an error or an unsuccessful end.</returns>
    public static bool Show(Reply reply)
    {
        switch (reply.Kind)
        {
            case ReplyKind.Text:
                Console.WriteLine(reply.Text ?? "");
                return true;
            case ReplyKind.Progress:
                Console.WriteLine($"[{reply.Done}/{reply.Total}] {reply.Text}");
                return true;
            case ReplyKind.Table:
                var table = new Table().Title(Markup.Escape(reply.Text ?? "")).Border(TableBorder.Rounded);
                foreach (var column in reply.Columns ?? []) table.AddColumn(Markup.Escape(column));
                foreach (var row in reply.Rows ?? []) table.AddRow(row.Select(cell => new Text(cell)).ToArray());
                Console.Write(table);
                return true;
            case ReplyKind.Error:
                System.Console.Error.WriteLine($"error: {reply.Text}");
                return false;
            case ReplyKind.Data:
                return true; // for programs (--json); the replies before it said the same in words
            default:
                return reply.Ok;
        }
    }
}
