using System.Globalization;
using System.IO.Hashing;
using ActorSync.Data.Schema;

namespace ActorSync.Data.Encoding;

/// <summary>Operations on canonical rows that need the table's schema: keys, bucket hashing, display.</summary>
public static class CanonicalRows
{
    /// <summary>
    /// The row's identity: its primary-key columns encoded as a row of their own, or the whole row for a table
    /// without a key (identical duplicate rows then share an identity, and a bucket).
    /// </summary>
    public static ReadOnlySpan<byte> Key(ReadOnlySpan<byte> row, TableSchema table, RowBuilder keyBuilder)
    {
        if (!table.HasPrimaryKey) return row;
        int count = table.Columns.Count;
        var reader = new RowReader(row, count);
        // Where each value starts and ends (start = −1 for NULL); only up to the last key column is walked.
        int last = table.PrimaryKey.Max();
        Span<int> starts = count <= 64 ? stackalloc int[count] : new int[count];
        Span<int> lengths = count <= 64 ? stackalloc int[count] : new int[count];
        int offset = (count + 7) / 8;
        for (int i = 0; i <= last; i++)
        {
            if (reader.IsNull(i)) { starts[i] = -1; continue; }
            int length = reader.Value(table.Columns[i].Kind).Length;
            starts[i] = offset;
            lengths[i] = length;
            offset += length;
        }
        keyBuilder.Begin();
        foreach (var ordinal in table.PrimaryKey)
        {
            if (starts[ordinal] < 0) keyBuilder.Null();
            else keyBuilder.Raw(row.Slice(starts[ordinal], lengths[ordinal]));
        }
        return keyBuilder.Complete();
    }

    /// <summary>Which of N batches a row with this key belongs to; the same on every side and every run.</summary>
    public static int Bucket(ReadOnlySpan<byte> key, int batchCount) => (int)(XxHash3.HashToUInt64(key) % (ulong)batchCount);

    public static RowBuilder KeyBuilder(TableSchema table) =>
        new(table.HasPrimaryKey ? table.PrimaryKey.Count : table.Columns.Count);

    /// <summary>The value of column <paramref name="ordinal"/> as its packed or integer form, or null if NULL.</summary>
    public static ulong? PackedValue(ReadOnlySpan<byte> row, TableSchema table, int ordinal)
    {
        var reader = new RowReader(row, table.Columns.Count);
        for (int i = 0; i < ordinal; i++)
            if (!reader.IsNull(i)) reader.Value(table.Columns[i].Kind);
        return reader.IsNull(ordinal) ? null : reader.Unsigned();
    }

    /// <summary>A whole row for people, as in the conflict log: <c>id=42, job='admin.', …</c>.</summary>
    public static string DescribeRow(ReadOnlySpan<byte> row, TableSchema table)
    {
        var reader = new RowReader(row, table.Columns.Count);
        var parts = new List<string>(table.Columns.Count);
        for (int i = 0; i < table.Columns.Count; i++)
            parts.Add($"{table.Columns[i].Name}={(reader.IsNull(i) ? "NULL" : Display(ref reader, table.Columns[i]))}");
        return string.Join(", ", parts);
    }

    /// <summary>
    /// The reader's next value as a natural .NET value: long, ulong, float, double, string or byte[]; DECIMAL and
    /// temporal values as their exact text; DBNull for NULL. Both databases accept these as parameters.
    /// </summary>
    public static object ToValue(ColumnSchema column, bool isNull, ref RowReader row)
    {
        if (isNull) return DBNull.Value;
        return column.Kind switch
        {
            ColumnKind.SignedInteger => row.Signed(),
            ColumnKind.UnsignedInteger => row.Unsigned(),
            ColumnKind.Decimal => DecimalText.Format(row.Decimal(), column.Scale),
            ColumnKind.Float => row.Float(),
            ColumnKind.Double => row.Double(),
            ColumnKind.Text => System.Text.Encoding.UTF8.GetString(row.Bytes()),
            ColumnKind.Binary => row.Bytes().ToArray(),
            ColumnKind.Date => Temporal.DateText(row.Unsigned()),
            ColumnKind.DateTime => Temporal.DateTimeText(row.Unsigned(), column.Scale),
            ColumnKind.Time => Temporal.TimeText(row.Signed(), column.Scale),
            _ => throw new ArgumentOutOfRangeException(nameof(column), column.Kind, "unknown column kind"),
        };
    }

    /// <summary>A key for people: <c>id=42</c>, <c>a=1, b='x'</c>.</summary>
    public static string DescribeKey(ReadOnlySpan<byte> key, TableSchema table)
    {
        var columns = table.HasPrimaryKey ? table.KeyColumns.ToArray() : table.Columns.ToArray();
        var reader = new RowReader(key, columns.Length);
        var parts = new List<string>();
        for (int i = 0; i < columns.Length; i++)
            parts.Add($"{columns[i].Name}={(reader.IsNull(i) ? "NULL" : Display(ref reader, columns[i]))}");
        return string.Join(", ", parts);
    }

    private static string Display(ref RowReader reader, ColumnSchema column) => column.Kind switch
    {
        ColumnKind.SignedInteger => reader.Signed().ToString(CultureInfo.InvariantCulture),
        ColumnKind.UnsignedInteger => reader.Unsigned().ToString(CultureInfo.InvariantCulture),
        ColumnKind.Decimal => DecimalText.Format(reader.Decimal(), column.Scale),
        ColumnKind.Float => reader.Float().ToString("R", CultureInfo.InvariantCulture),
        ColumnKind.Double => reader.Double().ToString("R", CultureInfo.InvariantCulture),
        ColumnKind.Text => "'" + System.Text.Encoding.UTF8.GetString(reader.Bytes()) + "'",
        ColumnKind.Binary => "0x" + Convert.ToHexString(reader.Bytes()),
        ColumnKind.Date => Temporal.DateText(reader.Unsigned()),
        ColumnKind.DateTime => Temporal.DateTimeText(reader.Unsigned(), column.Scale),
        ColumnKind.Time => Temporal.TimeText(reader.Signed(), column.Scale),
        _ => "?",
    };
}
