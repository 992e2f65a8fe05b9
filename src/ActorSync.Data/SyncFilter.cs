using System.Text.RegularExpressions;
using ActorSync.Data.Schema;
using ActorSync.Data.Wire;

namespace ActorSync.Data;

/// <summary>
/// Which tables and columns are synced, the same for a snapshot and for continuous sync. Table names may be patterns
/// (<c>*</c> any run of characters, <c>?</c> one); a plain name must exist. <see cref="Tables"/> empty means every
/// table; <see cref="ExcludeTables"/> takes tables out again; <see cref="ExcludeColumns"/> takes columns out, written
/// <c>table.column</c> (the table part may be a pattern). A key column cannot be left out: rows could no longer be told apart.
/// </summary>
public sealed record SyncFilter(IReadOnlyList<string> Tables, IReadOnlyList<string> ExcludeTables, IReadOnlyList<string> ExcludeColumns)
{
    public static readonly SyncFilter Everything = new([], [], []);

    /// <summary>Exactly these tables (each must exist), all of their columns.</summary>
    public static SyncFilter Only(IReadOnlyCollection<string>? tables) => new(tables?.ToArray() ?? [], [], []);

    /// <summary>Refuses a malformed entry, naming the setting it came from.</summary>
    public SyncFilter Validated(string tablesSetting = "tables", string excludeSetting = "exclude-tables", string columnsSetting = "exclude-columns")
    {
        foreach (var entry in Tables.Concat(ExcludeTables))
            if (entry.Trim().Length == 0) throw new DataEdgeException($"{(Tables.Contains(entry) ? tablesSetting : excludeSetting)}: an entry is empty.");
        foreach (var entry in ExcludeColumns)
        {
            int dot = entry.LastIndexOf('.');
            if (dot <= 0 || dot == entry.Length - 1)
                throw new DataEdgeException($"{columnsSetting}: '{entry}' is not table.column (the table part may be a pattern, e.g. *.ssn).");
        }
        return this;
    }

    /// <summary>The plain (pattern-free) names the filter requires to exist.</summary>
    public IEnumerable<string> RequiredTables => Tables.Where(t => !IsPattern(t));

    public bool IncludesTable(string table) =>
        (Tables.Count == 0 || Tables.Any(p => Matches(p, table))) && !ExcludeTables.Any(p => Matches(p, table));

    /// <summary>Whether the filter leaves this column of this table out.</summary>
    public bool ExcludesColumn(string table, string column) => ExcludeColumns.Any(entry =>
    {
        int dot = entry.LastIndexOf('.');
        return Matches(entry[..dot], table) && string.Equals(entry[(dot + 1)..], column, StringComparison.OrdinalIgnoreCase);
    });

    /// <summary>The tables to describe, from every table the source has, in name order; a required one that is missing is named.</summary>
    public IReadOnlyList<string> Select(IReadOnlyList<string> sourceTables, string sourceName)
    {
        var missing = RequiredTables.Where(t => !sourceTables.Contains(t, StringComparer.Ordinal)).ToArray();
        if (missing.Length > 0) throw new DataEdgeException($"{sourceName}: no table {string.Join(", ", missing.Select(m => $"'{m}'"))}.");
        return sourceTables.Where(IncludesTable).Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>The table without its left-out columns; the key and watermark ordinals follow.</summary>
    public TableSchema Project(TableSchema table)
    {
        var kept = KeptOrdinals(table);
        if (kept.Count == table.Columns.Count) return table;
        foreach (int key in table.PrimaryKey)
            if (!kept.Contains(key))
                throw new DataEdgeException($"table '{table.Name}', column '{table.Columns[key].Name}': it is part of the primary key and cannot be left out (exclude-columns).");
        int Remap(int ordinal) => kept.IndexOf(ordinal);
        return new TableSchema(table.Name, kept.Select(i => table.Columns[i]).ToArray(), table.PrimaryKey.Select(Remap).ToArray(),
            table.WatermarkColumn >= 0 ? Remap(table.WatermarkColumn) : -1);
    }

    /// <summary>The ordinals, in the full table, of the columns the filter keeps.</summary>
    public List<int> KeptOrdinals(TableSchema table) =>
        Enumerable.Range(0, table.Columns.Count).Where(i => !ExcludesColumn(table.Name, table.Columns[i].Name)).ToList();

    private const int FormatVersion = 1;

    public byte[] Encode()
    {
        var writer = new CompactWriter().Int(FormatVersion);
        foreach (var list in new[] { Tables, ExcludeTables, ExcludeColumns })
        {
            writer.Int(list.Count);
            foreach (var entry in list) writer.String(entry);
        }
        return writer.ToArray();
    }

    /// <summary>An encoded filter; empty bytes (a capture begun before filters) mean every table and column.</summary>
    public static SyncFilter Decode(byte[] encoded)
    {
        if (encoded.Length == 0) return Everything;
        var reader = new CompactReader(encoded, "sync filter");
        int version = reader.Int();
        if (version != FormatVersion) throw new DataEdgeException($"the sync filter has format {version}; this build reads format {FormatVersion}.");
        var lists = new string[3][];
        for (int l = 0; l < 3; l++)
        {
            lists[l] = new string[reader.Count()];
            for (int i = 0; i < lists[l].Length; i++) lists[l][i] = reader.String();
        }
        reader.End();
        return new SyncFilter(lists[0], lists[1], lists[2]);
    }

    private static bool IsPattern(string name) => name.IndexOfAny(['*', '?']) >= 0;

    private static bool Matches(string pattern, string name) => IsPattern(pattern)
        ? Regex.IsMatch(name, "^" + Regex.Escape(pattern).Replace(@"\*", ".*").Replace(@"\?", ".") + "$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1))
        : string.Equals(pattern, name, StringComparison.Ordinal);
}
