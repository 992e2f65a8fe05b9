using System.Globalization;
using System.Numerics;

namespace ActorSync.Data.Encoding;

/// <summary>DECIMAL(p,s) values as unscaled integers and as exact text with exactly s digits after the point.</summary>
public static class DecimalText
{
    /// <summary>Parses "-123.45" (any number of fraction digits up to <paramref name="scale"/>) into value·10^scale.</summary>
    public static BigInteger Parse(string text, int scale)
    {
        var span = text.AsSpan().Trim();
        bool negative = span.StartsWith("-");
        if (negative || span.StartsWith("+")) span = span[1..];
        int point = span.IndexOf('.');
        var whole = point < 0 ? span : span[..point];
        var fraction = point < 0 ? ReadOnlySpan<char>.Empty : span[(point + 1)..];
        if (fraction.Length > scale) throw new FormatException($"'{text}' has more than {scale} digits after the point.");
        if (whole.IsEmpty && fraction.IsEmpty) throw new FormatException($"'{text}' is not a decimal number.");
        var digits = string.Concat(whole, fraction, new string('0', scale - fraction.Length));
        if (!BigInteger.TryParse(digits.Length == 0 ? "0" : digits, NumberStyles.None, CultureInfo.InvariantCulture, out var unscaled))
            throw new FormatException($"'{text}' is not a decimal number.");
        return negative ? -unscaled : unscaled;
    }

    public static string Format(BigInteger unscaled, int scale)
    {
        var digits = BigInteger.Abs(unscaled).ToString(CultureInfo.InvariantCulture).PadLeft(scale + 1, '0');
        var sign = unscaled.Sign < 0 ? "-" : "";
        return scale == 0 ? sign + digits : $"{sign}{digits[..^scale]}.{digits[^scale..]}";
    }
}
