using System.Globalization;
using System.Text.RegularExpressions;
using ActorSync.Data.Schema;
using ActorSync.Data.Sqlite;

namespace ActorSync.Data.Cdc;

public enum SchemaStepKind
{
    CreateTable = 1,
    DropTable = 2,
    AddColumn = 3,
    DropColumn = 4,
    RenameColumn = 5,
    Truncate = 6,
}

/// <summary>
/// One step the destination takes to follow a source schema change exactly.
/// <paramref name="Column"/> names the column (its new name for a rename: <paramref name="OldName"/> is the old one).
/// <paramref name="Fill"/> is, for an added column, the value the source gave its existing rows as a one-column
/// canonical row, or null for NULL.
/// </summary>
public sealed record SchemaStep(SchemaStepKind Kind, string Column = "", string OldName = "", byte[]? Fill = null);

/// <summary>
/// A schema change of a followed table, carried in commit order with the row changes: the table as it is after it
/// (null once dropped), and the steps that take the destination there.
/// </summary>
public sealed record SchemaChange(string Table, string Statement, TableSchema? After, IReadOnlyList<SchemaStep> Steps);

/// <summary>What a source gave the existing rows of an added column: a value (a one-column canonical row, null for NULL), or why it cannot say.</summary>
public sealed record ColumnFill(byte[]? Value, string? Refusal = null)
{
    public static readonly ColumnFill Null = new(Value: null);

    public static ColumnFill Refused(string why) => new(Value: null, Refusal: why);
}

/// <summary>The plan for one DDL statement: a change to carry, nothing to do, or a refusal naming the table and column.</summary>
public sealed record SchemaPlan(SchemaChange? Change, string? Refusal)
{
    public static readonly SchemaPlan Nothing = new(null, null);
}

/// <summary>
/// Decides how a followed table's schema change reaches SQLite exactly, from the table before and after the
/// statement (pure: the caller reads the source). Carried: a new table, a dropped table, TRUNCATE, added columns
/// whose existing rows took a value the source can state, dropped and renamed non-key columns, and widenings that
/// change neither a stored value nor how SQLite stores it. Refused, by table and column: a changed primary key,
/// narrowing or retyping a column, a column turned NOT NULL, a fixed-width BINARY resized, an ENUM or SET whose
/// existing labels moved, a generated or expression-default column added, and a renamed table.
/// </summary>
public static partial class SchemaEvolution
{
    public static SchemaPlan Plan(TableSchema? before, TableSchema? after, string statement, Func<ColumnSchema, ColumnFill> fillFor)
    {
        string table = after?.Name ?? before?.Name ?? throw new ArgumentException("a schema change needs the table before or after it.");
        if (RenamesTable().IsMatch(statement))
            return Refuse(table, "it was renamed; continuous sync does not follow renamed tables");
        if (before is null && after is null) return SchemaPlan.Nothing;
        if (before is null)
        {
            if (!after!.HasPrimaryKey) return Refuse(table, "it has no primary key, which continuous sync needs to apply updates and deletes exactly");
            return Carry(statement, after, [new SchemaStep(SchemaStepKind.CreateTable)]);
        }
        if (after is null) return Carry(statement, null, [new SchemaStep(SchemaStepKind.DropTable)], table);
        if (IsTruncate().IsMatch(statement)) return Carry(statement, after, [new SchemaStep(SchemaStepKind.Truncate)]);

        var steps = new List<SchemaStep>();
        var renames = Renames(statement, before, after);
        string NameNow(string name) => renames.TryGetValue(name, out var renamed) ? renamed : name;
        var beforeByName = before.Columns.ToDictionary(c => NameNow(c.Name), StringComparer.OrdinalIgnoreCase);
        var afterByName = after.Columns.ToDictionary(c => c.Name, StringComparer.OrdinalIgnoreCase);

        var keyBefore = before.KeyColumns.Select(c => NameNow(c.Name)).ToArray();
        var keyAfter = after.KeyColumns.Select(c => c.Name).ToArray();
        if (!keyBefore.SequenceEqual(keyAfter, StringComparer.OrdinalIgnoreCase))
            return Refuse(table, $"its primary key changed from ({string.Join(", ", keyBefore)}) to ({string.Join(", ", keyAfter)})");

        foreach (var (old, renamed) in renames) steps.Add(new SchemaStep(SchemaStepKind.RenameColumn, renamed, old));
        foreach (var column in before.Columns.Where(c => !afterByName.ContainsKey(NameNow(c.Name))))
            steps.Add(new SchemaStep(SchemaStepKind.DropColumn, column.Name));
        foreach (var column in after.Columns.Where(c => !beforeByName.ContainsKey(c.Name)))
        {
            var fill = fillFor(column);
            if (fill.Refusal is { } why) return Refuse(table, $"column '{column.Name}' was added and {why}", column.Name);
            if (fill.Value is null && !column.Nullable) return Refuse(table, $"column '{column.Name}' was added NOT NULL, but the source gave no value for its existing rows", column.Name);
            steps.Add(new SchemaStep(SchemaStepKind.AddColumn, column.Name, Fill: fill.Value));
        }
        foreach (var column in after.Columns)
        {
            if (!beforeByName.TryGetValue(column.Name, out var was)) continue;
            if (Incompatible(was, column) is { } why) return Refuse(table, $"column '{column.Name}' changed from {was.SourceType}{Null(was)} to {column.SourceType}{Null(column)}: {why}", column.Name);
        }
        bool reshaped = steps.Count > 0 || before.Shape != after.Shape
                        || !before.Columns.Select(c => c.SourceType).SequenceEqual(after.Columns.Select(c => c.SourceType), StringComparer.OrdinalIgnoreCase);
        return reshaped ? Carry(statement, after, steps) : SchemaPlan.Nothing;
    }

    /// <summary>Why a kept column's change cannot be carried without touching stored values, or null if it can.</summary>
    internal static string? Incompatible(ColumnSchema was, ColumnSchema now)
    {
        if (was.Kind != now.Kind) return $"values are carried as {now.Kind} now, not {was.Kind}";
        if (SqliteTypeMap.DeclaredType(was) != SqliteTypeMap.DeclaredType(now)) return $"SQLite would store it as {SqliteTypeMap.DeclaredType(now)}, not {SqliteTypeMap.DeclaredType(was)}";
        if (was.Nullable && !now.Nullable) return "it became NOT NULL, so the source may have changed its NULLs";
        switch (now.Kind)
        {
            case ColumnKind.SignedInteger or ColumnKind.UnsignedInteger when now.Bits < was.Bits:
                return "it was narrowed, so the source may have cut stored values";
            case ColumnKind.Decimal or ColumnKind.DateTime or ColumnKind.Time when now.Scale != was.Scale:
                return $"its scale changed from {was.Scale} to {now.Scale}, which rounds or pads stored values";
            case ColumnKind.Decimal when Precision(now.SourceType) < Precision(was.SourceType):
                return "it was narrowed, so the source may have cut stored values";
            case ColumnKind.Text or ColumnKind.Binary:
                return TextOrBinary(was.SourceType, now.SourceType);
        }
        if (string.Equals(TypeName(was.SourceType), "timestamp", StringComparison.OrdinalIgnoreCase) != string.Equals(TypeName(now.SourceType), "timestamp", StringComparison.OrdinalIgnoreCase))
            return "DATETIME and TIMESTAMP values are converted through the session time zone";
        return null;
    }

    private static string? TextOrBinary(string was, string now)
    {
        string wasName = TypeName(was), nowName = TypeName(now);
        if (wasName is "enum" or "set" || nowName is "enum" or "set")
        {
            if (wasName != nowName) return "ENUM and SET values are stored differently";
            var before = Cdc.BinlogRowMapper.ParseLabels(was);
            var after = Cdc.BinlogRowMapper.ParseLabels(now);
            return after.Length >= before.Length && after.Take(before.Length).SequenceEqual(before, StringComparer.Ordinal)
                ? null : "labels were removed or reordered, so stored values may have changed (only appending labels is carried)";
        }
        if (wasName == "binary" || nowName == "binary")
            return wasName == nowName && Length(was) == Length(now) ? null : "BINARY(n) values are zero-padded to their width, so resizing changes them";
        if ((wasName == "json") != (nowName == "json")) return "JSON and text are validated and stored differently";
        long wasRoom = Room(wasName, was), nowRoom = Room(nowName, now);
        return nowRoom >= wasRoom ? null : "it was narrowed, so the source may have cut stored values";
    }

    /// <summary>How long a value the type holds can be (characters or bytes; long.MaxValue for JSON).</summary>
    private static long Room(string name, string type) => name switch
    {
        "char" or "varchar" or "varbinary" => Length(type),
        "tinytext" or "tinyblob" => 255,
        "text" or "blob" => 65_535,
        "mediumtext" or "mediumblob" => 16_777_215,
        "longtext" or "longblob" or "json" => long.MaxValue,
        _ => 0,
    };

    private static long Length(string type)
    {
        int open = type.IndexOf('('), close = type.IndexOf(')');
        return open > 0 && close > open && long.TryParse(type.AsSpan(open + 1, close - open - 1), NumberStyles.None, CultureInfo.InvariantCulture, out long n) ? n : 1;
    }

    private static int Precision(string type)
    {
        int open = type.IndexOf('('), comma = type.IndexOf(',');
        int end = comma > open ? comma : type.IndexOf(')');
        return open > 0 && end > open && int.TryParse(type.AsSpan(open + 1, end - open - 1), NumberStyles.None, CultureInfo.InvariantCulture, out int p) ? p : 10;
    }

    private static string TypeName(string type)
    {
        int end = type.IndexOfAny(['(', ' ']);
        return (end < 0 ? type : type[..end]).ToLowerInvariant();
    }

    private static string Null(ColumnSchema column) => column.Nullable ? " NULL" : " NOT NULL";

    /// <summary>The statement's column renames (CHANGE old new, RENAME COLUMN old TO new) that the two schemas confirm: old → new.</summary>
    private static Dictionary<string, string> Renames(string statement, TableSchema before, TableSchema after)
    {
        var renames = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (Match match in RenameColumn().Matches(statement))
        {
            string old = match.Groups["old"].Value, renamed = match.Groups["new"].Value;
            if (string.Equals(old, renamed, StringComparison.OrdinalIgnoreCase)) continue;
            bool confirmed = before.Columns.Any(c => string.Equals(c.Name, old, StringComparison.OrdinalIgnoreCase))
                             && after.Columns.Any(c => string.Equals(c.Name, renamed, StringComparison.OrdinalIgnoreCase))
                             && !after.Columns.Any(c => string.Equals(c.Name, old, StringComparison.OrdinalIgnoreCase));
            if (confirmed) renames[before.Columns.First(c => string.Equals(c.Name, old, StringComparison.OrdinalIgnoreCase)).Name] =
                after.Columns.First(c => string.Equals(c.Name, renamed, StringComparison.OrdinalIgnoreCase)).Name;
        }
        return renames;
    }

    private static SchemaPlan Carry(string statement, TableSchema? after, IReadOnlyList<SchemaStep> steps, string? table = null) =>
        new(new SchemaChange(table ?? after!.Name, statement, after, steps), null);

    private static SchemaPlan Refuse(string table, string why, string? column = null) =>
        new(null, $"table '{table}'{(column is null ? "" : $", column '{column}'")}: {why}");

    [GeneratedRegex(@"(?:\bCHANGE\s+(?:COLUMN\s+)?(?:IF\s+EXISTS\s+)?(?:`(?<old>[^`]+)`|(?<old>[^`\s,;()]+))\s+(?:`(?<new>[^`]+)`|(?<new>[^`\s,;()]+))|\bRENAME\s+COLUMN\s+(?:IF\s+EXISTS\s+)?(?:`(?<old>[^`]+)`|(?<old>[^`\s,;()]+))\s+TO\s+(?:`(?<new>[^`]+)`|(?<new>[^`\s,;()]+)))",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex RenameColumn();

    [GeneratedRegex(@"^\s*(?:RENAME\s+TABLE\b|ALTER\s+(?:ONLINE\s+|IGNORE\s+)*TABLE\s+\S+\s+(?:.*,\s*)?RENAME\s+(?:TO|AS)?\s*(?!COLUMN|INDEX|KEY))",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex RenamesTable();

    [GeneratedRegex(@"^\s*TRUNCATE\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex IsTruncate();
}
