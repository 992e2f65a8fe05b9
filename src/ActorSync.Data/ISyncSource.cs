using ActorSync.Data.Schema;

namespace ActorSync.Data;

/// <summary>
/// Hub B's database: MySQL/MariaDB in production (<see cref="MySql.MySqlSource"/>), or a SQLite file standing in for
/// it where no MySQL runs (<see cref="Sqlite.SqliteSource"/>). Both read into the same canonical rows, so batches,
/// digests and the destination do not depend on which one is behind the hub.
/// </summary>
public interface ISyncSource
{
    /// <summary>"mysql" or "sqlite": the database label in health reports, logs and metrics.</summary>
    string Kind { get; }

    /// <summary>What to name in an error: "MySQL user@host:3306/db" or "SQLite source /path/source.db".</summary>
    string Name { get; }

    /// <summary>A health check. Throws <see cref="DataEdgeException"/> saying what failed.</summary>
    Task PingAsync(CancellationToken cancellation = default);

    /// <summary>The tables to sync, in name order: all of them, or those named (each must exist).</summary>
    Task<IReadOnlyList<TableSchema>> DiscoverAsync(IReadOnlyCollection<string>? tables = null, CancellationToken cancellation = default);

    /// <summary>Streams a table's rows (key order where it has a key) from one consistent snapshot.</summary>
    Task<long> ReadAsync(TableSchema table, Action<ReadOnlySpan<byte>> onRow, CancellationToken cancellation = default);

    /// <summary>Reads like <see cref="ReadAsync"/>, with the table's "count|max(updated_at)" watermark from the same snapshot.</summary>
    Task<(long Rows, string? Watermark)> ReadWithWatermarkAsync(TableSchema table, Action<ReadOnlySpan<byte>> onRow, CancellationToken cancellation = default);

    /// <summary>The table's current watermark, or null if it has no updated_at-style column.</summary>
    Task<string?> ReadWatermarkAsync(TableSchema table, CancellationToken cancellation = default);

    /// <summary>The current row with this canonical key, or null.</summary>
    Task<byte[]?> ReadRowAsync(TableSchema table, byte[] key, CancellationToken cancellation = default);

    /// <summary>Writes rows back in one transaction: an upsert per row, or a delete where the row is null. All or nothing.</summary>
    Task WriteRowsAsync(IReadOnlyList<(TableSchema Table, byte[] Key, byte[]? Row)> writes, CancellationToken cancellation = default);
}
