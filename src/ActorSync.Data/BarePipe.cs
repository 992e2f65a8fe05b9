using System.Diagnostics;
using System.Threading.Channels;
using ActorSync.Coding;
using ActorSync.Data.Schema;
using ActorSync.Data.Sqlite;

namespace ActorSync.Data;

/// <summary>What a bare copy of one table achieved: rows and time, from the first read to the commit.</summary>
public sealed record PipeResult(long Rows, TimeSpan Elapsed)
{
    public double RowsPerSecond => Rows / Math.Max(Elapsed.TotalSeconds, 1e-9);
}

/// <summary>
/// The ceiling a sync is measured against: the source read (the same canonical reader a snapshot uses) on one thread,
/// a bounded channel of 64 KiB chunks, and the same raw-bind SQLite insert Hub C uses on another, in one transaction
/// into a fresh file. No batches, no digests, no cluster: what ActorSync adds is what it costs beyond this.
/// </summary>
public static class BarePipe
{
    private const int ChunkSize = 64 * 1024;

    public static async Task<PipeResult> RunAsync(ISyncSource source, TableSchema table, string sqlitePath, CancellationToken cancellation = default)
    {
        var channel = Channel.CreateBounded<(byte[] Chunk, int Length)>(new BoundedChannelOptions(16) { SingleReader = true, SingleWriter = true });
        var clock = Stopwatch.StartNew();
        var writer = Task.Run(() => Write(channel.Reader, table, sqlitePath, cancellation), cancellation);
        var chunk = new byte[ChunkSize];
        int used = 0;
        (byte[], int)? full = null;
        var prefix = new byte[BatchFrame.MaxVarintSize];
        try
        {
            var (rows, _) = await source.ReadWithWatermarkAsync(table, row =>
            {
                int prefixLength = BatchFrame.WriteVarint(prefix, row.Length);
                if (used + prefixLength + row.Length > chunk.Length)
                {
                    full = (chunk, used);
                    chunk = new byte[Math.Max(ChunkSize, prefixLength + row.Length)];
                    used = 0;
                }
                prefix.AsSpan(0, prefixLength).CopyTo(chunk.AsSpan(used));
                row.CopyTo(chunk.AsSpan(used + prefixLength));
                used += prefixLength + row.Length;
            }, cancellation, afterRow: () =>
            {
                if (full is not { } ready) return ValueTask.CompletedTask;
                full = null;
                return channel.Writer.WriteAsync(ready, cancellation);
            });
            if (used > 0) await channel.Writer.WriteAsync((chunk, used), cancellation);
            channel.Writer.Complete();
            long written = await writer;
            return new PipeResult(written == rows ? rows : throw new DataEdgeException($"the bare pipe read {rows} rows but wrote {written}."), clock.Elapsed);
        }
        catch
        {
            channel.Writer.TryComplete();
            throw;
        }
    }

    private static async Task<long> Write(ChannelReader<(byte[] Chunk, int Length)> chunks, TableSchema table, string path, CancellationToken cancellation)
    {
        using var destination = new SqliteDestination(path);
        var statements = new List<SQLitePCL.sqlite3_stmt>();
        destination.Execute("BEGIN IMMEDIATE");
        try
        {
            destination.EnsureTables([table]);
            var insert = destination.Prepare(SqliteDestination.InsertSql(table), statements);
            var assembler = new RecordAssembler();
            await foreach (var (chunk, length) in chunks.ReadAllAsync(cancellation))
                assembler.Feed(chunk.AsSpan(0, length), row => destination.Insert(insert, table, row));
            assembler.Finish();
            destination.Execute("COMMIT");
            return assembler.Records;
        }
        catch
        {
            destination.Rollback();
            throw;
        }
        finally
        {
            foreach (var statement in statements) statement.Dispose();
        }
    }
}
