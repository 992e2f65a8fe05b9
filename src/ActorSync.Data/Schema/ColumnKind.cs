namespace ActorSync.Data.Schema;

/// <summary>How a column's values are carried in the canonical row encoding. See docs/DATA.md for the full map.</summary>
public enum ColumnKind
{
    /// <summary>TINYINT..BIGINT signed, YEAR: a zigzag varint.</summary>
    SignedInteger,

    /// <summary>TINYINT..BIGINT unsigned, BIT: a varint.</summary>
    UnsignedInteger,

    /// <summary>DECIMAL(p,s): the unscaled integer (value·10^s), as length-prefixed two's complement bytes.</summary>
    Decimal,

    /// <summary>FLOAT: 4 bytes IEEE 754, little-endian.</summary>
    Float,

    /// <summary>DOUBLE: 8 bytes IEEE 754, little-endian.</summary>
    Double,

    /// <summary>CHAR, VARCHAR, TEXT, ENUM, SET, JSON: length-prefixed UTF-8.</summary>
    Text,

    /// <summary>BINARY, VARBINARY, BLOB: length-prefixed bytes.</summary>
    Binary,

    /// <summary>DATE: a varint of (year·13+month)·32+day; the zero date is 0.</summary>
    Date,

    /// <summary>DATETIME(fsp), TIMESTAMP(fsp): the date packing extended by hours, minutes, seconds and microseconds.</summary>
    DateTime,

    /// <summary>TIME(fsp): a zigzag varint of signed microseconds (−838:59:59 to 838:59:59).</summary>
    Time,
}
