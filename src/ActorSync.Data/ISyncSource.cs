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

    /// <summary>The tables the filter selects, in name order, without the columns it leaves out.</summary>
    Task<IReadOnlyList<TableSchema>> DiscoverAsync(SyncFilter filter, CancellationToken cancellation = default);

    /// <summary>Streams a table's rows (key order where it has a key) from one consistent snapshot.</summary>
    Task<long> ReadAsync(TableSchema table, Action<ReadOnlySpan<byte>> onRow, CancellationToken cancellation = default);

    /// <summary>
    /// Reads like <see cref="ReadAsync"/>, with the table's "count|max(updated_at)" watermark from the same snapshot.
    /// <paramref name="afterRow"/>, if given, is awaited after each row: the reader waits while its consumer is full.
    /// </summary>
    Task<(long Rows, string? Watermark)> ReadWithWatermarkAsync(TableSchema table, Action<ReadOnlySpan<byte>> onRow, CancellationToken cancellation = default,
        Func<ValueTask>? afterRow = null);

    /// <summary>The table's current watermark, or null if it has no updated_at-style column.</summary>
    Task<string?> ReadWatermarkAsync(TableSchema table, CancellationToken cancellation = default);

    /// <summary>The current row with this canonical key, or null.</summary>
    Task<byte[]?> ReadRowAsync(TableSchema table, byte[] key, CancellationToken cancellation = default);

    /// <summary>Starts one reverse-sync transaction: rows are read inside it, locked where the database can, and written back, all or nothing.</summary>
    Task<ISourceWriter> BeginWriteAsync(CancellationToken cancellation = default);

    /// <summary>
    /// Opens one consistent read snapshot (one connection, one transaction) for a dataset: every table read through
    /// it sees the same instant, so tables linked by foreign keys agree within the dataset.
    /// </summary>
    Task<ISourceSnapshot> OpenSnapshotAsync(CancellationToken cancellation = default);
}

/// <summary>One read snapshot of the source, from <see cref="ISyncSource.OpenSnapshotAsync"/>. One read at a time.</summary>
public interface ISourceSnapshot : IAsyncDisposable
{
    /// <summary>As <see cref="ISyncSource.ReadWithWatermarkAsync"/>, inside this snapshot.</summary>
    Task<(long Rows, string? Watermark)> ReadWithWatermarkAsync(TableSchema table, Action<ReadOnlySpan<byte>> onRow, CancellationToken cancellation = default,
        Func<ValueTask>? afterRow = null);

    /// <summary>As <see cref="ISyncSource.ReadWatermarkAsync"/>, inside this snapshot.</summary>
    Task<string?> ReadWatermarkAsync(TableSchema table, CancellationToken cancellation = default);

    /// <summary>The binlog position this snapshot sees up to (FILE:OFFSET), or empty where the source has none.</summary>
    Task<string> ReadLogPositionAsync(CancellationToken cancellation = default) => Task.FromResult("");
}

/// <summary>
/// One transaction at the source for reverse sync. Rows are read inside it (MySQL: SELECT … FOR UPDATE), so a write
/// made at the source meanwhile is either seen or waits, never overwritten unseen; writes are batched. Nothing is
/// written unless <see cref="CommitAsync"/> succeeds; disposing without it rolls back.
/// </summary>
public interface ISourceWriter : IAsyncDisposable
{
    /// <summary>The current rows for these canonical keys (null where there is none), in the keys' order.</summary>
    Task<IReadOnlyList<byte[]?>> ReadRowsAsync(TableSchema table, IReadOnlyList<byte[]> keys, CancellationToken cancellation = default);

    /// <summary>Upserts the row, or deletes the key where the row is null.</summary>
    Task WriteAsync(TableSchema table, byte[] key, byte[]? row, CancellationToken cancellation = default);

    /// <summary>Rows written so far.</summary>
    int Written { get; }

    Task CommitAsync(CancellationToken cancellation = default);
}
