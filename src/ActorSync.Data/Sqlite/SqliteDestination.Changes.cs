using System.Globalization;
using ActorSync.Data.Encoding;
using ActorSync.Data.Schema;
using Microsoft.Data.Sqlite;

namespace ActorSync.Data.Sqlite;

/// <summary>One conflict as written to _actorsync_conflicts.</summary>
public sealed record ConflictRecord(string Table, string Key, string Policy, string Winner, string SourceVersion, string DestinationVersion);

public sealed partial class SqliteDestination
{
    public bool CaptureEnabled => ReadMeta("capture") == "on";

    /// <summary>Starts recording rows changed at the destination, for reverse sync. Tables need a primary key.</summary>
    public void EnableChangeCapture(IReadOnlyList<TableSchema> tables)
    {
        var keyless = tables.Where(t => !t.HasPrimaryKey).Select(t => $"'{t.Name}'").ToArray();
        if (keyless.Length > 0)
            throw new DataEdgeException($"table {string.Join(", ", keyless)} has no primary key, so rows changed at the destination cannot be matched back to the source; reverse sync needs one.");
        try
        {
            Execute("BEGIN IMMEDIATE");
            foreach (var table in tables.Where(t => HasTable(t.Name)))
                Execute(ChangeCapture.CreateLog(table) + "; " + ChangeCapture.DropTriggers(table) + " " + ChangeCapture.CreateTriggers(table));
            WriteMeta("capture", "on");
            Execute("COMMIT");
        }
        catch (SqliteException error)
        {
            Rollback();
            throw new DataEdgeException($"SQLite destination {Path}: enabling change capture failed: {Explain(error)}", error);
        }
    }

    /// <summary>How many local changes wait to be synced back, over the given tables.</summary>
    public long PendingChanges(IReadOnlyList<TableSchema> tables) =>
        !CaptureEnabled ? 0 : tables.Where(t => HasTable("_actorsync_log_" + t.Name)).Sum(t =>
        {
            using var command = _connection.CreateCommand();
            command.CommandText = $"SELECT COUNT(*) FROM {ChangeCapture.LogTable(t)}";
            return (long)command.ExecuteScalar()!;
        });

    /// <summary>The last sequence in the table's change log, or null if nothing changed.</summary>
    public long? LastLogSequence(TableSchema table)
    {
        if (!HasTable("_actorsync_log_" + table.Name)) return null;
        using var command = _connection.CreateCommand();
        command.CommandText = $"SELECT MAX(_seq) FROM {ChangeCapture.LogTable(table)}";
        return command.ExecuteScalar() is long last ? last : null;
    }

    /// <summary>How many keys changed locally in the table.</summary>
    public int ChangedKeys(TableSchema table)
    {
        if (!HasTable("_actorsync_log_" + table.Name)) return 0;
        using var command = _connection.CreateCommand();
        var keys = string.Join(", ", table.PrimaryKey.Select((_, i) => $"k{i}"));
        command.CommandText = $"SELECT COUNT(*) FROM (SELECT 1 FROM {ChangeCapture.LogTable(table)} GROUP BY {keys})";
        return (int)(long)command.ExecuteScalar()!;
    }

    /// <summary>
    /// Each key changed in the table's log up to <paramref name="upTo"/>, read key by key (the log ordered by key, then
    /// sequence): its first old image (the row as last synced; null if it was inserted since), its latest change time,
    /// and its row now (null if deleted).
    /// </summary>
    public IEnumerable<ReverseChange> ChangesByKey(TableSchema table, long upTo)
    {
        using var command = _connection.CreateCommand();
        var old = string.Join("", table.Columns.Select((_, i) => $", o{i}"));
        var keyNames = table.PrimaryKey.Select((_, i) => $"k{i}").ToArray();
        command.CommandText = $"SELECT _seq, _at, _has_old{old}, {string.Join(", ", keyNames)} FROM {ChangeCapture.LogTable(table)} " +
                              $"WHERE _seq <= {upTo.ToString(CultureInfo.InvariantCulture)} ORDER BY {string.Join(", ", keyNames)}, _seq";
        using var reader = command.ExecuteReader();
        var image = new RowBuilder(table.Columns.Count);
        var keyBuilder = new RowBuilder(table.PrimaryKey.Count);
        int keyStart = 3 + table.Columns.Count;
        byte[]? key = null, baseRow = null;
        string lastAt = "";
        while (reader.Read())
        {
            keyBuilder.Begin();
            int k = 0;
            foreach (var column in table.KeyColumns) SqliteTypeMap.Append(reader.GetValue(keyStart + k++), column, keyBuilder);
            var rowKey = keyBuilder.Complete().ToArray();
            if (key is null || !rowKey.AsSpan().SequenceEqual(key))
            {
                if (key is not null) yield return new ReverseChange(key, baseRow, ReadRow(table, key), lastAt);
                key = rowKey;
                baseRow = null;
                if (reader.GetInt64(2) == 1)
                {
                    // The key's first change: its old image is the row as last synced.
                    image.Begin();
                    for (int i = 0; i < table.Columns.Count; i++) SqliteTypeMap.Append(reader.GetValue(3 + i), table.Columns[i], image);
                    baseRow = image.Complete().ToArray();
                }
                lastAt = "";
            }
            var at = reader.GetString(1);
            if (string.CompareOrdinal(at, lastAt) > 0) lastAt = at;
        }
        if (key is not null) yield return new ReverseChange(key, baseRow, ReadRow(table, key), lastAt);
    }

    /// <summary>The destination's current row with this canonical key, or null.</summary>
    public byte[]? ReadRow(TableSchema table, ReadOnlySpan<byte> key)
    {
        using var command = _connection.CreateCommand();
        var where = string.Join(" AND ", table.KeyColumns.Select((c, i) => $"{SqlIdentifier.Sqlite(c.Name)} IS $k{i}"));
        command.CommandText = $"SELECT {string.Join(", ", table.Columns.Select(c => SqlIdentifier.Sqlite(c.Name)))} FROM {SqlIdentifier.Sqlite(table.Name)} WHERE {where}";
        var reader = new RowReader(key, table.PrimaryKey.Count);
        int index = 0;
        foreach (var column in table.KeyColumns)
            command.Parameters.AddWithValue($"$k{index}", SqliteTypeMap.ToParameter(column, reader.IsNull(index++), ref reader));
        using var rows = command.ExecuteReader();
        if (!rows.Read()) return null;
        var row = new RowBuilder(table.Columns.Count);
        row.Begin();
        for (int i = 0; i < table.Columns.Count; i++) SqliteTypeMap.Append(rows.GetValue(i), table.Columns[i], row);
        return row.Complete().ToArray();
    }

    /// <summary>
    /// After a reverse sync: drops the processed log entries, records the conflicts, and forgets the digests of the
    /// batches the changed keys live in, so the next forward sync ships them and both sides converge. One transaction.
    /// </summary>
    public void CompleteReverse(IReadOnlyDictionary<TableSchema, long> processedUpTo, IEnumerable<int> batchesToReship, IReadOnlyList<ConflictRecord> conflicts)
    {
        try
        {
            Execute("BEGIN IMMEDIATE");
            foreach (var (table, upTo) in processedUpTo)
                Execute($"DELETE FROM {ChangeCapture.LogTable(table)} WHERE _seq <= {upTo.ToString(CultureInfo.InvariantCulture)}");
            foreach (var batch in batchesToReship) Execute($"DELETE FROM _actorsync_batches WHERE batch = {batch.ToString(CultureInfo.InvariantCulture)}");
            foreach (var conflict in conflicts)
            {
                using var command = _connection.CreateCommand();
                command.CommandText = """
                    INSERT INTO _actorsync_conflicts (at, table_name, key, policy, winner, source_version, destination_version)
                    VALUES (strftime('%Y-%m-%d %H:%M:%f', 'now'), $table, $key, $policy, $winner, $source, $destination)
                    """;
                command.Parameters.AddWithValue("$table", conflict.Table);
                command.Parameters.AddWithValue("$key", conflict.Key);
                command.Parameters.AddWithValue("$policy", conflict.Policy);
                command.Parameters.AddWithValue("$winner", conflict.Winner);
                command.Parameters.AddWithValue("$source", conflict.SourceVersion);
                command.Parameters.AddWithValue("$destination", conflict.DestinationVersion);
                command.ExecuteNonQuery();
            }
            Execute("COMMIT");
        }
        catch (SqliteException error)
        {
            Rollback();
            throw new DataEdgeException($"SQLite destination {Path}: recording the reverse sync failed: {Explain(error)}", error);
        }
    }

    /// <summary>The batch count of the last forward sync, or null before the first.</summary>
    public int? LastBatchCount => int.TryParse(ReadMeta("batch_count"), CultureInfo.InvariantCulture, out var n) ? n : null;
}
