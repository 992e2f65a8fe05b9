using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;
using ActorSync.Cli;
using ActorSync.Data;
using ActorSync.Data.MySql;
using ActorSync.Data.Sqlite;
using ActorSync.Data.Verify;
using ActorSync.Tooling;
using Microsoft.Data.Sqlite;
using MySqlConnector;

namespace ActorSync.Lab;

/// <summary>One offered rate: what was written, and commit-to-SQLite latency.</summary>
public sealed record CdcRatePoint(
    [property: JsonPropertyName("rate")] int Rate,
    [property: JsonPropertyName("achieved_rate")] double AchievedRate,
    [property: JsonPropertyName("changes")] long Changes,
    [property: JsonPropertyName("p50_ms")] double P50Millis,
    [property: JsonPropertyName("p99_ms")] double P99Millis,
    [property: JsonPropertyName("max_ms")] double MaxMillis);

public sealed record CdcBenchResult(
    [property: JsonPropertyName("rate")] int Rate,
    [property: JsonPropertyName("seconds")] int Seconds,
    [property: JsonPropertyName("p50_ms")] double P50Millis,
    [property: JsonPropertyName("p99_ms")] double P99Millis,
    [property: JsonPropertyName("max_sustained_rate")] int? MaxSustainedRate,
    [property: JsonPropertyName("rows_lost")] long RowsLost,
    [property: JsonPropertyName("verified")] bool Verified,
    [property: JsonPropertyName("idle_cpu_percent_of_core")] IReadOnlyDictionary<string, double> IdleCpuPercent,
    [property: JsonPropertyName("member_peak_mib")] IReadOnlyDictionary<string, long> MemberPeakMiB,
    [property: JsonPropertyName("points")] IReadOnlyList<CdcRatePoint> Points);

[JsonSerializable(typeof(CdcBenchResult))]
[JsonSourceGenerationOptions(WriteIndented = true)]
internal sealed partial class CdcBenchJsonContext : JsonSerializerContext;

/// <summary>
/// `actorsync-lab bench cdc`: a local cluster follows a MariaDB with the binlog on while a writer commits R row changes
/// per second (60% inserts, 30% updates, 10% deletes, 100 transactions a second) into a table of its own. A poller
/// reads SQLite every 2 ms: a transaction has arrived once its highest new id is there (apply is in commit order),
/// so its latency is that moment minus its commit's return. Ends with the destination checked against the source,
/// and the members' CPU over 20 idle seconds after that.
/// </summary>
public static class CdcBench
{
    private const string Table = "cdc_bench";
    private const int SeedRows = 10_000;
    private const int TransactionsPerSecond = 100;

    public static async Task<CdcBenchResult> RunAsync(string? mysql, int[] rates, int seconds, Action<string> say)
    {
        var work = Path.Combine(Path.GetTempPath(), "actorsync-bench-cdc-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        LocalCluster.KillMembersOnInterrupt();
        try
        {
            await using var source = await LocalSource.StartAsync(mysql, "mariadb", work, binaryLog: true);
            var connection = source.Choice.MySql!;
            await ExecuteAsync(connection, $"DROP TABLE IF EXISTS {Table}; CREATE TABLE {Table} (id BIGINT NOT NULL PRIMARY KEY, v BIGINT NOT NULL, note VARCHAR(64) NOT NULL, " +
                "amount DECIMAL(12,2) NOT NULL, at DATETIME(6) NOT NULL) ENGINE=InnoDB");
            await ExecuteAsync(connection, $"INSERT INTO {Table} SELECT seq, seq, CONCAT('seed ', seq), seq / 100, NOW(6) FROM seq_1_to_{SeedRows}");
            say($"source: {source.Description}, {SeedRows:N0} rows in {Table}");

            var settings = new Dictionary<string, string> { ["ACTORSYNC_TABLES"] = Table };
            await using var cluster = await LocalCluster.StartAsync(new LocalCluster.Options(Path.Combine(work, "cluster"), source.Choice, null, [], settings), _ => { },
                TimeSpan.FromMinutes(3));
            await cluster.QueryAsync(["sync", "follow"]);
            say("following");

            long nextId = SeedRows + 1;
            var points = new List<CdcRatePoint>();
            foreach (int rate in rates)
            {
                var (point, next) = await RunRateAsync(connection, cluster.Destination, rate, seconds, nextId);
                nextId = next;
                points.Add(point);
                say($"rate {rate}/s: achieved {point.AchievedRate:N0}/s, p50 {point.P50Millis:0} ms, p99 {point.P99Millis:0} ms, max {point.MaxMillis:0} ms");
            }

            var (lost, verified) = await CheckAsync(connection, cluster.Destination);
            // Steady state: following, nothing written, the last batches long applied.
            var idle = await IdleCpuAsync(cluster, TimeSpan.FromSeconds(20));
            say($"idle CPU (% of one core): {string.Join(", ", idle.Select(i => $"{i.Key} {i.Value:0.00}"))}");
            var peaks = cluster.State().Members.ToDictionary(m => m.Name, m => MemberProcesses.PeakMiB(m.Pid));
            var first = points[0];
            int? sustained = points.Where(p => p.P99Millis <= 1000 && p.AchievedRate >= p.Rate * 0.95).Select(p => (int?)p.Rate).Max();
            return new CdcBenchResult(first.Rate, seconds, first.P50Millis, first.P99Millis, sustained, lost, verified, idle, peaks, points);
        }
        finally
        {
            Scratch.TryDelete(work);
        }
    }

    private static async Task<(CdcRatePoint Point, long NextId)> RunRateAsync(string connection, string destination, int rate, int seconds, long nextId)
    {
        var perTransaction = Math.Max(1, rate / TransactionsPerSecond);
        var commits = new List<(long LastId, long CommitTicks)>();
        var latencies = new List<double>();
        using var stop = new CancellationTokenSource();
        var poller = Task.Run(() => Poll(destination, commits, latencies, stop.Token));
        await using var mysql = new MySqlConnection(MySqlSource.Harden(connection));
        await mysql.OpenAsync();
        var random = new Random(rate);
        long changes = 0;
        var clock = Stopwatch.StartNew();
        int transaction = 0;
        while (clock.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            var due = TimeSpan.FromSeconds((double)transaction / TransactionsPerSecond);
            if (clock.Elapsed < due) await Task.Delay(due - clock.Elapsed);
            int inserts = Math.Max(1, perTransaction * 6 / 10), updates = perTransaction * 3 / 10, deletes = perTransaction - inserts - updates;
            var sql = new StringBuilder("START TRANSACTION;");
            sql.Append($"INSERT INTO {Table} VALUES ");
            for (int i = 0; i < inserts; i++) sql.Append(i == 0 ? "" : ",").Append(CultureInfo.InvariantCulture, $"({nextId + i}, {i}, 'row {nextId + i}', {random.Next(100000)}.25, NOW(6))");
            sql.Append(';');
            for (int i = 0; i < updates; i++) sql.Append(CultureInfo.InvariantCulture, $"UPDATE {Table} SET v = v + 1, at = NOW(6) WHERE id = {1 + random.Next(SeedRows)};");
            // Deletes only touch the seed range, so the highest id marks a transaction's arrival.
            for (int i = 0; i < deletes; i++) sql.Append(CultureInfo.InvariantCulture, $"DELETE FROM {Table} WHERE id = {1 + random.Next(SeedRows)};");
            sql.Append("COMMIT;");
            await using (var command = new MySqlCommand(sql.ToString(), mysql)) await command.ExecuteNonQueryAsync();
            lock (commits) commits.Add((nextId + inserts - 1, Stopwatch.GetTimestamp()));
            nextId += inserts;
            changes += perTransaction;
            transaction++;
        }
        double elapsed = clock.Elapsed.TotalSeconds;
        var wait = Stopwatch.StartNew();
        while (wait.Elapsed < TimeSpan.FromSeconds(30))
        {
            lock (commits) if (commits.Count == 0) break;
            await Task.Delay(50);
        }
        stop.Cancel();
        await poller;
        latencies.Sort();
        double Percentile(double p) => latencies.Count == 0 ? double.NaN : latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(p * latencies.Count) - 1)];
        int missing;
        lock (commits) missing = commits.Count;
        if (missing > 0) latencies.Add(double.PositiveInfinity);
        return (new CdcRatePoint(rate, changes / elapsed, changes, Percentile(0.50), missing > 0 ? double.PositiveInfinity : Percentile(0.99),
            latencies.Count == 0 ? double.NaN : latencies[^1]), nextId);
    }

    private static void Poll(string destination, List<(long LastId, long CommitTicks)> commits, List<double> latencies, CancellationToken stop)
    {
        using var sqlite = new SqliteConnection($"Data Source={destination};Mode=ReadOnly;Pooling=False");
        sqlite.Open();
        using var command = sqlite.CreateCommand();
        command.CommandText = $"SELECT MAX(id) FROM {Table}";
        while (!stop.IsCancellationRequested)
        {
            long max = command.ExecuteScalar() is long value ? value : 0;
            long now = Stopwatch.GetTimestamp();
            lock (commits)
            {
                int arrived = 0;
                while (arrived < commits.Count && commits[arrived].LastId <= max)
                {
                    latencies.Add(Stopwatch.GetElapsedTime(commits[arrived].CommitTicks, now).TotalMilliseconds);
                    arrived++;
                }
                commits.RemoveRange(0, arrived);
            }
            Thread.Sleep(2);
        }
    }

    private static async Task<IReadOnlyDictionary<string, double>> IdleCpuAsync(LocalCluster cluster, TimeSpan period)
    {
        await Task.Delay(TimeSpan.FromSeconds(10)); // the writes' tail: applies, compaction, the collector
        var members = cluster.State().Members;
        var before = members.ToDictionary(m => m.Name, m => MemberProcesses.CpuMillis(m.Pid));
        await Task.Delay(period);
        return members.ToDictionary(m => m.Name, m => Math.Round((MemberProcesses.CpuMillis(m.Pid) - before[m.Name]) * 100.0 / period.TotalMilliseconds, 2));
    }

    private static async Task<(long Lost, bool Verified)> CheckAsync(string connection, string destinationPath)
    {
        var source = new MySqlSource(connection);
        var tables = await source.DiscoverAsync([Table]);
        for (int attempt = 0; ; attempt++)
        {
            using var destination = new SqliteDestination(destinationPath);
            var comparison = await Verifier.CompareAsync(source, destination, tables);
            if (comparison.All(c => c.Equal) || attempt == 20) return (comparison.Sum(c => c.RowsLost), comparison.All(c => c.Equal));
            await Task.Delay(500);
        }
    }

    private static async Task ExecuteAsync(string connection, string sql)
    {
        await using var mysql = new MySqlConnection(MySqlSource.Harden(connection));
        await mysql.OpenAsync();
        await using var command = new MySqlCommand(sql, mysql);
        await command.ExecuteNonQueryAsync();
    }
}
