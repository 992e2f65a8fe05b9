using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ActorSync.Control;

/// <summary>
/// The command endpoint's protocol, modelled on Petabridge.Cmd: one JSON line per request (the token and the command's
/// words), then JSON reply lines until one of kind <see cref="ReplyKind.End"/>. A connection can carry many requests
/// (the REPL). This is control traffic only; batches and packets never pass here.
/// </summary>
public static class CommandWire
{
    public const int DefaultPort = 9110;
    public const int MaxLineBytes = 64 * 1024;

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static string Encode(CommandRequest request) => JsonSerializer.Serialize(request, Options);

    public static string Encode(Reply reply) => JsonSerializer.Serialize(reply, Options);

    public static CommandRequest DecodeRequest(string line) =>
        JsonSerializer.Deserialize<CommandRequest>(line, Options) is { Args: not null } request
            ? request
            : throw new FormatException("a request needs \"token\" and \"args\".");

    public static Reply DecodeReply(string line) =>
        JsonSerializer.Deserialize<Reply>(line, Options) ?? throw new FormatException("an empty reply line.");

    /// <summary>Compares tokens in constant time, so timing does not leak how much of a guess was right.</summary>
    public static bool TokenMatches(string expected, string? offered) =>
        expected.Length > 0 && offered is not null &&
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(offered));

    /// <summary>Splits a REPL line into words; double quotes group words with spaces.</summary>
    public static string[] SplitWords(string line)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        bool quoted = false, any = false;
        foreach (char c in line)
        {
            if (c == '"') { quoted = !quoted; any = true; continue; }
            if (char.IsWhiteSpace(c) && !quoted)
            {
                if (any) words.Add(current.ToString());
                current.Clear();
                any = false;
                continue;
            }
            current.Append(c);
            any = true;
        }
        if (quoted) throw new FormatException("a quote is not closed.");
        if (any) words.Add(current.ToString());
        return words.ToArray();
    }
}

public sealed record CommandRequest(string Token, string[] Args);

public enum ReplyKind
{
    Text,
    Table,
    Progress,
    Error,
    End,
    /// <summary>The answer as a document for programs (`--json`): <see cref="Reply.Text"/> names its shape (README, "JSON replies").</summary>
    Data,
}

/// <summary>One reply line: text, a table (columns and rows), a progress step, an error, a document, or the end of the answer.</summary>
public sealed record Reply(ReplyKind Kind, string? Text = null, string[]? Columns = null, string[][]? Rows = null,
    int Done = 0, int Total = 0, bool Ok = true, JsonElement? Data = null)
{
    /// <summary>How documents are written: camelCase names, enums as camelCase strings.</summary>
    public static readonly JsonSerializerOptions DocumentOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>The machine-readable answer, shaped like <paramref name="value"/>; the human replies come before it.</summary>
    public static Reply Document<T>(string shape, T value) => new(ReplyKind.Data, shape, Data: JsonSerializer.SerializeToElement(value, DocumentOptions));

    public static Reply Line(string text) => new(ReplyKind.Text, text);

    public static Reply Failure(string text) => new(ReplyKind.Error, text, Ok: false);

    public static Reply Grid(string title, string[] columns, IEnumerable<string[]> rows) => new(ReplyKind.Table, title, columns, rows.ToArray());

    public static Reply Step(string text, int done, int total) => new(ReplyKind.Progress, text, Done: done, Total: total);

    public static Reply Finished(bool ok) => new(ReplyKind.End, Ok: ok);
}
