using System.Globalization;
using ActorSync.Data.Encoding;
using ActorSync.Data.Schema;
using Microsoft.Data.Sqlite;

namespace ActorSync.Data.Sqlite;

/// <summary>A row changed at the destination since the last sync.</summary>
/// <param name="OldImage">The row as last synced (canonical), or null if the first change since then was an insert.</param>
/// <param name="At">When it changed, UTC, 'YYYY-MM-DD HH:MM:SS.SSS'.</param>
public sealed record LocalChange(long Sequence, char Operation, string At, byte[]? OldImage, byte[] Key);

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

    /// <summary>The table's change log, oldest first.</summary>
    public IReadOnlyList<LocalChange> ReadChanges(TableSchema table)
    {
        if (!HasTable("_actorsync_log_" + table.Name)) return [];
        using var command = _connection.CreateCommand();
        var old = string.Join("", table.Columns.Select((_, i) => $", o{i}"));
        var key = string.Join("", table.PrimaryKey.Select((_, i) => $", k{i}"));
        command.CommandText = $"SELECT _seq, _op, _at, _has_old{old}{key} FROM {ChangeCapture.LogTable(table)} ORDER BY _seq";
        using var reader = command.ExecuteReader();
        var changes = new List<LocalChange>();
        var image = new RowBuilder(table.Columns.Count);
        var keyBuilder = new RowBuilder(table.PrimaryKey.Count);
        int keyStart = 4 + table.Columns.Count;
        while (reader.Read())
        {
            byte[]? oldImage = null;
            if (reader.GetInt64(3) == 1)
            {
                image.Begin();
                for (int i = 0; i < table.Columns.Count; i++) SqliteTypeMap.Append(reader.GetValue(4 + i), table.Columns[i], image);
                oldImage = image.Complete().ToArray();
            }
            keyBuilder.Begin();
            int k = 0;
            foreach (var column in table.KeyColumns) SqliteTypeMap.Append(reader.GetValue(keyStart + k++), column, keyBuilder);
            changes.Add(new LocalChange(reader.GetInt64(0), reader.GetString(1)[0], reader.GetString(2), oldImage, keyBuilder.Complete().ToArray()));
        }
        return changes;
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
