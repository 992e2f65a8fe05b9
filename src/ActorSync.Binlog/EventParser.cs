using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace ActorSync.Binlog;

/// <summary>
/// Turns raw binlog events (a 19-byte header, then the body) into <see cref="BinlogEvent"/>s, keeping the table maps
/// that row events refer to and the current file name. One parser per dump connection. Layouts: FORMAT.md.
/// </summary>
public sealed class EventParser(bool checksummed, string file)
{
    private const int HeaderLength = 19;
    private readonly Dictionary<ulong, TableMapEvent> _tables = new();

    public string File { get; private set; } = file;

    public BinlogEvent Parse(ReadOnlySpan<byte> raw)
    {
        if (raw.Length < HeaderLength) throw new BinlogException($"a binlog event of {raw.Length} bytes is shorter than its header.");
        var timestamp = DateTimeOffset.FromUnixTimeSeconds(BinaryPrimitives.ReadUInt32LittleEndian(raw));
        byte type = raw[4];
        uint serverId = BinaryPrimitives.ReadUInt32LittleEndian(raw[5..]);
        uint size = BinaryPrimitives.ReadUInt32LittleEndian(raw[9..]);
        long next = BinaryPrimitives.ReadUInt32LittleEndian(raw[13..]);
        if (size != raw.Length) throw new BinlogException($"a binlog event says it has {size} bytes but {raw.Length} arrived.");
        var body = raw[HeaderLength..];
        // The format description carries its checksum whatever the setting; the others only when checksums are on.
        if (checksummed || type == 15)
        {
            uint expected = BinaryPrimitives.ReadUInt32LittleEndian(raw[^4..]);
            uint actual = Crc32.HashToUInt32(raw[..^4]);
            if (checksummed && expected != actual && !(type == 4 && next == 0))
                throw new BinlogException($"binlog event of type {type} at {File}:{next - size} fails its CRC32 checksum: the stream is damaged.");
            body = body[..^4];
        }
        switch (type)
        {
            case 4: // ROTATE
            {
                long position = (long)BinaryPrimitives.ReadUInt64LittleEndian(body);
                File = Encoding.UTF8.GetString(body[8..]);
                return new RotateEvent(timestamp, new BinlogPosition(File, position));
            }
            case 27: // HEARTBEAT: the body names the current file; the header's position is where the server is
            {
                var at = new BinlogPosition(File, next);
                return new HeartbeatEvent(timestamp, at);
            }
        }
        var after = new BinlogPosition(File, next);
        switch (type)
        {
            case 2: // QUERY
            {
                int dbLength = body[8];
                int statusLength = BinaryPrimitives.ReadUInt16LittleEndian(body[11..]);
                int at = 13 + statusLength;
                string database = Encoding.UTF8.GetString(body.Slice(at, dbLength));
                at += dbLength + 1;
                return new QueryEvent(timestamp, after, database, Encoding.UTF8.GetString(body[at..]));
            }
            case 16: return new XidEvent(timestamp, after, BinaryPrimitives.ReadUInt64LittleEndian(body));
            case 162: // MariaDB GTID
            {
                ulong sequence = BinaryPrimitives.ReadUInt64LittleEndian(body);
                uint domain = BinaryPrimitives.ReadUInt32LittleEndian(body[8..]);
                bool standalone = (body[12] & 1) != 0;
                return new GtidEvent(timestamp, after, domain, serverId, sequence, standalone);
            }
            case 19: return ParseTableMap(timestamp, after, body);
            case 23 or 30: return ParseRows(timestamp, after, body, RowChangeKind.Insert, type == 30);
            case 24 or 31: return ParseRows(timestamp, after, body, RowChangeKind.Update, type == 31);
            case 25 or 32: return ParseRows(timestamp, after, body, RowChangeKind.Delete, type == 32);
            case >= 165 and <= 171:
                throw new BinlogException($"the binlog holds compressed events (type {type}, log_bin_compress=ON); the reader needs them uncompressed: SET GLOBAL log_bin_compress=OFF.");
            case 164:
                throw new BinlogException("the binlog is encrypted (START_ENCRYPTION_EVENT); the reader needs an unencrypted binlog (encrypt_binlog=OFF).");
            default: return new OtherEvent(timestamp, after, type);
        }
    }

    private TableMapEvent ParseTableMap(DateTimeOffset timestamp, BinlogPosition after, ReadOnlySpan<byte> body)
    {
        ulong tableId = ReadTableId(body);
        int at = 8;
        int dbLength = body[at++];
        string database = Encoding.UTF8.GetString(body.Slice(at, dbLength));
        at += dbLength + 1;
        int tableLength = body[at++];
        string table = Encoding.UTF8.GetString(body.Slice(at, tableLength));
        at += tableLength + 1;
        int columns = (int)LengthEncoded(body, ref at);
        var types = new ColumnType[columns];
        for (int i = 0; i < columns; i++) types[i] = (ColumnType)body[at + i];
        at += columns;
        int metadataLength = (int)LengthEncoded(body, ref at);
        var metadata = new ushort[columns];
        int m = at;
        for (int i = 0; i < columns; i++)
        {
            switch (types[i])
            {
                case ColumnType.Float or ColumnType.Double or ColumnType.Blob or ColumnType.TinyBlob or ColumnType.MediumBlob or ColumnType.LongBlob
                    or ColumnType.Geometry or ColumnType.Json or ColumnType.Timestamp2 or ColumnType.DateTime2 or ColumnType.Time2:
                    metadata[i] = body[m++];
                    break;
                case ColumnType.VarChar or ColumnType.VarString or ColumnType.Bit or ColumnType.NewDecimal or ColumnType.String
                    or ColumnType.Enum or ColumnType.Set:
                    metadata[i] = (ushort)(body[m] | body[m + 1] << 8);
                    m += 2;
                    break;
            }
        }
        at += metadataLength;
        var nullable = new bool[columns];
        for (int i = 0; i < columns; i++) nullable[i] = (body[at + i / 8] & (1 << (i % 8))) != 0;
        var map = new TableMapEvent(timestamp, after, tableId, database, table, types, metadata, nullable);
        _tables[tableId] = map;
        return map;
    }

    private RowsEvent ParseRows(DateTimeOffset timestamp, BinlogPosition after, ReadOnlySpan<byte> body, RowChangeKind kind, bool version2)
    {
        ulong tableId = ReadTableId(body);
        int at = 8;
        if (version2) at += BinaryPrimitives.ReadUInt16LittleEndian(body[at..]); // extra data, its length included
        int columns = (int)LengthEncoded(body, ref at);
        if (!_tables.TryGetValue(tableId, out var table))
            throw new BinlogException($"a row event at {after} refers to table id {tableId}, which no table map announced.");
        if (columns != table.Types.Length)
            throw new BinlogException($"a row event for {table.Database}.{table.Table} has {columns} columns, its table map {table.Types.Length}.");
        return new RowsEvent(timestamp, after, kind, table, RowDecoder.ReadRows(body, at, kind, table, columns));
    }

    private static ulong ReadTableId(ReadOnlySpan<byte> body) =>
        BinaryPrimitives.ReadUInt32LittleEndian(body) | (ulong)BinaryPrimitives.ReadUInt16LittleEndian(body[4..]) << 32;

    internal static ulong LengthEncoded(ReadOnlySpan<byte> data, ref int at)
    {
        byte first = data[at++];
        switch (first)
        {
            case < 0xFB: return first;
            case 0xFC: at += 2; return BinaryPrimitives.ReadUInt16LittleEndian(data[(at - 2)..]);
            case 0xFD: at += 3; return (ulong)(data[at - 3] | data[at - 2] << 8 | data[at - 1] << 16);
            case 0xFE: at += 8; return BinaryPrimitives.ReadUInt64LittleEndian(data[(at - 8)..]);
            default: throw new BinlogException($"a length-encoded integer starts with 0x{first:x2}.");
        }
    }
}
