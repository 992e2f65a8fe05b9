using System.Globalization;
using ActorSync.Data.Encoding;
using ActorSync.Data.Schema;

namespace ActorSync.Data.Sqlite;

/// <summary>
/// The one place that decides how each canonical kind is stored in SQLite (documented in docs/DATA.md), both ways:
/// binding a canonical value into a prepared statement, and turning a stored SQLite value back into canonical form.
/// Exactness first: DECIMAL, BIGINT UNSIGNED and temporal values are TEXT, because SQLite has no exact decimal,
/// no unsigned 64-bit integer and no date type.
/// </summary>
public static class SqliteTypeMap
{
    public static string DeclaredType(ColumnSchema column) => column.Kind switch
    {
        ColumnKind.SignedInteger => "INTEGER",
        ColumnKind.UnsignedInteger => column.Bits >= 64 ? "TEXT" : "INTEGER",
        ColumnKind.Decimal => "TEXT",
        ColumnKind.Float or ColumnKind.Double => "REAL",
        ColumnKind.Text => "TEXT",
        ColumnKind.Binary => "BLOB",
        ColumnKind.Date or ColumnKind.DateTime or ColumnKind.Time => "TEXT",
        _ => throw new ArgumentOutOfRangeException(nameof(column), column.Kind, "unknown column kind"),
    };

    /// <summary>Bytes of scratch space <see cref="Bind"/> needs to format a temporal value.</summary>
    public const int ScratchSize = 32;

    /// <summary>Binds the reader's next value (or NULL) to parameter <paramref name="index"/> (1-based) of a raw statement.</summary>
    public static int Bind(nint statement, int index, ColumnSchema column, bool isNull, ref RowReader row, scoped Span<byte> scratch)
    {
        if (isNull) return NativeSqlite.sqlite3_bind_null(statement, index);
        switch (column.Kind)
        {
            case ColumnKind.SignedInteger: return NativeSqlite.sqlite3_bind_int64(statement, index, row.Signed());
            case ColumnKind.UnsignedInteger:
                ulong value = row.Unsigned();
                if (column.Bits < 64) return NativeSqlite.sqlite3_bind_int64(statement, index, (long)value);
                value.TryFormat(scratch, out int digits, default, CultureInfo.InvariantCulture);
                return NativeSqlite.BindText(statement, index, scratch[..digits]);
            case ColumnKind.Decimal: return BindText(statement, index, DecimalText.Format(row.Decimal(), column.Scale));
            case ColumnKind.Float: return NativeSqlite.sqlite3_bind_double(statement, index, row.Float());
            case ColumnKind.Double: return NativeSqlite.sqlite3_bind_double(statement, index, row.Double());
            case ColumnKind.Text: return NativeSqlite.BindText(statement, index, row.Bytes());
            case ColumnKind.Binary: return NativeSqlite.BindBlob(statement, index, row.Bytes());
            case ColumnKind.Date: return NativeSqlite.BindText(statement, index, scratch[..Temporal.FormatDate(scratch, row.Unsigned())]);
            case ColumnKind.DateTime: return NativeSqlite.BindText(statement, index, scratch[..Temporal.FormatDateTime(scratch, row.Unsigned(), column.Scale)]);
            case ColumnKind.Time: return BindText(statement, index, Temporal.TimeText(row.Signed(), column.Scale));
            default: throw new ArgumentOutOfRangeException(nameof(column), column.Kind, "unknown column kind");
        }
    }

    /// <summary>
    /// Appends column <paramref name="index"/> of the current row of a raw statement in canonical form, reading it without
    /// boxing where it is stored as ActorSync stores it; any other storage class goes through <see cref="Append"/>.
    /// </summary>
    internal static void AppendColumn(nint statement, int index, ColumnSchema column, RowBuilder row)
    {
        int type = NativeSqlite.sqlite3_column_type(statement, index);
        switch (type, column.Kind)
        {
            case (NativeSqlite.Null, _): row.Null(); return;
            case (NativeSqlite.Integer, ColumnKind.SignedInteger): row.Signed(NativeSqlite.sqlite3_column_int64(statement, index)); return;
            case (NativeSqlite.Integer, ColumnKind.UnsignedInteger) when column.Bits < 64: row.Unsigned((ulong)NativeSqlite.sqlite3_column_int64(statement, index)); return;
            case (NativeSqlite.Float, ColumnKind.Double): row.Double(NativeSqlite.sqlite3_column_double(statement, index)); return;
            case (NativeSqlite.Float, ColumnKind.Float): row.Float((float)NativeSqlite.sqlite3_column_double(statement, index)); return;
            case (NativeSqlite.Text, ColumnKind.Text): row.Bytes(NativeSqlite.ColumnText(statement, index)); return;
            case (NativeSqlite.Blob, ColumnKind.Binary): row.Bytes(NativeSqlite.ColumnBlob(statement, index)); return;
            case (NativeSqlite.Text, ColumnKind.DateTime) when Temporal.ParseDateTime(NativeSqlite.ColumnText(statement, index)) is { } stamp: row.Unsigned(stamp); return;
        }
        Append(type switch
        {
            NativeSqlite.Integer => NativeSqlite.sqlite3_column_int64(statement, index),
            NativeSqlite.Float => NativeSqlite.sqlite3_column_double(statement, index),
            NativeSqlite.Text => System.Text.Encoding.UTF8.GetString(NativeSqlite.ColumnText(statement, index)),
            _ => NativeSqlite.ColumnBlob(statement, index).ToArray(),
        }, column, row);
    }

    /// <summary>Appends a value read from SQLite (long, double, string, byte[] or DBNull) in canonical form.</summary>
    public static void Append(object? value, ColumnSchema column, RowBuilder row)
    {
        if (value is null or DBNull) { row.Null(); return; }
        switch (column.Kind)
        {
            case ColumnKind.SignedInteger: row.Signed(Convert.ToInt64(value, CultureInfo.InvariantCulture)); break;
            case ColumnKind.UnsignedInteger:
                row.Unsigned(column.Bits >= 64 ? ulong.Parse((string)value, CultureInfo.InvariantCulture) : (ulong)Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case ColumnKind.Decimal: row.Decimal(DecimalText.Parse((string)value, column.Scale)); break;
            case ColumnKind.Float: row.Float((float)Convert.ToDouble(value, CultureInfo.InvariantCulture)); break;
            case ColumnKind.Double: row.Double(Convert.ToDouble(value, CultureInfo.InvariantCulture)); break;
            case ColumnKind.Text: row.Text((string)value); break;
            case ColumnKind.Binary: row.Bytes((byte[])value); break;
            case ColumnKind.Date: row.Unsigned(Temporal.ParseDate((string)value)); break;
            case ColumnKind.DateTime: row.Unsigned(Temporal.ParseDateTime((string)value)); break;
            case ColumnKind.Time: row.Signed(Temporal.ParseTime((string)value)); break;
            default: throw new ArgumentOutOfRangeException(nameof(column), column.Kind, "unknown column kind");
        }
    }

    /// <summary>The reader's next value as a SQLite parameter, stored as <see cref="DeclaredType"/> says.</summary>
    public static object ToParameter(ColumnSchema column, bool isNull, ref RowReader row) =>
        CanonicalRows.ToValue(column, isNull, ref row) switch
        {
            ulong value when column.Bits >= 64 => value.ToString(CultureInfo.InvariantCulture),
            ulong value => (long)value,
            float value => (double)value,
            var value => value,
        };

    private static int BindText(nint statement, int index, string text) => NativeSqlite.BindText(statement, index, System.Text.Encoding.UTF8.GetBytes(text));
}
