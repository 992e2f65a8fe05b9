using System.Diagnostics;
using ActorSync.Cli;
using ActorSync.Control;
using ActorSync.Tooling;
using MySqlConnector;

namespace ActorSync.Lab;

/// <summary>
/// A chaos cell's `follow` phase: continuous sync runs while a writer commits row changes to the source, one per
/// transaction; the fault strikes mid-stream; then the cell waits until SQLite equals the source again. Every change
/// the writer committed must arrive: what capture had placed on r nodes survives the fault, and what it had not yet
/// read is still in the source's binlog when the source is back.
/// </summary>
public sealed class FollowFault(LocalCluster cluster, LocalSource source, Action<string> say)
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(120);

    /// <summary>Runs the stream, the writer and the fault; returns the changes committed and how long SQLite took to catch up after it.</summary>
    public async Task<(long Committed, double CatchUpSeconds, string Detail)> RunAsync(Func<Task> fault, Func<Task> heal, Func<Task<long>> rowsLost)
    {
        await RunAsync(["sync", "follow"], "following the source's binlog");
        using var stop = new CancellationTokenSource();
        var writer = WriteAsync(stop.Token);
        await Task.Delay(TimeSpan.FromSeconds(2));
        await fault();
        await Task.Delay(TimeSpan.FromSeconds(2));
        await stop.CancelAsync();
        long committed = await writer;
        await heal();
        var clock = Stopwatch.StartNew();
        long lost;
        while ((lost = await rowsLost()) > 0 && clock.Elapsed < Converge) await Task.Delay(TimeSpan.FromSeconds(1));
        double caughtUp = clock.Elapsed.TotalSeconds;
        await RunAsync(["sync", "stop"], "continuous sync stopped");
        return (committed, caughtUp, lost > 0 ? $"{lost} row(s) still differ after {Converge.TotalSeconds:0} s" : "");
    }

    /// <summary>Row changes at the source, one committed transaction each, until stopped or the source goes away.</summary>
    private async Task<long> WriteAsync(CancellationToken stop)
    {
        long committed = 0;
        try
        {
            await using var connection = new MySqlConnection(source.Choice.MySql);
            await connection.OpenAsync(stop);
            while (!stop.IsCancellationRequested)
            {
                await using var command = connection.CreateCommand();
                command.CommandText = (committed % 3) switch
                {
                    0 => "UPDATE bank SET balance = balance + 1 WHERE id = @id",
                    1 => "INSERT INTO bank (age, job, marital, education, `default`, balance, housing, loan, contact, day, month, duration, campaign, pdays, previous, poutcome, y) " +
                         "SELECT age, job, marital, education, `default`, balance, housing, loan, contact, day, month, duration, campaign, pdays, previous, poutcome, y FROM bank WHERE id = @id",
                    _ => "DELETE FROM bank WHERE id = (SELECT MAX(id) FROM (SELECT id FROM bank) AS newest)",
                };
                command.Parameters.AddWithValue("@id", 1 + committed % 4000);
                await command.ExecuteNonQueryAsync(stop);
                committed++;
                await Task.Delay(10, stop);
            }
        }
        catch (Exception error) when (error is OperationCanceledException or MySqlException or IOException)
        {
            // stopped, or the source was the fault: what committed before is what counts
        }
        say($"  the writer committed {committed} change(s)");
        return committed;
    }

    private async Task RunAsync(string[] words, string expected)
    {
        var deadline = Stopwatch.StartNew();
        string last = "";
        while (deadline.Elapsed < TimeSpan.FromMinutes(2))
        {
            try
            {
                await using var client = await CommandClient.ConnectAsync(cluster.OrchestratorEndpoint, cluster.Token, TimeSpan.FromSeconds(5));
                await foreach (var reply in client.RunAsync(words))
                    if (reply.Kind is ReplyKind.Text or ReplyKind.Error) last = reply.Text ?? last;
                if (last.Contains(expected, StringComparison.Ordinal)) return;
            }
            catch (Exception error) when (error is IOException or System.Net.Sockets.SocketException or TimeoutException)
            {
                last = error.Message;
            }
            await Task.Delay(TimeSpan.FromSeconds(2)); // the orchestrator may still be taking over after a kill
        }
        throw new InvalidOperationException($"`{string.Join(' ', words)}` did not succeed: {last}");
    }
}
