using System.Globalization;

namespace ActorSync.Data.Encoding;

/// <summary>
/// Dates and times as packed integers (like MySQL's own packing, so the zero date 0000-00-00 is 0) and as the
/// ISO-style text SQLite stores: 'YYYY-MM-DD', 'YYYY-MM-DD HH:MM:SS[.ffffff]', '[-]HHH:MM:SS[.ffffff]'.
/// </summary>
public static class Temporal
{
    public static ulong PackDate(int year, int month, int day) => ((ulong)year * 13 + (ulong)month) * 32 + (ulong)day;

    public static ulong PackDateTime(int year, int month, int day, int hour, int minute, int second, int microsecond) =>
        (((PackDate(year, month, day) * 24 + (ulong)hour) * 60 + (ulong)minute) * 60 + (ulong)second) * 1_000_000 + (ulong)microsecond;

    public static (int Year, int Month, int Day) UnpackDate(ulong packed) =>
        ((int)(packed / 32 / 13), (int)(packed / 32 % 13), (int)(packed % 32));

    public static (int Year, int Month, int Day, int Hour, int Minute, int Second, int Microsecond) UnpackDateTime(ulong packed)
    {
        int micro = (int)(packed % 1_000_000); packed /= 1_000_000;
        int second = (int)(packed % 60); packed /= 60;
        int minute = (int)(packed % 60); packed /= 60;
        int hour = (int)(packed % 24); packed /= 24;
        var (year, month, day) = UnpackDate(packed);
        return (year, month, day, hour, minute, second, micro);
    }

    public static string DateText(ulong packed)
    {
        Span<byte> text = stackalloc byte[10];
        return System.Text.Encoding.ASCII.GetString(text[..FormatDate(text, packed)]);
    }

    public static string DateTimeText(ulong packed, int fractionDigits)
    {
        Span<byte> text = stackalloc byte[26];
        return System.Text.Encoding.ASCII.GetString(text[..FormatDateTime(text, packed, fractionDigits)]);
    }

    /// <summary>Writes 'YYYY-MM-DD' as ASCII without allocating (the SQLite apply hot path); returns the length.</summary>
    public static int FormatDate(Span<byte> destination, ulong packed)
    {
        var (y, m, d) = UnpackDate(packed);
        Digits(destination, y, 4);
        destination[4] = (byte)'-';
        Digits(destination[5..], m, 2);
        destination[7] = (byte)'-';
        Digits(destination[8..], d, 2);
        return 10;
    }

    /// <summary>Writes 'YYYY-MM-DD HH:MM:SS[.f…]' as ASCII without allocating; returns the length.</summary>
    public static int FormatDateTime(Span<byte> destination, ulong packed, int fractionDigits)
    {
        var (y, mo, d, h, mi, s, us) = UnpackDateTime(packed);
        FormatDate(destination, PackDate(y, mo, d));
        destination[10] = (byte)' ';
        Digits(destination[11..], h, 2);
        destination[13] = (byte)':';
        Digits(destination[14..], mi, 2);
        destination[16] = (byte)':';
        Digits(destination[17..], s, 2);
        if (fractionDigits <= 0) return 19;
        int digits = Math.Min(fractionDigits, 6);
        destination[19] = (byte)'.';
        Span<byte> micro = stackalloc byte[6];
        Digits(micro, us, 6);
        micro[..digits].CopyTo(destination[20..]);
        return 20 + digits;
    }

    private static void Digits(Span<byte> destination, int value, int count)
    {
        for (int i = count - 1; i >= 0; i--, value /= 10) destination[i] = (byte)('0' + value % 10);
    }

    public static string TimeText(long microseconds, int fractionDigits)
    {
        ulong magnitude = (ulong)Math.Abs(microseconds);
        ulong seconds = magnitude / 1_000_000;
        return $"{(microseconds < 0 ? "-" : "")}{seconds / 3600:D2}:{seconds / 60 % 60:D2}:{seconds % 60:D2}{Fraction((int)(magnitude % 1_000_000), fractionDigits)}";
    }

    public static ulong ParseDate(string text)
    {
        if (text.Length != 10 || text[4] != '-' || text[7] != '-') throw Bad("date", text);
        return PackDate(Int(text, 0, 4), Int(text, 5, 2), Int(text, 8, 2));
    }

    public static ulong ParseDateTime(string text)
    {
        if (text.Length < 19 || text[10] != ' ' || text[13] != ':' || text[16] != ':') throw Bad("datetime", text);
        var date = ParseDate(text[..10]);
        var (y, m, d) = UnpackDate(date);
        return PackDateTime(y, m, d, Int(text, 11, 2), Int(text, 14, 2), Int(text, 17, 2), Micro(text, 19, "datetime"));
    }

    /// <summary>ParseDateTime over ASCII bytes, without a string: the verification hot path. Null if the text is not one.</summary>
    public static ulong? ParseDateTime(ReadOnlySpan<byte> text)
    {
        if (text.Length < 19 || text[4] != '-' || text[7] != '-' || text[10] != ' ' || text[13] != ':' || text[16] != ':') return null;
        int micro = 0;
        if (text.Length > 19)
        {
            if (text[19] != '.' || text.Length - 20 is < 1 or > 6) return null;
            for (int i = 20; i < 26; i++)
            {
                int digit = i < text.Length ? Digit(text[i]) : 0;
                if (digit < 0) return null;
                micro = micro * 10 + digit;
            }
        }
        int y = Digits(text, 0, 4), m = Digits(text, 5, 2), d = Digits(text, 8, 2), h = Digits(text, 11, 2), mi = Digits(text, 14, 2), s = Digits(text, 17, 2);
        return (y | m | d | h | mi | s | micro) < 0 ? null : PackDateTime(y, m, d, h, mi, s, micro);
    }

    private static int Digits(ReadOnlySpan<byte> text, int start, int length)
    {
        int value = 0;
        for (int i = start; i < start + length; i++)
        {
            int digit = Digit(text[i]);
            if (digit < 0) return -1;
            value = value * 10 + digit;
        }
        return value;
    }

    private static int Digit(byte c) => c is >= (byte)'0' and <= (byte)'9' ? c - '0' : -1;

    public static long ParseTime(string text)
    {
        bool negative = text.StartsWith('-');
        var body = negative ? text[1..] : text;
        int firstColon = body.IndexOf(':');
        if (firstColon < 2 || body.Length < firstColon + 6 || body[firstColon + 3] != ':') throw Bad("time", text);
        long hours = Int(body, 0, firstColon), minutes = Int(body, firstColon + 1, 2), seconds = Int(body, firstColon + 4, 2);
        long micro = ((hours * 60 + minutes) * 60 + seconds) * 1_000_000 + Micro(body, firstColon + 6, "time");
        return negative ? -micro : micro;
    }

    private static string Fraction(int microsecond, int digits) =>
        digits <= 0 ? "" : "." + microsecond.ToString("D6", CultureInfo.InvariantCulture)[..Math.Min(digits, 6)];

    private static int Micro(string text, int at, string what)
    {
        if (at == text.Length) return 0;
        if (text[at] != '.' || text.Length - at - 1 is < 1 or > 6) throw Bad(what, text);
        var digits = text[(at + 1)..].PadRight(6, '0');
        return Int(digits, 0, 6);
    }

    private static int Int(string text, int start, int length)
    {
        if (!int.TryParse(text.AsSpan(start, length), NumberStyles.None, CultureInfo.InvariantCulture, out int value)) throw Bad("number", text);
        return value;
    }

    private static FormatException Bad(string what, string text) => new($"'{text}' is not a valid {what} value.");
}
