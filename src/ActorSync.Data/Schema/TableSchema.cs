namespace ActorSync.Data.Schema;

/// <param name="SourceType">The column's type as the source declares it, e.g. <c>decimal(12,2) unsigned</c>.</param>
/// <param name="Scale">Digits after the point for DECIMAL; fractional-second digits for DATETIME, TIMESTAMP, TIME.</param>
/// <param name="Bits">Bit width for integers (8..64) and BIT(n).</param>
public sealed record ColumnSchema(string Name, ColumnKind Kind, bool Nullable, string SourceType, int Scale = 0, int Bits = 64);

/// <param name="PrimaryKey">Ordinals of the primary-key columns in key order; empty when the table has none.</param>
/// <param name="WatermarkColumn">Ordinal of an updated_at-style DATETIME/TIMESTAMP column, or −1.</param>
public sealed record TableSchema(string Name, IReadOnlyList<ColumnSchema> Columns, IReadOnlyList<int> PrimaryKey, int WatermarkColumn = -1)
{
    public bool HasPrimaryKey => PrimaryKey.Count > 0;

    public IEnumerable<ColumnSchema> KeyColumns => PrimaryKey.Select(i => Columns[i]);

    /// <summary>A one-line description of the shape, to compare two sides and to name in errors.</summary>
    public string Shape => string.Join(", ", Columns.Select(c => $"{c.Name} {c.Kind}{(c.Nullable ? " null" : "")}"))
        + (HasPrimaryKey ? $"; key ({string.Join(", ", KeyColumns.Select(c => c.Name))})" : "; no key");
}
