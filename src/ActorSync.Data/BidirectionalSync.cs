using ActorSync.Data.MySql;
using ActorSync.Data.Sqlite;

namespace ActorSync.Data;

public sealed record BidirectionalReport(ReverseReport Reverse, SyncReport Forward);

/// <summary>
/// One bidirectional cycle: destination changes back to the source (with conflicts resolved), then the source
/// forward to the destination, verified. The first cycle has nothing to send back; it turns change capture on.
/// </summary>
public static class BidirectionalSync
{
    public static async Task<BidirectionalReport> RunAsync(ISyncSource source, SqliteDestination destination, int batchCount,
        ConflictPolicies policies, IReadOnlyCollection<string>? tables = null, string? spoolDirectory = null, CancellationToken cancellation = default)
    {
        var schemas = await source.DiscoverAsync(tables, cancellation);
        var keyless = schemas.Where(t => !t.HasPrimaryKey).Select(t => $"'{t.Name}'").ToArray();
        if (keyless.Length > 0)
            throw new DataEdgeException($"table {string.Join(", ", keyless)} has no primary key; bidirectional sync needs one to match rows (sync it one way, or add a key).");

        var reverse = destination.CaptureEnabled
            ? await ReverseSync.RunAsync(source, destination, schemas, policies, cancellation)
            : new ReverseReport(0, 0, []);
        var forward = await DirectSync.RunAsync(source, destination, batchCount, tables, spoolDirectory, cancellation);
        if (!destination.CaptureEnabled) destination.EnableChangeCapture(schemas);
        return new BidirectionalReport(reverse, forward);
    }
}
