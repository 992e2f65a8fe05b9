using ActorSync.Data.Schema;

namespace ActorSync.Data.Sqlite;

/// <summary>
/// The SQL that records rows changed at the destination: per table, a log table "_actorsync_log_&lt;table&gt;" and
/// AFTER INSERT/UPDATE/DELETE triggers that write to it. Each entry keeps the row's key and, for updates and
/// deletes, its old image: the version last synced, which is the base for conflict detection. Plain SQL, so the
/// triggers work for any program that writes the file. Log columns are untyped, so values keep their storage class.
/// </summary>
internal static class ChangeCapture
{
    public static string LogTable(TableSchema table) => SqlIdentifier.Sqlite("_actorsync_log_" + table.Name);

    private static string Trigger(TableSchema table, string kind) => SqlIdentifier.Sqlite($"_actorsync_{kind}_" + table.Name);

    public static string CreateLog(TableSchema table)
    {
        var old = string.Join("", table.Columns.Select((_, i) => $", o{i}"));
        var key = string.Join("", table.PrimaryKey.Select((_, i) => $", k{i}"));
        return $"CREATE TABLE IF NOT EXISTS {LogTable(table)} (_seq INTEGER PRIMARY KEY AUTOINCREMENT, _op TEXT NOT NULL, _at TEXT NOT NULL, _has_old INTEGER NOT NULL{old}{key})";
    }

    public static string CreateTriggers(TableSchema table)
    {
        var name = SqlIdentifier.Sqlite(table.Name);
        var log = LogTable(table);
        const string now = "strftime('%Y-%m-%d %H:%M:%f', 'now')";
        string Keys(string row) => string.Join(", ", table.KeyColumns.Select(c => $"{row}.{SqlIdentifier.Sqlite(c.Name)}"));
        var keyNames = string.Join(", ", table.PrimaryKey.Select((_, i) => $"k{i}"));
        var oldNames = string.Join(", ", table.Columns.Select((_, i) => $"o{i}"));
        var oldValues = string.Join(", ", table.Columns.Select(c => $"OLD.{SqlIdentifier.Sqlite(c.Name)}"));
        var sameKey = string.Join(" AND ", table.KeyColumns.Select(c => $"NEW.{SqlIdentifier.Sqlite(c.Name)} IS OLD.{SqlIdentifier.Sqlite(c.Name)}"));
        string Insert(string row) => $"INSERT INTO {log} (_op, _at, _has_old, {keyNames}) VALUES ('I', {now}, 0, {Keys(row)});";
        string WithOld(string op, string keyRow) => $"INSERT INTO {log} (_op, _at, _has_old, {oldNames}, {keyNames}) VALUES ('{op}', {now}, 1, {oldValues}, {Keys(keyRow)});";
        return $"""
            CREATE TRIGGER {Trigger(table, "ins")} AFTER INSERT ON {name} BEGIN {Insert("NEW")} END;
            CREATE TRIGGER {Trigger(table, "upd")} AFTER UPDATE ON {name} WHEN {sameKey} BEGIN {WithOld("U", "NEW")} END;
            CREATE TRIGGER {Trigger(table, "rekey")} AFTER UPDATE ON {name} WHEN NOT ({sameKey}) BEGIN {WithOld("D", "OLD")} {Insert("NEW")} END;
            CREATE TRIGGER {Trigger(table, "del")} AFTER DELETE ON {name} BEGIN {WithOld("D", "OLD")} END;
            """;
    }

    public static string DropTriggers(TableSchema table) =>
        string.Join(" ", new[] { "ins", "upd", "rekey", "del" }.Select(kind => $"DROP TRIGGER IF EXISTS {Trigger(table, kind)};"));
}
