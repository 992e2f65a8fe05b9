using System.Diagnostics;
using System.Text.Json.Serialization;
using ActorSync.Cli;
using ActorSync.Data;
using ActorSync.Data.MySql;
using ActorSync.Data.Sqlite;
using ActorSync.Data.Verify;
using ActorSync.Tooling;

namespace ActorSync.Lab;

/// <summary>Rows per second of each stage of a MySQL → SQLite sync, measured in one run so the ratios are fair.</summary>
public sealed record DataBenchResult(
    [property: JsonPropertyName("rows")] long Rows,
    [property: JsonPropertyName("batches")] int Batches,
    [property: JsonPropertyName("dataset_bytes")] long DatasetBytes,
    [property: JsonPropertyName("read_rows_per_s")] double ReadRowsPerSecond,
    [property: JsonPropertyName("snapshot_rows_per_s")] double SnapshotRowsPerSecond,
    [property: JsonPropertyName("apply_rows_per_s")] double ApplyRowsPerSecond,
    [property: JsonPropertyName("verify_rows_per_s")] double VerifyRowsPerSecond,
    [property: JsonPropertyName("pipeline_rows_per_s")] double PipelineRowsPerSecond,
    [property: JsonPropertyName("pipeline_over_slowest_stage")] double PipelineOverSlowestStage,
    [property: JsonPropertyName("target_apply_at_least_300k_rows_per_s")] bool MeetsApplyTarget);

[JsonSerializable(typeof(DataBenchResult))]
[JsonSourceGenerationOptions(WriteIndented = true)]
internal sealed partial class DataBenchJsonContext : JsonSerializerContext;

public static class DataBench
{
    /// <summary>
    /// Loads <paramref name="rows"/> synthetic bank rows into table bench_bank (replacing it), then times:
    /// the MySQL read with canonical encoding (the read ceiling), the snapshot into key-hash batches, the SQLite
    /// apply of every batch into a fresh file (the write ceiling), and the two-sided verification.
    /// </summary>
    public static async Task<DataBenchResult> RunAsync(MySqlSource source, long rows, int batches, string workDirectory)
    {
        const string table = "bench_bank";
        await BankSeeder.SeedAsync(source, table, BankRow.Generate(rows, seed: 7), replace: true);
        var schemas = await source.DiscoverAsync([table]);

        var clock = Stopwatch.StartNew();
        long read = await source.ReadAsync(schemas[0], _ => { });
        double readSeconds = clock.Elapsed.TotalSeconds;

        clock.Restart();
        using var dataset = await Dataset.ReadAsync(source, schemas, batches, workDirectory);
        double snapshotSeconds = clock.Elapsed.TotalSeconds;

        var file = Path.Combine(workDirectory, $"actorsync-bench-{Guid.NewGuid():N}.db");
        try
        {
            using var destination = new SqliteDestination(file);
            clock.Restart();
            var applied = destination.Apply(schemas, dataset.Manifest, Enumerable.Range(0, batches).ToArray(), dataset.ReadBatch);
            double applySeconds = clock.Elapsed.TotalSeconds;

            clock.Restart();
            var verified = await Verifier.CompareAsync(source, destination, schemas);
            double verifySeconds = clock.Elapsed.TotalSeconds;
            if (!verified.All(v => v.Equal)) throw new DataEdgeException("the benchmark's destination did not verify equal to its source.");

            double PerSecond(double seconds) => Math.Round(read / seconds);
            double slowest = Math.Min(PerSecond(snapshotSeconds), PerSecond(applySeconds));
            double pipeline = PerSecond(snapshotSeconds + applySeconds);
            return new DataBenchResult(read, batches, (long)dataset.Manifest.BatchSize * batches,
                PerSecond(readSeconds), PerSecond(snapshotSeconds), PerSecond(applySeconds), Math.Round(2 * read / verifySeconds),
                pipeline, Math.Round(pipeline / slowest, 3), applied.RowsWritten / applySeconds >= 300_000);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            foreach (var suffix in new[] { "", "-wal", "-shm" }) File.Delete(file + suffix);
        }
    }
}
