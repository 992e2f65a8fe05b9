using System.Numerics;
using ActorSync.Data.Encoding;
using FsCheck.Xunit;

namespace ActorSync.Data.Tests;

public class CanonicalTextTests
{
    [Property(MaxTest = 500)]
    public bool Datetime_text_round_trips(ushort year, byte month, byte day, byte hour, byte minute, byte second, int micro, byte digits)
    {
        int fsp = digits % 7;
        int us = Math.Abs(micro % 1_000_000) / (int)Math.Pow(10, 6 - fsp) * (int)Math.Pow(10, 6 - fsp);
        var packed = Temporal.PackDateTime(year % 10000, month % 13, day % 32, hour % 24, minute % 60, second % 60, us);
        var text = Temporal.DateTimeText(packed, fsp);
        return Temporal.ParseDateTime(text) == packed && text.Length == (fsp == 0 ? 19 : 20 + fsp);
    }

    [Property(MaxTest = 500)]
    public bool Time_text_round_trips(int seconds, int micro, bool negative)
    {
        long value = (Math.Abs((long)seconds) % (839L * 3600)) * 1_000_000 + Math.Abs(micro % 1_000_000);
        if (negative) value = -value;
        return Temporal.ParseTime(Temporal.TimeText(value, 6)) == value;
    }

    [Property(MaxTest = 500)]
    public bool Decimal_text_round_trips(long whole, ulong extra, byte scaleSeed)
    {
        int scale = scaleSeed % 31;
        var unscaled = new BigInteger(whole) * new BigInteger(ulong.MaxValue) + extra; // beyond 64 bits, like DECIMAL(65)
        return DecimalText.Parse(DecimalText.Format(unscaled, scale), scale) == unscaled;
    }

    [Fact]
    public void Decimal_text_has_exactly_the_scale_digits()
    {
        Assert.Equal("-0.05", DecimalText.Format(-5, 2));
        Assert.Equal("12", DecimalText.Format(12, 0));
        Assert.Equal(new BigInteger(-5), DecimalText.Parse("-.05", 2));
        Assert.Throws<FormatException>(() => DecimalText.Parse("1.234", 2));
    }

    [Fact]
    public void The_zero_date_is_zero()
    {
        Assert.Equal(0UL, Temporal.ParseDate("0000-00-00"));
        Assert.Equal("0000-00-00 00:00:00.000", Temporal.DateTimeText(0, 3));
    }
}
