using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace ActorSync.Cluster.Protocol;

/// <summary>Little-endian binary writing for the serializer. Byte payloads are copied as they are: no base64, no JSON.</summary>
internal sealed class WireWriter
{
    private readonly ArrayBufferWriter<byte> _buffer;

    public WireWriter(int capacity = 256) => _buffer = new ArrayBufferWriter<byte>(capacity);

    public WireWriter Int(int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
        return this;
    }

    public WireWriter Long(long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
        return this;
    }

    public WireWriter Bytes(ReadOnlySpan<byte> value)
    {
        Int(value.Length);
        value.CopyTo(_buffer.GetSpan(value.Length));
        _buffer.Advance(value.Length);
        return this;
    }

    public WireWriter String(string value) => Bytes(Encoding.UTF8.GetBytes(value));

    public WireWriter Bool(bool value) => Int(value ? 1 : 0);

    public WireWriter Strings(string[] values)
    {
        Int(values.Length);
        foreach (var value in values) String(value);
        return this;
    }

    public WireWriter Ints(int[] values)
    {
        Int(values.Length);
        foreach (var value in values) Int(value);
        return this;
    }

    public WireWriter ByteArrays(byte[][] values)
    {
        Int(values.Length);
        foreach (var value in values) Bytes(value);
        return this;
    }

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();
}

/// <summary>Reads what <see cref="WireWriter"/> wrote; a short or damaged message throws <see cref="InvalidDataException"/>.</summary>
internal ref struct WireReader(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _offset;

    public int Int() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

    public long Long() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

    public byte[] Bytes() => Take(Length()).ToArray();

    public string String() => Encoding.UTF8.GetString(Take(Length()));

    public bool Bool() => Int() switch
    {
        0 => false,
        1 => true,
        var other => throw new InvalidDataException($"a flag holds {other}, not 0 or 1."),
    };

    public string[] Strings()
    {
        var values = new string[Count(4)];
        for (int i = 0; i < values.Length; i++) values[i] = String();
        return values;
    }

    public int[] Ints()
    {
        var values = new int[Count(4)];
        for (int i = 0; i < values.Length; i++) values[i] = Int();
        return values;
    }

    public byte[][] ByteArrays()
    {
        var values = new byte[Count(4)][];
        for (int i = 0; i < values.Length; i++) values[i] = Bytes();
        return values;
    }

    /// <summary>A count of items each at least <paramref name="minimumSize"/> bytes, checked against what is left.</summary>
    public int Count(int minimumSize)
    {
        int count = Int();
        if (count < 0 || (long)count * minimumSize > _data.Length - _offset)
            throw new InvalidDataException($"a message claims {count} items but only {_data.Length - _offset} bytes remain.");
        return count;
    }

    /// <summary>Skips what is left (an entry of an older format, read as nothing).</summary>
    public void Skip() => _offset = _data.Length;

    public readonly void End()
    {
        if (_offset != _data.Length) throw new InvalidDataException($"a message has {_data.Length - _offset} unexpected trailing bytes.");
    }

    private int Length() => Count(1);

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > _data.Length - _offset) throw new InvalidDataException("a message ends early: it is truncated.");
        var slice = _data.Slice(_offset, count);
        _offset += count;
        return slice;
    }
}
