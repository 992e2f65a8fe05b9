using ActorSync.Data.Schema;
using ActorSync.Data.Wire;

namespace ActorSync.Data;

/// <summary>One table of a snapshot: its rows and content digest (<see cref="Verify.TableDigest"/>) as read from the source.</summary>
public sealed record TableSummary(string Table, long Rows, string Digest, string? Watermark);

/// <summary>
/// What a dataset is, apart from its batches: the table schemas (to apply the batches) and each table's row count and
/// digest at the snapshot (to verify the destination against the source even while the source is down). It travels
/// with the batch manifest as opaque bytes, so the nodes keep it and the cluster can serve Hub C without MySQL.
/// </summary>
public sealed record DatasetCatalog(IReadOnlyList<TableSchema> Tables, IReadOnlyList<TableSummary> Summaries)
{
    private const int FormatVersion = 1;

    public byte[] Encode()
    {
        var writer = new CompactWriter().Int(FormatVersion).Int(Tables.Count);
        foreach (var table in Tables)
        {
            writer.String(table.Name).Int(table.Columns.Count);
            foreach (var column in table.Columns)
                writer.String(column.Name).Int((int)column.Kind).Bool(column.Nullable).String(column.SourceType).Int(column.Scale).Int(column.Bits);
            writer.Int(table.PrimaryKey.Count);
            foreach (var ordinal in table.PrimaryKey) writer.Int(ordinal);
            writer.Int(table.WatermarkColumn + 1);
        }
        writer.Int(Summaries.Count);
        foreach (var summary in Summaries) writer.String(summary.Table).Long(summary.Rows).String(summary.Digest).NullableString(summary.Watermark);
        return writer.ToArray();
    }

    public static DatasetCatalog Decode(byte[] encoded)
    {
        var reader = new CompactReader(encoded, "dataset catalog");
        int version = reader.Int();
        if (version != FormatVersion) throw new DataEdgeException($"the dataset catalog has format {version}; this build reads format {FormatVersion}.");
        var tables = new TableSchema[reader.Count()];
        for (int t = 0; t < tables.Length; t++)
        {
            string name = reader.String();
            var columns = new ColumnSchema[reader.Count()];
            for (int c = 0; c < columns.Length; c++)
            {
                string columnName = reader.String();
                int kind = reader.Int();
                if (!Enum.IsDefined((ColumnKind)kind)) throw new DataEdgeException($"the dataset catalog is damaged: column '{columnName}' of table '{name}' has unknown kind {kind}.");
                columns[c] = new ColumnSchema(columnName, (ColumnKind)kind, reader.Bool(), reader.String(), reader.Int(), reader.Int());
            }
            var key = new int[reader.Count()];
            for (int k = 0; k < key.Length; k++) key[k] = CheckedOrdinal(reader.Int(), columns.Length, name);
            int watermark = reader.Int() - 1;
            if (watermark >= columns.Length) throw new DataEdgeException($"the dataset catalog is damaged: table '{name}' names watermark column {watermark} of {columns.Length}.");
            tables[t] = new TableSchema(name, columns, key, watermark);
        }
        var summaries = new TableSummary[reader.Count()];
        for (int s = 0; s < summaries.Length; s++) summaries[s] = new TableSummary(reader.String(), reader.Long(), reader.String(), reader.NullableString());
        reader.End();
        return new DatasetCatalog(tables, summaries);
    }

    private static int CheckedOrdinal(int ordinal, int columns, string table) =>
        (uint)ordinal < (uint)columns ? ordinal
            : throw new DataEdgeException($"the dataset catalog is damaged: table '{table}' has key column {ordinal} of {columns}.");
}
