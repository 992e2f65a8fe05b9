using System.Text.RegularExpressions;
using ActorSync.Binlog;
using ActorSync.Data.Schema;

namespace ActorSync.Data.Cdc;

/// <summary>What the change stream yields: a committed transaction, or just progress (a position, a stopped table).</summary>
/// <param name="Transaction">A committed transaction touching synced tables (or a schema change of one), or null for progress only.</param>
/// <param name="Position">Where reading resumes after this item.</param>
/// <param name="Stopped">Synced tables whose capture stopped here (the assembler's <see cref="TransactionAssembler.Stopped"/> says why).</param>
/// <param name="Ddl">A statement that may have changed a table's definition: the stream resolves it against the source.</param>
public sealed record CaptureItem(SourceTransaction? Transaction, string Position, IReadOnlyList<string> Stopped, PendingDdl? Ddl = null);

/// <summary>A DDL statement of the followed database, naming the tables it touches, as the binlog logged it.</summary>
public sealed record PendingDdl(IReadOnlyList<string> Tables, string Statement, string Gtid, long CommitUnixMillis);

/// <summary>
/// Groups binlog events into committed transactions of the synced tables, in commit order, as canonical row
/// changes. A DDL statement of the followed database comes out as a <see cref="PendingDdl"/> for the stream to
/// resolve (<see cref="SchemaEvolution"/>), which then follows the table's new shape, forgets it, or stops it with a
/// clear reason; the other tables go on. Pure: events in, items out.
/// </summary>
public sealed partial class TransactionAssembler
{
    private readonly string _database;
    private readonly Dictionary<string, BinlogRowMapper> _mappers;
    private readonly Dictionary<string, string> _stopped = new(StringComparer.OrdinalIgnoreCase);
    private List<RowChange>? _open;
    private string _gtid = "";
    private readonly List<string> _pendingStops = [];

    public TransactionAssembler(string database, IEnumerable<BinlogRowMapper> mappers, IEnumerable<KeyValuePair<string, string>>? stopped = null)
    {
        _database = database;
        _mappers = mappers.ToDictionary(m => m.Table.Name, StringComparer.OrdinalIgnoreCase);
        foreach (var (table, reason) in stopped ?? []) Stop(table, reason);
    }

    public IReadOnlyDictionary<string, string> Stopped => _stopped;

    /// <summary>The followed table's schema, or null if it is not followed (not synced, stopped or dropped).</summary>
    /// <summary>Whether an event changes rows of this table of the followed database.</summary>
    public bool WritesTo(BinlogEvent binlogEvent, string table) =>
        binlogEvent is RowsEvent rows && string.Equals(rows.Table.Database, _database, StringComparison.Ordinal)
                                      && string.Equals(rows.Table.Table, table, StringComparison.OrdinalIgnoreCase);

    public TableSchema? Followed(string table) => _mappers.TryGetValue(table, out var mapper) ? mapper.Table : null;

    /// <summary>Follows a table in a new shape (after a carried schema change) or a new table.</summary>
    public void Follow(BinlogRowMapper mapper)
    {
        _stopped.Remove(mapper.Table.Name);
        _mappers[mapper.Table.Name] = mapper;
    }

    /// <summary>Stops following a dropped table.</summary>
    public void Forget(string table) => _mappers.Remove(table);

    public void Stop(string table, string reason)
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
                    _pendingStops.Add(mapper.Table.Name); // reported with the commit: a position inside a transaction is no resume point
                }
                return null;
            case XidEvent:
            case QueryEvent { Sql: "COMMIT" }:
                return Complete(at, binlogEvent.Timestamp);
            case QueryEvent query:
            {
                _open = null; // a DDL commits implicitly
                if (query.Sql is "BEGIN" or "COMMIT") return null;
                var touched = TouchedTables(query).Where(t => !_stopped.ContainsKey(t)).ToArray();
                return new CaptureItem(null, at, [],
                    touched.Length == 0 ? null : new PendingDdl(touched, query.Sql, _gtid, binlogEvent.Timestamp.ToUnixTimeMilliseconds()));
            }
            case RotateEvent or HeartbeatEvent:
                return _open is null ? new CaptureItem(null, at, []) : null;
            default:
                return null;
        }
    }

    private CaptureItem Complete(string at, DateTimeOffset commit)
    {
        var changes = _open;
        var stopped = _pendingStops.ToArray();
        _open = null;
        _pendingStops.Clear();
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

    /// <summary>The tables of the followed database a DDL statement names (every one of DROP TABLE a, b; the old names of RENAME TABLE).</summary>
    public IEnumerable<string> TouchedTables(QueryEvent query)
    {
        var match = DdlPattern().Match(query.Sql);
        if (!match.Success) return [];
        var names = new List<string>();
        foreach (Capture name in match.Groups["name"].Captures)
        {
            var parts = name.Value.Split('.', 2);
            var (database, table) = parts.Length == 2 ? (parts[0].Trim('`'), parts[1].Trim('`')) : (query.Database, parts[0].Trim('`'));
            if (string.Equals(database, _database, StringComparison.Ordinal)) names.Add(table);
        }
        return names.Distinct(StringComparer.OrdinalIgnoreCase);
    }

    private const string Name = @"(?<name>(?:`[^`]+`|[^`.\s(;,]+)(?:\.(?:`[^`]+`|[^`.\s(;,]+))?)";

    [GeneratedRegex(@"^\s*(?:(?:ALTER\s+(?:ONLINE\s+|IGNORE\s+)*TABLE|TRUNCATE(?:\s+TABLE)?|CREATE\s+(?:OR\s+REPLACE\s+)?TABLE(?:\s+IF\s+NOT\s+EXISTS)?)\s+" + Name +
                    @"|DROP\s+(?:TEMPORARY\s+)?TABLE(?:\s+IF\s+EXISTS)?\s+" + Name + @"(?:\s*,\s*" + Name + @")*" +
                    @"|RENAME\s+TABLE\s+" + Name + @"\s+TO\s+\S+(?:\s*,\s*" + Name + @"\s+TO\s+\S+)*)",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DdlPattern();
}
