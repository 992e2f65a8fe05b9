using System.Globalization;

namespace ActorSync.Binlog;

/// <summary>
/// A place in the source's binary log: a file (<c>mysql-bin.000042</c>) and a byte offset in it. Positions order by
/// the file's numeric suffix, then the offset, which is the order the server wrote them in.
/// </summary>
public readonly record struct BinlogPosition(string File, long Offset) : IComparable<BinlogPosition>
{
    public static readonly BinlogPosition None = new("", 0);

    public bool IsNone => File.Length == 0;

    public int CompareTo(BinlogPosition other)
    {
        int byFile = FileNumber(File).CompareTo(FileNumber(other.File));
        if (byFile == 0) byFile = string.CompareOrdinal(File, other.File);
        return byFile != 0 ? byFile : Offset.CompareTo(other.Offset);
    }

    public static bool operator <(BinlogPosition a, BinlogPosition b) => a.CompareTo(b) < 0;
    public static bool operator >(BinlogPosition a, BinlogPosition b) => a.CompareTo(b) > 0;
    public static bool operator <=(BinlogPosition a, BinlogPosition b) => a.CompareTo(b) <= 0;
    public static bool operator >=(BinlogPosition a, BinlogPosition b) => a.CompareTo(b) >= 0;

    /// <summary><c>mysql-bin.000042:1234</c>; the empty position is empty text.</summary>
    public override string ToString() => IsNone ? "" : $"{File}:{Offset.ToString(CultureInfo.InvariantCulture)}";

    public static BinlogPosition Parse(string text)
    {
        if (string.IsNullOrEmpty(text)) return None;
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || !long.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long offset))
            throw new FormatException($"'{text}' is not a binlog position (expected FILE:OFFSET, e.g. mysql-bin.000001:4).");
        return new BinlogPosition(text[..colon], offset);
    }

    private static long FileNumber(string file)
    {
        int dot = file.LastIndexOf('.');
        return dot >= 0 && long.TryParse(file.AsSpan(dot + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long n) ? n : -1;
    }
}
