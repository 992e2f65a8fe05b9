using System.Text;

namespace ActorSync.Data.Wire;

/// <summary>
/// Writes the small binary documents the data edge hands to other layers (a dataset's catalog, a reverse-sync change
/// set and its resolution): lengths as 7-bit varints, strings as UTF-8, row bytes as they are.
/// </summary>
internal sealed class CompactWriter
{
    private readonly MemoryStream _stream = new();
    private readonly BinaryWriter _writer;

    public CompactWriter() => _writer = new BinaryWriter(_stream, System.Text.Encoding.UTF8, leaveOpen: true);

    public CompactWriter Int(int value) { _writer.Write7BitEncodedInt(value); return this; }

    public CompactWriter Long(long value) { _writer.Write7BitEncodedInt64(value); return this; }

    public CompactWriter Bool(bool value) { _writer.Write(value); return this; }

    public CompactWriter String(string value) { _writer.Write(value); return this; }

    public CompactWriter NullableString(string? value)
    {
        Bool(value is not null);
        if (value is not null) String(value);
        return this;
    }

    public CompactWriter Bytes(byte[] value) { Int(value.Length); _writer.Write(value); return this; }

    public CompactWriter NullableBytes(byte[]? value)
    {
        Bool(value is not null);
        if (value is not null) Bytes(value);
        return this;
    }

    public byte[] ToArray()
    {
        _writer.Flush();
        return _stream.ToArray();
    }
}

/// <summary>Reads what <see cref="CompactWriter"/> wrote; damage throws a <see cref="DataEdgeException"/> naming the document.</summary>
internal sealed class CompactReader
{
    private readonly BinaryReader _reader;
    private readonly string _document;

    public CompactReader(byte[] data, string document)
    {
        _reader = new BinaryReader(new MemoryStream(data, writable: false), System.Text.Encoding.UTF8);
        _document = document;
    }

    public int Int() => Guard(() => _reader.Read7BitEncodedInt());

    public long Long() => Guard(() => _reader.Read7BitEncodedInt64());

    public bool Bool() => Guard(() => _reader.ReadBoolean());

    public string String() => Guard(() => _reader.ReadString());

    public string? NullableString() => Bool() ? String() : null;

    public byte[] Bytes()
    {
        int length = Count();
        return Guard(() => _reader.ReadBytes(length)); // Count() checked that this many bytes remain
    }

    public byte[]? NullableBytes() => Bool() ? Bytes() : null;

    /// <summary>A count or length, checked against what is left so damage cannot ask for a huge allocation.</summary>
    public int Count()
    {
        int count = Int();
        if (count < 0 || count > _reader.BaseStream.Length - _reader.BaseStream.Position)
            throw new DataEdgeException($"the {_document} is damaged: it claims {count} items with {_reader.BaseStream.Length - _reader.BaseStream.Position} bytes left.");
        return count;
    }

    public void End()
    {
        if (_reader.BaseStream.Position != _reader.BaseStream.Length)
            throw new DataEdgeException($"the {_document} is damaged: {_reader.BaseStream.Length - _reader.BaseStream.Position} unexpected trailing bytes.");
    }

    private T Guard<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception error) when (error is EndOfStreamException or FormatException or DecoderFallbackException)
        {
            throw new DataEdgeException($"the {_document} is damaged: {error.Message}", error);
        }
    }
}
