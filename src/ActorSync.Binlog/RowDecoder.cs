using System.Buffers.Binary;
using System.Numerics;

namespace ActorSync.Binlog;

/// <summary>
/// Decodes the cells of ROW-format events. A cell is: <c>long</c> for TINYINT..BIGINT (sign-extended from its width;
/// read it as unsigned by masking to the width), <c>float</c>, <c>double</c>, <see cref="DecimalCell"/>,
/// <c>byte[]</c> for CHAR/VARCHAR/TEXT/BLOB/BINARY (bytes in the column's character set), <c>ulong</c> for BIT,
/// <c>int</c> for YEAR (0 for the zero year), <see cref="DateTimeCell"/> for DATE and DATETIME,
/// <see cref="TimestampCell"/>, <see cref="TimeCell"/>, <see cref="EnumCell"/>, <see cref="SetCell"/>,
/// <see cref="BinaryJsonCell"/>. Layouts: FORMAT.md.
/// </summary>
public static class RowDecoder
{
    private static readonly int[] DigitBytes = [0, 1, 1, 2, 2, 3, 3, 4, 4, 4];

    /// <summary>Reads the rows of a rows event's body from <paramref name="at"/> to the end.</summary>
    internal static List<RowImage> ReadRows(ReadOnlySpan<byte> body, int at, RowChangeKind kind, TableMapEvent table, int columnCount)
    {
        int bitmapBytes = (columnCount + 7) / 8;
        var present = body.Slice(at, bitmapBytes).ToArray();
        at += bitmapBytes;
        byte[] presentAfter = present;
        if (kind == RowChangeKind.Update)
        {
            presentAfter = body.Slice(at, bitmapBytes).ToArray();
            at += bitmapBytes;
        }
        var rows = new List<RowImage>();
        while (at < body.Length)
        {
            var first = ReadImage(body, ref at, present, table, columnCount);
            object?[]? second = kind == RowChangeKind.Update ? ReadImage(body, ref at, presentAfter, table, columnCount) : null;
            rows.Add(kind switch
            {
                RowChangeKind.Insert => new RowImage(null, first),
                RowChangeKind.Delete => new RowImage(first, null),
                _ => new RowImage(first, second),
            });
        }
        return rows;
    }

    private static object?[] ReadImage(ReadOnlySpan<byte> body, ref int at, byte[] present, TableMapEvent table, int columnCount)
    {
        int presentCount = 0;
        for (int i = 0; i < columnCount; i++) if (Bit(present, i)) presentCount++;
        var nulls = body.Slice(at, (presentCount + 7) / 8);
        at += nulls.Length;
        var cells = new object?[columnCount];
        int nullIndex = 0;
        for (int i = 0; i < columnCount; i++)
        {
            if (!Bit(present, i)) continue;
            bool isNull = (nulls[nullIndex / 8] & (1 << (nullIndex % 8))) != 0;
            nullIndex++;
            if (isNull) continue;
            cells[i] = ReadCell(body, ref at, table.Types[i], table.Metadata[i], table.Table, i);
        }
        return cells;
    }

    private static bool Bit(byte[] bitmap, int i) => (bitmap[i / 8] & (1 << (i % 8))) != 0;

    /// <param name="metadata">The column's TABLE_MAP metadata: low byte first as logged (see FORMAT.md).</param>
    public static object ReadCell(ReadOnlySpan<byte> data, ref int at, ColumnType type, ushort metadata, string table = "", int column = 0)
    {
        var rest = data[at..];
        switch (type)
        {
            case ColumnType.Tiny: at += 1; return (long)(sbyte)rest[0];
            case ColumnType.Short: at += 2; return (long)BinaryPrimitives.ReadInt16LittleEndian(rest);
            case ColumnType.Int24: at += 3; return (long)((rest[0] | rest[1] << 8 | rest[2] << 16) << 8 >> 8);
            case ColumnType.Long: at += 4; return (long)BinaryPrimitives.ReadInt32LittleEndian(rest);
            case ColumnType.LongLong: at += 8; return BinaryPrimitives.ReadInt64LittleEndian(rest);
            case ColumnType.Float: at += 4; return BinaryPrimitives.ReadSingleLittleEndian(rest);
            case ColumnType.Double: at += 8; return BinaryPrimitives.ReadDoubleLittleEndian(rest);
            case ColumnType.Year: at += 1; return rest[0] == 0 ? 0 : 1900 + rest[0];
            case ColumnType.Date or ColumnType.NewDate:
            {
                at += 3;
                int v = rest[0] | rest[1] << 8 | rest[2] << 16;
                return new DateTimeCell(v >> 9, (v >> 5) & 15, v & 31, 0, 0, 0, 0);
            }
            case ColumnType.Timestamp: at += 4; return new TimestampCell(BinaryPrimitives.ReadUInt32LittleEndian(rest), 0);
            case ColumnType.DateTime:
            {
                at += 8;
                ulong v = BinaryPrimitives.ReadUInt64LittleEndian(rest); // YYYYMMDDhhmmss as a number
                return new DateTimeCell((int)(v / 10000000000), (int)(v / 100000000 % 100), (int)(v / 1000000 % 100),
                    (int)(v / 10000 % 100), (int)(v / 100 % 100), (int)(v % 100), 0);
            }
            case ColumnType.Time:
            {
                at += 3;
                int v = (rest[0] | rest[1] << 8 | rest[2] << 16) << 8 >> 8; // ±HHMMSS as a number
                long magnitude = Math.Abs(v);
                long micros = ((magnitude / 10000) * 3600 + (magnitude / 100 % 100) * 60 + magnitude % 100) * 1_000_000;
                return new TimeCell(v < 0 ? -micros : micros);
            }
            case ColumnType.Timestamp2:
            {
                long seconds = BinaryPrimitives.ReadUInt32BigEndian(rest);
                at += 4;
                return new TimestampCell(seconds, Fraction(data, ref at, metadata & 0xFF));
            }
            case ColumnType.DateTime2:
            {
                long intPart = (long)ReadBigEndian(rest, 5) - 0x8000000000L;
                at += 5;
                int micro = Fraction(data, ref at, metadata & 0xFF);
                long ymd = intPart >> 17, hms = intPart % (1 << 17);
                long ym = ymd >> 5;
                return new DateTimeCell((int)(ym / 13), (int)(ym % 13), (int)(ymd % 32), (int)(hms >> 12), (int)((hms >> 6) % 64), (int)(hms % 64), micro);
            }
            case ColumnType.Time2: return new TimeCell(Time2(data, ref at, metadata & 0xFF));
            case ColumnType.NewDecimal: return Decimal(data, ref at, metadata & 0xFF, metadata >> 8);
            case ColumnType.Bit:
            {
                int bits = metadata & 0xFF, bytes = metadata >> 8;
                int length = bytes + (bits > 0 ? 1 : 0);
                at += length;
                return ReadBigEndian(rest, length);
            }
            case ColumnType.VarChar or ColumnType.VarString:
            {
                int prefix = metadata > 255 ? 2 : 1;
                int length = prefix == 1 ? rest[0] : BinaryPrimitives.ReadUInt16LittleEndian(rest);
                at += prefix + length;
                return rest.Slice(prefix, length).ToArray();
            }
            case ColumnType.String:
            {
                // metadata: real type in the low byte (as logged first), length bits in the high byte.
                int b0 = metadata & 0xFF, b1 = metadata >> 8;
                var real = (ColumnType)b0;
                int maxLength = b1;
                if ((b0 & 0x30) != 0x30) { real = (ColumnType)(b0 | 0x30); maxLength = b1 | (((b0 & 0x30) ^ 0x30) << 4); }
                if (real == ColumnType.Enum) { at += b1; return new EnumCell(b1 == 1 ? rest[0] : BinaryPrimitives.ReadUInt16LittleEndian(rest)); }
                if (real == ColumnType.Set) { at += b1; return new SetCell(ReadLittleEndian(rest, b1)); }
                int prefix = maxLength > 255 ? 2 : 1;
                int length = prefix == 1 ? rest[0] : BinaryPrimitives.ReadUInt16LittleEndian(rest);
                at += prefix + length;
                return rest.Slice(prefix, length).ToArray();
            }
            case ColumnType.Enum: { int size = metadata >> 8; at += size; return new EnumCell(size == 1 ? rest[0] : BinaryPrimitives.ReadUInt16LittleEndian(rest)); }
            case ColumnType.Set: { int size = metadata >> 8; at += size; return new SetCell(ReadLittleEndian(rest, size)); }
            case ColumnType.Blob or ColumnType.TinyBlob or ColumnType.MediumBlob or ColumnType.LongBlob or ColumnType.Geometry or ColumnType.Json:
            {
                int prefix = metadata & 0xFF;
                long length = (long)ReadLittleEndian(rest, prefix);
                var bytes = rest.Slice(prefix, checked((int)length)).ToArray();
                at += prefix + (int)length;
                return type == ColumnType.Json ? new BinaryJsonCell(bytes) : bytes;
            }
            default:
                throw new BinlogException($"table {table}, column {column + 1}: binlog column type {type} ({(byte)type}) is not supported by the reader.");
        }
    }

    private static ulong ReadBigEndian(ReadOnlySpan<byte> data, int length)
    {
        ulong v = 0;
        for (int i = 0; i < length; i++) v = v << 8 | data[i];
        return v;
    }

    private static ulong ReadLittleEndian(ReadOnlySpan<byte> data, int length)
    {
        ulong v = 0;
        for (int i = length - 1; i >= 0; i--) v = v << 8 | data[i];
        return v;
    }

    /// <summary>The fractional seconds after a TIMESTAMP2/DATETIME2: (fsp+1)/2 big-endian bytes, as microseconds.</summary>
    private static int Fraction(ReadOnlySpan<byte> data, ref int at, int fsp)
    {
        int bytes = (fsp + 1) / 2;
        if (bytes == 0) return 0;
        int v = (int)ReadBigEndian(data[at..], bytes);
        at += bytes;
        return bytes switch { 1 => v * 10000, 2 => v * 100, _ => v };
    }

    /// <summary>TIME2 as MySQL's my_time_packed_from_binary, then unpacked to signed microseconds.</summary>
    private static long Time2(ReadOnlySpan<byte> data, ref int at, int fsp)
    {
        var d = data[at..];
        long packed;
        switch ((fsp + 1) / 2)
        {
            case 0:
                packed = ((long)ReadBigEndian(d, 3) - 0x800000) << 24;
                at += 3;
                break;
            case 1:
            {
                long intPart = (long)ReadBigEndian(d, 3) - 0x800000;
                long frac = d[3];
                if (intPart < 0 && frac != 0) { intPart++; frac -= 0x100; }
                packed = (intPart << 24) + frac * 10000;
                at += 4;
                break;
            }
            case 2:
            {
                long intPart = (long)ReadBigEndian(d, 3) - 0x800000;
                long frac = (long)ReadBigEndian(d[3..], 2);
                if (intPart < 0 && frac != 0) { intPart++; frac -= 0x10000; }
                packed = (intPart << 24) + frac * 100;
                at += 5;
                break;
            }
            default:
                packed = (long)ReadBigEndian(d, 6) - 0x800000000000L;
                at += 6;
                break;
        }
        bool negative = packed < 0;
        if (negative) packed = -packed;
        long hms = packed >> 24, micro = packed % (1 << 24);
        long hours = (hms >> 12) % (1 << 10), minutes = (hms >> 6) % 64, seconds = hms % 64;
        long total = ((hours * 60 + minutes) * 60 + seconds) * 1_000_000 + micro;
        return negative ? -total : total;
    }

    /// <summary>DECIMAL's binary form: groups of 9 digits in 4 big-endian bytes, the sign in the top bit, negatives inverted.</summary>
    private static DecimalCell Decimal(ReadOnlySpan<byte> data, ref int at, int precision, int scale)
    {
        int integral = precision - scale;
        int intGroups = integral / 9, intLead = integral % 9, fracGroups = scale / 9, fracTail = scale % 9;
        int size = intGroups * 4 + DigitBytes[intLead] + fracGroups * 4 + DigitBytes[fracTail];
        var bytes = data.Slice(at, size).ToArray();
        at += size;
        bool negative = (bytes[0] & 0x80) == 0;
        bytes[0] ^= 0x80;
        if (negative) for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)~bytes[i];
        BigInteger value = BigInteger.Zero;
        int offset = 0;
        void Group(int digits, int length)
        {
            if (length == 0) return;
            value = value * BigInteger.Pow(10, digits) + ReadBigEndian(bytes.AsSpan(offset), length);
            offset += length;
        }
        Group(intLead, DigitBytes[intLead]);
        for (int g = 0; g < intGroups; g++) Group(9, 4);
        for (int g = 0; g < fracGroups; g++) Group(9, 4);
        Group(fracTail, DigitBytes[fracTail]);
        return new DecimalCell(negative ? -value : value, scale);
    }
}
