namespace ActorSync.Coding;

/// <summary>
/// The content of a batch: records, each behind its varint length, written in one pass as they arrive. The content
/// length lives in the manifest, so a batch needs no header and can be cut into segments while it is still growing;
/// the zero padding after the content (up to the dataset's common batch size) is not part of it. Records are never
/// split across batches, so each batch can be applied alone; they may straddle segments (see <see cref="RecordAssembler"/>).
/// </summary>
public static class BatchFrame
{
    public const int MaxVarintSize = 5;

    public static int VarintSize(int value)
    {
        int size = 1;
        for (uint v = (uint)value; v >= 0x80; v >>= 7) size++;
        return size;
    }

    public static int WriteVarint(Span<byte> destination, int value)
    {
        int i = 0;
        uint v = (uint)value;
        for (; v >= 0x80; v >>= 7) destination[i++] = (byte)(v | 0x80);
        destination[i++] = (byte)v;
        return i;
    }

    /// <summary>Reads a varint written by <see cref="WriteVarint"/>; −1 if it exceeds int.MaxValue.</summary>
    public static int ReadVarint(ReadOnlySpan<byte> data, ref int offset)
    {
        int at = offset;
        var status = TryReadVarint(data, ref at, out int value);
        if (status == VarintStatus.Incomplete) throw new InvalidDataException("a record length runs past the batch content.");
        offset = at;
        return status == VarintStatus.TooLarge ? -1 : value;
    }

    public enum VarintStatus { Complete, Incomplete, TooLarge }

    /// <summary>Reads a varint if <paramref name="data"/> holds all of it; throws if it is longer than 5 bytes.</summary>
    public static VarintStatus TryReadVarint(ReadOnlySpan<byte> data, ref int offset, out int value)
    {
        uint result = 0;
        value = 0;
        for (int shift = 0, at = offset; shift < 35; shift += 7, at++)
        {
            if (at >= data.Length) return VarintStatus.Incomplete;
            byte b = data[at];
            result |= (uint)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                offset = at + 1;
                if (result > int.MaxValue) return VarintStatus.TooLarge;
                value = (int)result;
                return VarintStatus.Complete;
            }
        }
        throw new InvalidDataException("a record length in a batch is not a valid varint.");
    }

    /// <summary>Hands each record of a complete run of framed records to <paramref name="onRecord"/>; returns how many. Throws InvalidDataException if the framing is damaged.</summary>
    public static int ForEachRecord(ReadOnlySpan<byte> records, Action<ReadOnlySpan<byte>> onRecord)
    {
        int offset = 0, count = 0;
        while (offset < records.Length)
        {
            int length = ReadVarint(records, ref offset);
            if (length < 0 || length > records.Length - offset)
                throw new InvalidDataException($"record {count} of a block runs past its end.");
            onRecord(records.Slice(offset, length));
            offset += length;
            count++;
        }
        return count;
    }

    /// <summary>The records of a batch's content. Throws InvalidDataException if the framing is damaged.</summary>
    public static IReadOnlyList<ReadOnlyMemory<byte>> Records(ReadOnlyMemory<byte> content)
    {
        var records = new List<ReadOnlyMemory<byte>>();
        var span = content.Span;
        int offset = 0;
        while (offset < span.Length)
        {
            int length = ReadVarint(span, ref offset);
            if (length < 0 || length > span.Length - offset)
                throw new InvalidDataException($"record {records.Count} of a batch runs past the batch content.");
            records.Add(content.Slice(offset, length));
            offset += length;
        }
        return records;
    }
}

/// <summary>
/// Turns a batch's content, fed segment by segment in order, back into its records; a record that straddles a
/// segment boundary is carried over until the rest arrives. Feed the segments' content only (no padding), then
/// call <see cref="Finish"/>, which throws if the content ended inside a record.
/// </summary>
public sealed class RecordAssembler
{
    private byte[] _carry = new byte[256];
    private int _carried;

    public long Records { get; private set; }

    public void Feed(ReadOnlySpan<byte> content, Action<ReadOnlySpan<byte>> onRecord)
    {
        int position = 0;
        while (_carried > 0)
        {
            int at = 0;
            if (BatchFrame.TryReadVarint(_carry.AsSpan(0, _carried), ref at, out int length) == BatchFrame.VarintStatus.Complete)
            {
                int missing = at + length - _carried;
                int take = Math.Min(missing, content.Length - position);
                Carry(content.Slice(position, take));
                position += take;
                if (take < missing) return;
                Emit(_carry.AsSpan(at, length), onRecord);
                _carried = 0;
            }
            else
            {
                if (_carried >= BatchFrame.MaxVarintSize) throw new InvalidDataException("a record length in a batch is not a valid varint.");
                if (position >= content.Length) return;
                Carry(content.Slice(position++, 1));
            }
        }
        while (position < content.Length)
        {
            int at = position;
            var status = BatchFrame.TryReadVarint(content, ref at, out int length);
            if (status == BatchFrame.VarintStatus.TooLarge) throw new InvalidDataException("a record in a batch claims more than 2 GiB.");
            if (status == BatchFrame.VarintStatus.Incomplete || length > content.Length - at)
            {
                Carry(content[position..]);
                return;
            }
            Emit(content.Slice(at, length), onRecord);
            position = at + length;
        }
    }

    public void Finish()
    {
        if (_carried > 0) throw new InvalidDataException($"a batch's content ends inside a record ({_carried} bytes of it left over).");
    }

    private void Emit(ReadOnlySpan<byte> record, Action<ReadOnlySpan<byte>> onRecord)
    {
        Records++;
        onRecord(record);
    }

    private void Carry(ReadOnlySpan<byte> bytes)
    {
        if (_carried + bytes.Length > _carry.Length) Array.Resize(ref _carry, Math.Max(_carry.Length * 2, _carried + bytes.Length));
        bytes.CopyTo(_carry.AsSpan(_carried));
        _carried += bytes.Length;
    }
}
