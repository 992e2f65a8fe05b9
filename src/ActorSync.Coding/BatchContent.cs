using System.IO.Compression;

namespace ActorSync.Coding;

/// <summary>How a batch's content holds its records.</summary>
public enum ContentCodec : byte
{
    /// <summary>Each record behind its varint length (<see cref="BatchFrame"/>).</summary>
    None = 0,

    /// <summary>
    /// Blocks of about <see cref="BatchContent.BlockSize"/> bytes of such records, each compressed alone with Deflate
    /// at its fastest level and framed as one record: [varint raw length][deflate bytes]. Bank-shaped rows shrink
    /// about 3×, so every link, node store and stream window carries a third of the bytes. Blocks are independent, so
    /// a batch still decodes segment by segment as it arrives.
    /// </summary>
    Deflate = 1,
}

/// <summary>Compressing and reading batch content in <see cref="ContentCodec"/> form.</summary>
public static class BatchContent
{
    /// <summary>Raw bytes compressed together: large enough for Deflate to find the rows' repetition, small enough
    /// that every batch's open block stays out of the large-object heap.</summary>
    public const int BlockSize = 64 * 1024;

    /// <summary>The setting's names: none, deflate.</summary>
    public static string Name(this ContentCodec codec) => codec switch
    {
        ContentCodec.None => "none",
        ContentCodec.Deflate => "deflate",
        _ => throw new ArgumentOutOfRangeException(nameof(codec), codec, "unknown content codec."),
    };

    /// <summary>Parses a setting value; throws naming <paramref name="setting"/> on anything else.</summary>
    public static ContentCodec Parse(string value, string setting) => value.Trim().ToLowerInvariant() switch
    {
        "none" => ContentCodec.None,
        "deflate" => ContentCodec.Deflate,
        _ => throw new ArgumentException($"{setting} must be none or deflate; got '{value}'."),
    };

    /// <summary>Compresses <paramref name="raw"/> (whole framed records) into one block record's body, written to <paramref name="output"/>.</summary>
    public static void WriteBlock(ReadOnlySpan<byte> raw, MemoryStream output)
    {
        output.SetLength(0);
        Span<byte> prefix = stackalloc byte[BatchFrame.MaxVarintSize];
        output.Write(prefix[..BatchFrame.WriteVarint(prefix, raw.Length)]);
        using (var deflate = new DeflateStream(output, CompressionLevel.Fastest, leaveOpen: true)) deflate.Write(raw);
    }
}

/// <summary>
/// Turns a batch's content, fed segment by segment in order, back into its records, whatever its codec: records that
/// straddle segments are carried over, and compressed blocks are inflated as each completes. Call <see cref="Finish"/>
/// at the end; damage anywhere throws <see cref="InvalidDataException"/>.
/// </summary>
public sealed class BatchContentReader(ContentCodec codec)
{
    private readonly RecordAssembler _framing = new();
    private byte[] _compressed = [];
    private byte[] _raw = [];
    private Action<ReadOnlySpan<byte>>? _onRecord;

    public ContentCodec Codec => codec;

    /// <summary>Records read so far.</summary>
    public long Records { get; private set; }

    public void Feed(ReadOnlySpan<byte> content, Action<ReadOnlySpan<byte>> onRecord)
    {
        if (codec == ContentCodec.None)
        {
            _framing.Feed(content, onRecord);
            Records = _framing.Records;
            return;
        }
        _onRecord = onRecord;
        _framing.Feed(content, Inflate);
    }

    public void Finish() => _framing.Finish();

    private void Inflate(ReadOnlySpan<byte> block)
    {
        int at = 0;
        int rawLength = BatchFrame.ReadVarint(block, ref at);
        if (rawLength < 0) throw new InvalidDataException("a compressed block of a batch claims more than 2 GiB.");
        var body = block[at..];
        if (_compressed.Length < body.Length) _compressed = new byte[Math.Max(body.Length, BatchContent.BlockSize)];
        body.CopyTo(_compressed);
        if (_raw.Length < rawLength) _raw = new byte[Math.Max(rawLength, BatchContent.BlockSize)];
        int inflated;
        try
        {
            using var deflate = new DeflateStream(new MemoryStream(_compressed, 0, body.Length, writable: false), CompressionMode.Decompress);
            inflated = deflate.ReadAtLeast(_raw.AsSpan(0, rawLength), rawLength, throwOnEndOfStream: false);
            if (inflated == rawLength && deflate.Read(stackalloc byte[1]) != 0) inflated++;
        }
        catch (InvalidDataException error)
        {
            throw new InvalidDataException($"a compressed block of a batch does not inflate: {error.Message}", error);
        }
        if (inflated != rawLength) throw new InvalidDataException($"a compressed block of a batch inflates to other than its {rawLength} bytes.");
        Records += BatchFrame.ForEachRecord(_raw.AsSpan(0, rawLength), _onRecord!);
    }
}
