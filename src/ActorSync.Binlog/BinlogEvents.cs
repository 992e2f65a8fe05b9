namespace ActorSync.Binlog;

/// <summary>Column types as the binlog's TABLE_MAP_EVENT names them (MySQL's enum_field_types).</summary>
public enum ColumnType : byte
{
    Decimal = 0, Tiny = 1, Short = 2, Long = 3, Float = 4, Double = 5, Null = 6, Timestamp = 7, LongLong = 8, Int24 = 9,
    Date = 10, Time = 11, DateTime = 12, Year = 13, NewDate = 14, VarChar = 15, Bit = 16, Timestamp2 = 17, DateTime2 = 18,
    Time2 = 19, Json = 245, NewDecimal = 246, Enum = 247, Set = 248, TinyBlob = 249, MediumBlob = 250, LongBlob = 251,
    Blob = 252, VarString = 253, String = 254, Geometry = 255,
}

/// <summary>One event read from the binlog. <paramref name="Next"/> is where reading resumes after it.</summary>
public abstract record BinlogEvent(DateTimeOffset Timestamp, BinlogPosition Next);

/// <summary>The server moves to another binlog file (also sent first, to say where the dump starts).</summary>
public sealed record RotateEvent(DateTimeOffset Timestamp, BinlogPosition Next) : BinlogEvent(Timestamp, Next);

/// <summary>A transaction begins (MariaDB's GTID event): <paramref name="Standalone"/> ones (DDL) have no commit event.</summary>
public sealed record GtidEvent(DateTimeOffset Timestamp, BinlogPosition Next, uint Domain, uint ServerId, ulong Sequence, bool Standalone)
    : BinlogEvent(Timestamp, Next)
{
    public string Gtid => $"{Domain}-{ServerId}-{Sequence}";
}

/// <summary>A statement logged as text: BEGIN, COMMIT (non-transactional engines), and DDL.</summary>
public sealed record QueryEvent(DateTimeOffset Timestamp, BinlogPosition Next, string Database, string Sql) : BinlogEvent(Timestamp, Next);

/// <summary>A transaction commits.</summary>
public sealed record XidEvent(DateTimeOffset Timestamp, BinlogPosition Next, ulong Xid) : BinlogEvent(Timestamp, Next);

/// <summary>What the following row events' table id means: the table and its columns' binlog types.</summary>
public sealed record TableMapEvent(DateTimeOffset Timestamp, BinlogPosition Next, ulong TableId, string Database, string Table,
    ColumnType[] Types, ushort[] Metadata, bool[] Nullable) : BinlogEvent(Timestamp, Next);

public enum RowChangeKind : byte { Insert, Update, Delete }

/// <summary>
/// One row's images: inserts have only <paramref name="After"/>, deletes only <paramref name="Before"/>. Each image
/// holds one cell per column of the table (null where the column was NULL or not logged). See <see cref="RowDecoder"/>
/// for the cell types.
/// </summary>
public sealed record RowImage(object?[]? Before, object?[]? After);

public sealed record RowsEvent(DateTimeOffset Timestamp, BinlogPosition Next, RowChangeKind Kind, TableMapEvent Table, IReadOnlyList<RowImage> Rows)
    : BinlogEvent(Timestamp, Next);

/// <summary>The server is alive and has nothing new (sent when idle, at the heartbeat period asked for).</summary>
public sealed record HeartbeatEvent(DateTimeOffset Timestamp, BinlogPosition Next) : BinlogEvent(Timestamp, Next);

/// <summary>Any other event, skipped: its type is kept for logs.</summary>
public sealed record OtherEvent(DateTimeOffset Timestamp, BinlogPosition Next, byte Type) : BinlogEvent(Timestamp, Next);

/// <summary>DECIMAL's exact value: <paramref name="Unscaled"/>·10^−<paramref name="Scale"/>.</summary>
public readonly record struct DecimalCell(System.Numerics.BigInteger Unscaled, int Scale);

/// <summary>DATE, DATETIME: as written, with no time zone (the zero date is all zeros).</summary>
public readonly record struct DateTimeCell(int Year, int Month, int Day, int Hour, int Minute, int Second, int Microsecond);

/// <summary>TIMESTAMP: seconds since the Unix epoch in UTC, and microseconds.</summary>
public readonly record struct TimestampCell(long Seconds, int Microsecond);

/// <summary>TIME: signed microseconds.</summary>
public readonly record struct TimeCell(long Microseconds);

/// <summary>ENUM: the 1-based index of the value (0 for the empty error value).</summary>
public readonly record struct EnumCell(int Index);

/// <summary>SET: bit i set = the (i+1)-th member is in the set.</summary>
public readonly record struct SetCell(ulong Members);

/// <summary>MySQL 8's binary JSON (MariaDB logs JSON as text, a blob): kept raw.</summary>
public readonly record struct BinaryJsonCell(byte[] Bytes);
