namespace ActorSync.Data.Cdc;

/// <summary>
/// Groups captured items into change batches: a batch closes when its first transaction has waited
/// <paramref name="window"/>, or it holds <paramref name="maxBytes"/> of changes. A batch with no transactions is
/// only cut when the position moved and <paramref name="idleWindow"/> passed, so offsets advance while the synced
/// tables are quiet, and a quiet source costs nothing. Pure: items and clock in, batches out.
/// </summary>
public sealed class ChangeBatcher(string from, long nextSequence, TimeSpan window, long maxBytes, TimeSpan idleWindow)
{
    private readonly List<SourceTransaction> _transactions = [];
    private readonly List<string> _stopped = [];
    private string _from = from;
    private string _to = from;
    private long _bytes;
    private DateTime? _firstAt;
    private DateTime _lastCut = DateTime.MinValue;

    public long NextSequence { get; private set; } = nextSequence;

    public void Add(CaptureItem item, DateTime now, IReadOnlyDictionary<string, string> reasons)
    {
        _to = item.Position;
        foreach (var table in item.Stopped) _stopped.Add($"{table}\t{reasons.GetValueOrDefault(table, "stopped")}");
        if (item.Transaction is not { } transaction) return;
        _transactions.Add(transaction);
        _bytes += transaction.Changes.Sum(c => c.Data.Length + c.Table.Length + 8) + transaction.Schemas.Sum(c => c.Statement.Length + 256);
        _firstAt ??= now;
    }

    /// <summary>How long until the open batch is due (for a timer), or null when nothing waits.</summary>
    public TimeSpan? DueIn(DateTime now) =>
        _firstAt is { } first ? window - (now - first) : _to != _from || _stopped.Count > 0 ? idleWindow - (now - _lastCut) : null;

    /// <summary>The batch, if one is due now.</summary>
    public ChangeBatch? TakeIfDue(DateTime now)
    {
        bool due = _transactions.Count > 0
            ? _bytes >= maxBytes || now - _firstAt!.Value >= window
            : _stopped.Count > 0 || (_to != _from && now - _lastCut >= idleWindow);
        if (!due) return null;
        var batch = new ChangeBatch(NextSequence++, _from, _to, _transactions.ToArray(), _stopped.ToArray());
        _transactions.Clear();
        _stopped.Clear();
        _bytes = 0;
        _firstAt = null;
        _from = _to;
        _lastCut = now;
        return batch;
    }
}
