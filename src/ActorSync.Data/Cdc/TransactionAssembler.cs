using System.Text.RegularExpressions;
using ActorSync.Binlog;
using ActorSync.Data.Schema;

namespace ActorSync.Data.Cdc;

/// <summary>What the change stream yields: a committed transaction, or just progress (a position, a stopped table).</summary>
/// <param name="Transaction">A committed transaction touching synced tables, or null for progress only.</param>
/// <param name="Position">Where reading resumes after this item.</param>
/// <param name="Stopped">A synced table whose capture stopped here, with why, or null.</param>
public sealed record CaptureItem(SourceTransaction? Transaction, string Position, string? Stopped);

/// <summary>
/// Groups binlog events into committed transactions of the synced tables, in commit order, as canonical row
/// changes. A statement that changes a synced table's definition stops that table's capture with a clear reason;
/// the other tables go on. Pure: events in, items out.
/// </summary>
public sealed partial class TransactionAssembler
{
    private readonly string _database;
    private readonly Dictionary<string, BinlogRowMapper> _mappers;
    private readonly Dictionary<string, string> _stopped = new(StringComparer.OrdinalIgnoreCase);
    private List<RowChange>? _open;
    private string _gtid = "";
    private string? _pendingStop;

    public TransactionAssembler(string database, IEnumerable<BinlogRowMapper> mappers, IEnumerable<KeyValuePair<string, string>>? stopped = null)
    {
        _database = database;
        _mappers = mappers.ToDictionary(m => m.Table.Name, StringComparer.OrdinalIgnoreCase);
        foreach (var (table, reason) in stopped ?? []) Stop(table, reason);
    }

    public IReadOnlyDictionary<string, string> Stopped => _stopped;

    private void Stop(string table, string reason)
    {
        _stopped[table] = reason;
        _mappers.Remove(table);
    }

    /// <summary>The item this event completes, or null while a transaction is still open.</summary>
    public CaptureItem? Add(BinlogEvent binlogEvent)
    {
        string at = binlogEvent.Next.ToString();
        switch (binlogEvent)
        {
            case GtidEvent gtid:
                _gtid = gtid.Gtid;
                _open = [];
                return null;
            case QueryEvent { Sql: "BEGIN" }:
                _open ??= [];
                return null;
            case RowsEvent rows when _open is not null:
                if (!string.Equals(rows.Table.Database, _database, StringComparison.Ordinal)) return null;
                if (!_mappers.TryGetValue(rows.Table.Table, out var mapper)) return null;
                try
                {
                    foreach (var image in rows.Rows) Map(mapper, rows.Kind, image, _open);
                }
                catch (DataEdgeException error)
                {
                    // This table's changes cannot be carried: it stops here, the transaction's other changes go on.
                    _open.RemoveAll(c => string.Equals(c.Table, mapper.Table.Name, StringComparison.OrdinalIgnoreCase));
                    Stop(mapper.Table.Name, $"{error.Message} (at {at})");
                    _pendingStop = mapper.Table.Name; // reported with the commit: a position inside a transaction is no resume point
                }
                return null;
            case XidEvent:
            case QueryEvent { Sql: "COMMIT" }:
                return Complete(at, binlogEvent.Timestamp);
            case QueryEvent query:
            {
                var touched = TouchedTable(query);
                string? stopped = null;
                if (touched is not null && (_mappers.ContainsKey(touched) || IsCreate(query)))
                {
                    Stop(touched, $"its definition changed at {at} (`{Shorten(query.Sql)}`); continuous sync of it stopped: run `actorsync sync start` to snapshot it again, then `actorsync sync follow`");
                    stopped = touched;
                }
                _open = null; // a DDL commits implicitly
                return new CaptureItem(null, at, stopped);
            }
            case RotateEvent or HeartbeatEvent:
                return _open is null ? new CaptureItem(null, at, null) : null;
            default:
                return null;
        }
    }

    private CaptureItem Complete(string at, DateTimeOffset commit)
    {
        var changes = _open;
        var stopped = _pendingStop;
        _open = null;
        _pendingStop = null;
        return new CaptureItem(changes is { Count: > 0 } ? new SourceTransaction(at, _gtid, commit.ToUnixTimeMilliseconds(), changes) : null, at, stopped);
    }

    private static void Map(BinlogRowMapper mapper, RowChangeKind kind, RowImage image, List<RowChange> changes)
    {
        string table = mapper.Table.Name;
        switch (kind)
        {
            case RowChangeKind.Insert:
                changes.Add(new RowChange(table, ChangeKind.Upsert, mapper.Row(image.After!)));
                break;
            case RowChangeKind.Delete:
                changes.Add(new RowChange(table, ChangeKind.Delete, mapper.Key(mapper.Row(image.Before!))));
                break;
            default:
                var after = mapper.Row(image.After!);
                var oldKey = mapper.Key(mapper.Row(image.Before!));
                if (!oldKey.AsSpan().SequenceEqual(mapper.Key(after))) changes.Add(new RowChange(table, ChangeKind.Delete, oldKey));
                changes.Add(new RowChange(table, ChangeKind.Upsert, after));
                break;
        }
    }

    private string? TouchedTable(QueryEvent query)
    {
        var match = DdlPattern().Match(query.Sql);
        if (!match.Success) return null;
        var database = match.Groups["db"].Success ? match.Groups["db"].Value : query.Database;
        return string.Equals(database, _database, StringComparison.Ordinal) ? match.Groups["table"].Value : null;
    }

    private static bool IsCreate(QueryEvent query) => query.Sql.TrimStart().StartsWith("CREATE", StringComparison.OrdinalIgnoreCase);

    private static string Shorten(string sql) => sql.Length <= 80 ? sql : sql[..77] + "...";

    [GeneratedRegex(@"^\s*(?:ALTER\s+(?:ONLINE\s+|IGNORE\s+)*TABLE|DROP\s+(?:TEMPORARY\s+)?TABLE(?:\s+IF\s+EXISTS)?|TRUNCATE(?:\s+TABLE)?|RENAME\s+TABLE|CREATE\s+(?:OR\s+REPLACE\s+)?TABLE(?:\s+IF\s+NOT\s+EXISTS)?)\s+(?:`?(?<db>[^`.\s]+)`?\.)?`?(?<table>[^`\s(;,]+)`?",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DdlPattern();
}
