using System.Buffers.Binary;

namespace ActorSync.Coding;

/// <summary>
/// The layout of one batch: a header with the content length and record count, the records each behind a
/// varint length, then zero padding up to the common batch size that XOR and RLNC need. The header lets the
/// padding be removed exactly; records are never split across batches, so each batch can be applied alone.
/// </summary>
public static class BatchFrame
{
    public const int HeaderSize = 8;

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

    public static void WriteHeader(Span<byte> frame, int contentLength, int recordCount)
    {
        BinaryPrimitives.WriteInt32LittleEndian(frame, contentLength);
        BinaryPrimitives.WriteInt32LittleEndian(frame[4..], recordCount);
    }

    /// <summary>The header and records, without the padding: what the batch digest covers.</summary>
    public static ReadOnlySpan<byte> Content(ReadOnlySpan<byte> batch)
    {
        if (batch.Length < HeaderSize)
            throw new InvalidDataException($"a batch has {batch.Length} bytes, fewer than its {HeaderSize}-byte header.");
        int length = BinaryPrimitives.ReadInt32LittleEndian(batch);
        if (length < 0 || length > batch.Length - HeaderSize)
            throw new InvalidDataException($"a batch header claims {length} content bytes but the batch has room for {batch.Length - HeaderSize}.");
        return batch[..(HeaderSize + length)];
    }

    /// <summary>The records of a padded batch. Throws InvalidDataException if the framing or padding is damaged.</summary>
    public static IReadOnlyList<ReadOnlyMemory<byte>> Records(ReadOnlyMemory<byte> batch)
    {
        var content = Content(batch.Span);
        if (batch.Span[content.Length..].ContainsAnyExcept((byte)0))
            throw new InvalidDataException("a batch's padding is not all zero: the batch is damaged.");
        int count = BinaryPrimitives.ReadInt32LittleEndian(batch.Span[4..]);
        var records = new List<ReadOnlyMemory<byte>>(Math.Max(0, Math.Min(count, content.Length)));
        int offset = HeaderSize;
        while (offset < content.Length)
        {
            int length = ReadVarint(content, ref offset);
            if (length < 0 || length > content.Length - offset)
                throw new InvalidDataException($"record {records.Count} of a batch runs past the batch content.");
            records.Add(batch.Slice(offset, length));
            offset += length;
        }
        if (records.Count != count)
            throw new InvalidDataException($"a batch header claims {count} records but the content holds {records.Count}.");
        return records;
    }

    /// <summary>Reads a varint written by <see cref="WriteVarint"/>; −1 if it exceeds int.MaxValue.</summary>
    public static int ReadVarint(ReadOnlySpan<byte> data, ref int offset)
    {
        uint value = 0;
        for (int shift = 0; shift < 35; shift += 7)
        {
            if (offset >= data.Length) throw new InvalidDataException("a record length runs past the batch content.");
            byte b = data[offset++];
            value |= (uint)(b & 0x7F) << shift;
            if (b < 0x80) return value > int.MaxValue ? -1 : (int)value;
        }
        throw new InvalidDataException("a record length in a batch is not a valid varint.");
    }
}
