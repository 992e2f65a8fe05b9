namespace ActorSync.Data;

/// <summary>Quotes identifiers so that any name (spaces, quotes, backticks, unicode) is safe in SQL text.</summary>
public static class SqlIdentifier
{
    /// <summary>MySQL/MariaDB: `name`, with every backtick doubled.</summary>
    public static string MySql(string name)
    {
        Check(name);
        return "`" + name.Replace("`", "``", StringComparison.Ordinal) + "`";
    }

    /// <summary>SQLite (standard SQL): "name", with every double quote doubled.</summary>
    public static string Sqlite(string name)
    {
        Check(name);
        return "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    private static void Check(string name)
    {
        if (string.IsNullOrEmpty(name)) throw new ArgumentException("an identifier may not be empty.", nameof(name));
        if (name.Contains('\0')) throw new ArgumentException($"identifier '{name.Replace("\0", "\\0")}' contains a NUL character.", nameof(name));
    }
}
