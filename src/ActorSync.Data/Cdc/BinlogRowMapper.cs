using System.Text;
using ActorSync.Binlog;
using ActorSync.Data.Encoding;
using ActorSync.Data.Schema;

namespace ActorSync.Data.Cdc;

/// <summary>
/// Turns one table's binlog cells (<see cref="RowDecoder"/>) into canonical rows and keys: the same bytes the snapshot
/// reads for the same values, so the stream and the snapshot agree byte for byte. Built from the table's schema and
/// each column's character set; columns the mapper cannot carry exactly are refused when it is built.
/// </summary>
public sealed class BinlogRowMapper
{
    private readonly TableSchema _table;
    private readonly System.Text.Encoding?[] _charsets;
    private readonly string[][] _labels;
    private readonly RowBuilder _row;
    private readonly RowBuilder _key;
    private readonly int[] _sourceOrdinals;
    private readonly int _sourceColumns;

    /// <param name="charsets">Each column's character set from information_schema (null or empty for non-text columns).</param>
    /// <param name="sourceOrdinals">Where each of the table's columns is in the source's rows, which the binlog logs
    /// whole (columns a filter leaves out are skipped); null when the table has every source column.</param>
    /// <param name="sourceColumns">How many columns the source's rows have, with <paramref name="sourceOrdinals"/>.</param>
    public BinlogRowMapper(TableSchema table, IReadOnlyList<string?> charsets, IReadOnlyList<int>? sourceOrdinals = null, int sourceColumns = 0)
    {
        _sourceOrdinals = sourceOrdinals?.ToArray() ?? Enumerable.Range(0, table.Columns.Count).ToArray();
        _sourceColumns = sourceOrdinals is null ? table.Columns.Count : sourceColumns;
        if (_sourceOrdinals.Length != table.Columns.Count || _sourceOrdinals.Any(o => o < 0 || o >= _sourceColumns))
            throw new ArgumentException($"table '{table.Name}': the column map does not fit its {table.Columns.Count} columns in rows of {_sourceColumns}.", nameof(sourceOrdinals));
        if (!table.HasPrimaryKey)
            throw new DataEdgeException($"table '{table.Name}' has no primary key: continuous sync needs one to apply updates and deletes exactly (sync cycles still copy it).");
        _table = table;
        _charsets = new System.Text.Encoding?[table.Columns.Count];
        _labels = new string[table.Columns.Count][];
        for (int i = 0; i < table.Columns.Count; i++)
        {
            var column = table.Columns[i];
            if (column.Kind == ColumnKind.Text) _charsets[i] = CharsetOf(table.Name, column.Name, i < charsets.Count ? charsets[i] : null);
            _labels[i] = column.SourceType.StartsWith("enum(", StringComparison.OrdinalIgnoreCase) || column.SourceType.StartsWith("set(", StringComparison.OrdinalIgnoreCase)
                ? ParseLabels(column.SourceType) : [];
        }
        _row = new RowBuilder(table.Columns.Count);
        _key = CanonicalRows.KeyBuilder(table);
    }

    public TableSchema Table => _table;

    public byte[] Row(object?[] cells)
    {
        if (cells.Length != _sourceColumns)
            throw new DataEdgeException($"table '{_table.Name}': the binlog has {cells.Length} columns, the synced schema {_sourceColumns}; its shape changed without a DDL statement capture could follow.");
        _row.Begin();
        for (int i = 0; i < _sourceOrdinals.Length; i++) Append(i, cells[_sourceOrdinals[i]]);
        return _row.Complete().ToArray();
    }

    public byte[] Key(byte[] row) => CanonicalRows.Key(row, _table, _key).ToArray();

    private void Append(int i, object? cell)
    {
        var column = _table.Columns[i];
        if (cell is null) { _row.Null(); return; }
        switch (column.Kind, cell)
        {
            case (ColumnKind.SignedInteger, long value): _row.Signed(value); return;
            case (ColumnKind.SignedInteger, int year): _row.Signed(year); return;
            case (ColumnKind.UnsignedInteger, long value): _row.Unsigned(column.Bits >= 64 ? (ulong)value : (ulong)value & ((1UL << column.Bits) - 1)); return;
            case (ColumnKind.UnsignedInteger, ulong bits): _row.Unsigned(bits); return;
            case (ColumnKind.Decimal, DecimalCell value):
                _row.Decimal(value.Scale == column.Scale ? value.Unscaled : throw Refused(column, $"DECIMAL scale {value.Scale} in the binlog, {column.Scale} in the schema"));
                return;
            case (ColumnKind.Float, float value): _row.Float(value); return;
            case (ColumnKind.Double, double value): _row.Double(value); return;
            case (ColumnKind.Text, byte[] bytes):
                if (_charsets[i] is { } charset) _row.Text(charset.GetString(bytes));
                else _row.Bytes(bytes);
                return;
            case (ColumnKind.Text, EnumCell value): _row.Text(value.Index >= 1 && value.Index <= _labels[i].Length ? _labels[i][value.Index - 1] : ""); return;
            case (ColumnKind.Text, SetCell value):
                _row.Text(string.Join(",", _labels[i].Where((_, bit) => (value.Members & (1UL << bit)) != 0)));
                return;
            case (ColumnKind.Text, BinaryJsonCell):
                throw Refused(column, "MySQL's binary JSON is not decoded (MariaDB logs JSON as text)");
            case (ColumnKind.Binary, byte[] bytes):
                _row.Bytes(PadBinary(column, bytes));
                return;
            case (ColumnKind.Date, DateTimeCell d): _row.Date(d.Year, d.Month, d.Day); return;
            case (ColumnKind.DateTime, DateTimeCell d): _row.DateTime(d.Year, d.Month, d.Day, d.Hour, d.Minute, d.Second, d.Microsecond); return;
            case (ColumnKind.DateTime, TimestampCell t):
                if (t.Seconds == 0 && t.Microsecond == 0) { _row.DateTime(0, 0, 0, 0, 0, 0, 0); return; } // the zero timestamp
                var utc = DateTimeOffset.FromUnixTimeSeconds(t.Seconds).UtcDateTime; // the snapshot reads TIMESTAMP in UTC too
                _row.DateTime(utc.Year, utc.Month, utc.Day, utc.Hour, utc.Minute, utc.Second, t.Microsecond);
                return;
            case (ColumnKind.Time, TimeCell t): _row.Time(t.Microseconds); return;
            default: throw Refused(column, $"a binlog {cell.GetType().Name} does not fit its kind {column.Kind}");
        }
    }

    /// <summary>BINARY(n) is stored padded with zero bytes, but the binlog drops trailing zeros.</summary>
    private static byte[] PadBinary(ColumnSchema column, byte[] bytes)
    {
        var type = column.SourceType;
        if (!type.StartsWith("binary(", StringComparison.OrdinalIgnoreCase)) return bytes;
        int width = int.Parse(type.AsSpan(7, type.IndexOf(')') - 7), System.Globalization.CultureInfo.InvariantCulture);
        if (bytes.Length >= width) return bytes;
        var padded = new byte[width];
        bytes.CopyTo(padded, 0);
        return padded;
    }

    private DataEdgeException Refused(ColumnSchema column, string why) =>
        new($"table '{_table.Name}', column '{column.Name}' ({column.SourceType}): {why}; its changes cannot be carried over exactly.");

    private static System.Text.Encoding? CharsetOf(string table, string column, string? charset) => (charset ?? "").ToLowerInvariant() switch
    {
        "" or "binary" => null,
        "utf8mb4" or "utf8mb3" or "utf8" or "ascii" => System.Text.Encoding.UTF8,
        "latin1" => System.Text.Encoding.Latin1,
        var other => throw new DataEdgeException($"table '{table}', column '{column}': character set {other} is not carried by continuous sync (utf8mb4, utf8mb3, ascii and latin1 are); convert the column to utf8mb4."),
    };

    /// <summary>The labels of <c>enum('a','b')</c> or <c>set('a','b')</c>, quotes undone.</summary>
    internal static string[] ParseLabels(string sourceType)
    {
        var labels = new List<string>();
        int at = sourceType.IndexOf('(') + 1;
        while (at < sourceType.Length && sourceType[at] == '\'')
        {
            var label = new StringBuilder();
            at++;
            while (at < sourceType.Length)
            {
                if (sourceType[at] == '\'' && at + 1 < sourceType.Length && sourceType[at + 1] == '\'') { label.Append('\''); at += 2; continue; }
                if (sourceType[at] == '\'') { at++; break; }
                if (sourceType[at] == '\\' && at + 1 < sourceType.Length) { label.Append(sourceType[at + 1]); at += 2; continue; }
                label.Append(sourceType[at++]);
            }
            labels.Add(label.ToString());
            if (at < sourceType.Length && sourceType[at] == ',') at++;
        }
        return labels.ToArray();
    }
}
