using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace ActorSync.Data.Encoding;

/// <summary>
/// Writes one row in the canonical encoding: a null bitmap (bit i set = column i is NULL), then each non-null value
/// in column order in the form of its <see cref="Schema.ColumnKind"/>. Reused across rows to avoid allocation.
/// The same bytes come out whichever side (MySQL or SQLite) the values were read from.
/// </summary>
public sealed class RowBuilder(int columnCount)
{
    private byte[] _buffer = new byte[256];
    private int _length;
    private int _column;
    private readonly int _bitmapBytes = (columnCount + 7) / 8;

    public int ColumnCount { get; } = columnCount;

    public void Begin()
    {
        _length = _bitmapBytes;
        _column = 0;
        _buffer.AsSpan(0, _bitmapBytes).Clear();
    }

    public ReadOnlySpan<byte> Complete()
    {
        if (_column != ColumnCount)
            throw new InvalidOperationException($"row has {_column} of its {ColumnCount} columns.");
        return _buffer.AsSpan(0, _length);
    }

    public void Null()
    {
        _buffer[_column / 8] |= (byte)(1 << (_column % 8));
        _column++;
    }

    public void Signed(long value) => Unsigned((ulong)((value << 1) ^ (value >> 63)));

    public void Unsigned(ulong value)
    {
        Varint(value);
        _column++;
    }

    public void Decimal(BigInteger unscaled)
    {
        int size = unscaled.GetByteCount();
        Varint((ulong)size);
        Ensure(size);
        unscaled.TryWriteBytes(_buffer.AsSpan(_length, size), out _);
        _length += size;
        _column++;
    }

    public void Float(float value)
    {
        Ensure(4);
        BinaryPrimitives.WriteSingleLittleEndian(_buffer.AsSpan(_length), value);
        _length += 4;
        _column++;
    }

    public void Double(double value)
    {
        Ensure(8);
        BinaryPrimitives.WriteDoubleLittleEndian(_buffer.AsSpan(_length), value);
        _length += 8;
        _column++;
    }

    public void Bytes(ReadOnlySpan<byte> value)
    {
        Varint((ulong)value.Length);
        Ensure(value.Length);
        value.CopyTo(_buffer.AsSpan(_length));
        _length += value.Length;
        _column++;
    }

    /// <summary>A value already in canonical form (a slice taken by <see cref="RowReader.Value"/>).</summary>
    public void Raw(ReadOnlySpan<byte> encoded)
    {
        Ensure(encoded.Length);
        encoded.CopyTo(_buffer.AsSpan(_length));
        _length += encoded.Length;
        _column++;
    }

    public void Text(string value)
    {
        int max = System.Text.Encoding.UTF8.GetMaxByteCount(value.Length);
        if (max <= 1024)
        {
            Span<byte> utf8 = stackalloc byte[max];
            Bytes(utf8[..System.Text.Encoding.UTF8.GetBytes(value, utf8)]);
        }
        else Bytes(System.Text.Encoding.UTF8.GetBytes(value));
    }

    public void Date(int year, int month, int day) => Unsigned(Temporal.PackDate(year, month, day));

    public void DateTime(int year, int month, int day, int hour, int minute, int second, int microsecond) =>
        Unsigned(Temporal.PackDateTime(year, month, day, hour, minute, second, microsecond));

    public void Time(long microseconds) => Signed(microseconds);

    private void Varint(ulong value)
    {
        Ensure(10);
        for (; value >= 0x80; value >>= 7) _buffer[_length++] = (byte)(value | 0x80);
        _buffer[_length++] = (byte)value;
    }

    private void Ensure(int more)
    {
        if (_length + more <= _buffer.Length) return;
        Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + more));
    }
}

/// <summary>Reads a canonical row; call the method that matches each column's kind, in column order.</summary>
public ref struct RowReader
{
    private readonly ReadOnlySpan<byte> _row;
    private readonly int _bitmapBytes;
    private int _offset;

    public RowReader(ReadOnlySpan<byte> row, int columnCount)
    {
        _bitmapBytes = (columnCount + 7) / 8;
        if (row.Length < _bitmapBytes) throw new InvalidDataException($"a row of {row.Length} bytes is shorter than its null bitmap.");
        _row = row;
        _offset = _bitmapBytes;
    }

    public readonly bool IsNull(int column) => (_row[column / 8] & (1 << (column % 8))) != 0;

    public ulong Unsigned()
    {
        ulong value = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            if (_offset >= _row.Length) throw new InvalidDataException("a row ends inside a number.");
            byte b = _row[_offset++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
        throw new InvalidDataException("a number in a row is longer than 10 bytes.");
    }

    public long Signed()
    {
        ulong zigzag = Unsigned();
        return (long)(zigzag >> 1) ^ -(long)(zigzag & 1);
    }

    public BigInteger Decimal() => new(Bytes());

    /// <summary>The encoded bytes of the next value, whatever its kind: to copy or hash it without decoding.</summary>
    public ReadOnlySpan<byte> Value(Schema.ColumnKind kind)
    {
        int start = _offset;
        switch (kind)
        {
            case Schema.ColumnKind.Float: Take(4); break;
            case Schema.ColumnKind.Double: Take(8); break;
            case Schema.ColumnKind.Decimal or Schema.ColumnKind.Text or Schema.ColumnKind.Binary: Bytes(); break;
            default: Unsigned(); break;
        }
        return _row[start.._offset];
    }

    public float Float() => BinaryPrimitives.ReadSingleLittleEndian(Take(4));

    public double Double() => BinaryPrimitives.ReadDoubleLittleEndian(Take(8));

    public ReadOnlySpan<byte> Bytes()
    {
        ulong length = Unsigned();
        if (length > (ulong)(_row.Length - _offset)) throw new InvalidDataException("a value runs past the end of its row.");
        return Take((int)length);
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > _row.Length - _offset) throw new InvalidDataException("a value runs past the end of its row.");
        var slice = _row.Slice(_offset, count);
        _offset += count;
        return slice;
    }
}
