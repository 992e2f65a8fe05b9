using System.Diagnostics;
using ActorSync.Cli;
using ActorSync.Control;
using ActorSync.Tooling;
using Microsoft.Data.Sqlite;
using MySqlConnector;
using Spectre.Console;

namespace ActorSync.Lab;

/// <summary>What the demo's continuous-sync step saw.</summary>
/// <param name="Latencies">Commit at MariaDB to visible in SQLite, per row of the first burst.</param>
/// <param name="Committed">Rows the writer committed before MariaDB was killed, in commit order.</param>
/// <param name="Applied">Of those, how many SQLite held once nothing more came (a prefix of them: applied in order).</param>
public sealed record FollowDemo(IReadOnlyList<double> Latencies, IReadOnlyList<long> Committed, int Applied)
{
    public double Percentile(double p) => Latencies.Count == 0 ? 0 : Latencies.Order().ElementAt((int)Math.Min(Latencies.Count - 1, Math.Ceiling(p * Latencies.Count) - 1));
}

/// <summary>
/// The demo's continuous-sync step: `sync follow`; rows written to MariaDB one per transaction, timed until SQLite
/// shows them; then MariaDB killed while a writer runs, and every change committed and captured before the kill
/// found in SQLite. Needs MariaDB's binlog, so the SQLite stand-in skips it.
/// </summary>
public static class DemoFollow
{
    private const string Insert = "INSERT INTO bank (age, job, marital, education, `default`, balance, housing, loan, contact, day, month, duration, campaign, pdays, previous, poutcome, y) " +
                                  "SELECT age, 'follow-demo', marital, education, `default`, balance, housing, loan, contact, day, month, duration, campaign, pdays, previous, poutcome, y FROM bank WHERE id = 1";

    public static async Task<FollowDemo?> RunAsync(LocalCluster cluster, LocalSource source, IAnsiConsole console)
    {
        if (source.Choice.MySql is not { } mysql)
        {
            console.WriteLine("(the SQLite stand-in has no binlog: continuous sync needs MariaDB, so this step is skipped)");
            return null;
        }
        var follow = await CommandAsync(cluster, ["sync", "follow"]);
        console.WriteLine(follow.Text);
        if (!follow.Ok) return null;

        var latencies = await BurstAsync(mysql, cluster.Destination, rows: 60, TimeSpan.FromMilliseconds(25));
        console.WriteLine($"{latencies.Count} rows written one transaction each: in SQLite after p50 {Ms(latencies, 0.5)} ms, p99 {Ms(latencies, 0.99)} ms, at most {Ms(latencies, 1)} ms");

        using var writing = new CancellationTokenSource();
        var committed = new List<long>();
        var writer = WriteUntilFailureAsync(mysql, committed, writing.Token);
        await Task.Delay(TimeSpan.FromSeconds(1));
        await source.StopAsync();
        await writer;
        console.WriteLine($"{source.StoppedHow} mid-stream, after the writer committed {committed.Count} rows");
        int applied = await SettledCountAsync(cluster, committed);
        var seen = Present(cluster.Destination, committed);
        bool prefix = committed.Take(applied).SequenceEqual(seen);
        console.WriteLine(prefix
            ? $"SQLite holds {applied} of them, in commit order with no gap; the other {committed.Count - applied} were committed but not yet read from the binlog: they arrive when MariaDB returns"
            : $"SQLite holds {seen.Count} of them, NOT a prefix of the commit order");
        return prefix ? new FollowDemo(latencies, committed, applied) : throw new InvalidOperationException("continuous sync applied changes out of commit order");
    }

    /// <summary>Every committed row present in SQLite now that the source is back.</summary>
    public static async Task<bool> AllArrivedAsync(LocalCluster cluster, FollowDemo follow, TimeSpan patience)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < patience)
        {
            if (Present(cluster.Destination, follow.Committed).Count == follow.Committed.Count) return true;
            await Task.Delay(250);
        }
        return false;
    }

    private static string Ms(IReadOnlyList<double> latencies, double p) => new FollowDemo(latencies, [], 0).Percentile(p).ToString("0", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Rows inserted one per transaction, <paramref name="every"/> apart, each timed from its commit until SQLite shows it.</summary>
    private static async Task<List<double>> BurstAsync(string mysql, string sqlite, int rows, TimeSpan every)
    {
        var committedAt = new Dictionary<long, long>();
        var seenAt = new Dictionary<long, long>();
        var clock = Stopwatch.StartNew();
        using var done = new CancellationTokenSource();
        var watcher = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested || seenAt.Count < committedAt.Count)
            {
                long[] waiting;
                lock (committedAt) waiting = committedAt.Keys.Where(id => !seenAt.ContainsKey(id)).ToArray();
                foreach (var id in Present(sqlite, waiting)) seenAt[id] = clock.ElapsedTicks;
                if (clock.Elapsed > TimeSpan.FromSeconds(60)) break;
                await Task.Delay(5);
            }
        });
        await using (var connection = new MySqlConnection(mysql))
        {
            await connection.OpenAsync();
            for (int i = 0; i < rows; i++)
            {
                await using var command = new MySqlCommand(Insert + "; SELECT LAST_INSERT_ID()", connection);
                long id = Convert.ToInt64(await command.ExecuteScalarAsync());
                lock (committedAt) committedAt[id] = clock.ElapsedTicks;
                await Task.Delay(every);
            }
        }
        await done.CancelAsync();
        await watcher;
        return committedAt.Where(c => seenAt.ContainsKey(c.Key))
            .Select(c => (seenAt[c.Key] - c.Value) * 1000.0 / Stopwatch.Frequency).ToList();
    }

    private static async Task WriteUntilFailureAsync(string mysql, List<long> committed, CancellationToken stop)
    {
        try
        {
            await using var connection = new MySqlConnection(mysql);
            await connection.OpenAsync(stop);
            while (!stop.IsCancellationRequested)
            {
                await using var command = new MySqlCommand(Insert + "; SELECT LAST_INSERT_ID()", connection);
                committed.Add(Convert.ToInt64(await command.ExecuteScalarAsync(stop)));
                await Task.Delay(10, stop);
            }
        }
        catch (Exception error) when (error is MySqlException or IOException or OperationCanceledException)
        {
            // the source went away: what committed before is what counts
        }
    }

    /// <summary>How many of the rows SQLite holds once Hub C's applied offset has stopped moving for two seconds.</summary>
    private static async Task<int> SettledCountAsync(LocalCluster cluster, IReadOnlyList<long> committed)
    {
        var quiet = Stopwatch.StartNew();
        int last = -1;
        var deadline = Stopwatch.StartNew();
        while (quiet.Elapsed < TimeSpan.FromSeconds(2) && deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            int now = Present(cluster.Destination, committed).Count;
            if (now != last) quiet.Restart();
            last = now;
            await Task.Delay(200);
        }
        return last;
    }

    /// <summary>The ids of these that SQLite holds, in the order given.</summary>
    private static List<long> Present(string sqlite, IReadOnlyCollection<long> ids)
    {
        if (ids.Count == 0) return [];
        using var connection = new SqliteConnection($"Data Source={sqlite};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT id FROM bank WHERE id IN ({string.Join(",", ids)})";
        var found = new HashSet<long>();
        using (var reader = command.ExecuteReader())
            while (reader.Read()) found.Add(reader.GetInt64(0));
        return ids.Where(found.Contains).ToList();
    }

    private static async Task<(bool Ok, string Text)> CommandAsync(LocalCluster cluster, string[] words)
    {
        await using var client = await CommandClient.ConnectAsync(cluster.OrchestratorEndpoint, cluster.Token, TimeSpan.FromSeconds(5));
        (bool, string) last = (false, "no answer");
        await foreach (var reply in client.RunAsync(words))
            if (reply.Kind is ReplyKind.Text or ReplyKind.Error) last = (reply.Ok, reply.Text ?? "");
        return last;
    }
}
