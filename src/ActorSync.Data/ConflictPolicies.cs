namespace ActorSync.Data;

public enum ConflictPolicy
{
    /// <summary>The version with the later timestamp wins; on a tie the source wins, so the outcome is deterministic.</summary>
    LastWriterWins,

    /// <summary>The source (MySQL, Hub B) version wins.</summary>
    SourceWins,

    /// <summary>The destination (SQLite, Hub C) version wins.</summary>
    DestinationWins,
}

/// <summary>The conflict policy: one default, and optional overrides per table.</summary>
public sealed class ConflictPolicies(ConflictPolicy fallback, IReadOnlyDictionary<string, ConflictPolicy>? perTable = null)
{
    public static readonly string[] Names = ["last-writer-wins", "source-wins", "destination-wins"];

    public ConflictPolicy Default { get; } = fallback;

    public IReadOnlyDictionary<string, ConflictPolicy> PerTable { get; } = perTable ?? new Dictionary<string, ConflictPolicy>();

    public ConflictPolicy For(string table) => PerTable.TryGetValue(table, out var policy) ? policy : Default;

    public static string Name(ConflictPolicy policy) => Names[(int)policy];

    /// <summary>Parses "--policy source-wins" and overrides such as "bank=last-writer-wins".</summary>
    public static ConflictPolicies Parse(string fallback, IEnumerable<string> overrides)
    {
        var perTable = new Dictionary<string, ConflictPolicy>(StringComparer.Ordinal);
        foreach (var entry in overrides)
        {
            int equals = entry.LastIndexOf('=');
            if (equals <= 0) throw new DataEdgeException($"table policy '{entry}' must look like TABLE=POLICY, e.g. bank=source-wins.");
            perTable[entry[..equals]] = ParseOne(entry[(equals + 1)..], $"the policy for table '{entry[..equals]}'");
        }
        return new ConflictPolicies(ParseOne(fallback, "the conflict policy"), perTable);
    }

    private static ConflictPolicy ParseOne(string text, string what)
    {
        int index = Array.IndexOf(Names, text.Trim().ToLowerInvariant());
        return index >= 0 ? (ConflictPolicy)index
            : throw new DataEdgeException($"{what} '{text}' is not one of: {string.Join(", ", Names)}.");
    }
}
