using System.Globalization;
using System.Text.RegularExpressions;
using ActorSync.Cli;
using ActorSync.Control;
using ActorSync.Tooling;

namespace ActorSync.Lab;

/// <summary>One `sync start` on a local cluster, as its replies reported it: the summary line and the payload per link.</summary>
public sealed record SyncRun(bool Verified, string Summary, long CycleMillis, long BatchSize, IReadOnlyDictionary<string, (long Packets, long Bytes)> Links)
{
    public long Packets(string link) => Links.TryGetValue(link, out var use) ? use.Packets : 0;

    public long Bytes(string link) => Links.TryGetValue(link, out var use) ? use.Bytes : 0;

    /// <summary>A count from the summary, e.g. Count("XOR") in "… 3 XOR, 0 uncoded …".</summary>
    public long Count(string what) =>
        Regex.Match(Summary, $@"(\d+) {Regex.Escape(what)}\b") is { Success: true } match ? long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
}

public static partial class SyncRunner
{
    /// <summary>Runs `sync start` at the orchestrator; <paramref name="render"/> shows its progress bar and tables.</summary>
    public static async Task<SyncRun> StartAsync(LocalCluster cluster, bool render, string[]? options = null)
    {
        await using var client = await CommandClient.ConnectAsync(cluster.OrchestratorEndpoint, cluster.Token, TimeSpan.FromSeconds(5));
        var replies = new List<Reply>();
        async IAsyncEnumerable<Reply> Keep()
        {
            await foreach (var reply in client.RunAsync(["sync", "start", .. options ?? []]))
            {
                replies.Add(reply);
                yield return reply;
            }
        }
        bool ok;
        if (render) ok = await ReplyRenderer.RenderAsync(Keep());
        else
        {
            await foreach (var _ in Keep()) { }
            ok = replies.LastOrDefault()?.Ok ?? false;
        }
        var summary = replies.LastOrDefault(r => r.Kind is ReplyKind.Text or ReplyKind.Error)?.Text ?? "";
        var links = replies.FirstOrDefault(r => r.Kind == ReplyKind.Table)?.Rows?
            .ToDictionary(r => r[0], r => (long.Parse(r[1], CultureInfo.InvariantCulture), long.Parse(r[2], CultureInfo.InvariantCulture)))
            ?? new Dictionary<string, (long, long)>();
        long Number(Regex pattern) => pattern.Match(summary) is { Success: true } m ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        return new SyncRun(ok, summary, Number(Millis()), Number(BatchSize()), links);
    }

    [GeneratedRegex(@"in (\d+) ms")]
    private static partial Regex Millis();

    [GeneratedRegex(@"batches of (\d+) B")]
    private static partial Regex BatchSize();
}
