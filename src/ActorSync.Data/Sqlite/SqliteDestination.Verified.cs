using ActorSync.Data.Schema;

namespace ActorSync.Data.Sqlite;

/// <summary>What a table looked like at its last verified-equal sync: the source watermark and the content digest.</summary>
public sealed record VerifiedState(string Watermark, string Digest);

public sealed partial class SqliteDestination
{
    /// <summary>
    /// The table's state at the last sync that verified equal, if the layout is still the same; else null.
    /// Used to rebuild an unchanged table's batches from here instead of scanning the source again.
    /// </summary>
    public VerifiedState? LastVerified(TableSchema table, IReadOnlyList<TableSchema> tables, int batchCount, Coding.SegmentLayout layout)
    {
        if (ReadMeta("layout") != Layout(tables, batchCount, layout)) return null;
        var value = ReadMeta("verified:" + table.Name);
        int split = value?.LastIndexOf('#') ?? -1;
        return split < 0 ? null : new VerifiedState(value![..split], value[(split + 1)..]);
    }

    /// <summary>Forgets every recorded batch digest, so the next apply of all batches replaces everything.</summary>
    public void ForgetBatches() => Execute("DELETE FROM _actorsync_batches");

    /// <summary>Records, per table, the verified state, or forgets it (null) after a sync that did not verify.</summary>
    public void RecordVerified(IReadOnlyDictionary<string, VerifiedState?> states)
    {
        foreach (var (table, state) in states)
        {
            if (state is null)
            {
                using var delete = _connection.CreateCommand();
                delete.CommandText = "DELETE FROM _actorsync_meta WHERE key = $key";
                delete.Parameters.AddWithValue("$key", "verified:" + table);
                delete.ExecuteNonQuery();
            }
            else WriteMeta("verified:" + table, $"{state.Watermark}#{state.Digest}");
        }
    }
}
