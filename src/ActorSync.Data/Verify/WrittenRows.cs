namespace ActorSync.Data.Verify;

/// <summary>
/// What one apply wrote to one keyed table, so verification need not read those rows back: the digest of the rows as
/// they were bound, and which buckets they rewrote. Every row written is in the table (an upsert by key), once (the
/// key is unique), so a rewritten bucket holds exactly the rows written to it if it holds as many rows as were
/// written: verification counts them by key alone
/// (<see cref="Verifier.CompareWithSnapshot(Sqlite.SqliteDestination, DatasetCatalog, IReadOnlyList{WrittenRows?})"/>).
/// </summary>
/// <param name="Digest">The rows written, digested from the canonical bytes that were bound.</param>
/// <param name="ReplacedTable">The table was emptied in the same transaction: it holds exactly the rows written.</param>
/// <param name="Buckets">The batches (key-hash buckets) this apply rewrote.</param>
public sealed record WrittenRows(TableDigest Digest, bool ReplacedTable, IReadOnlySet<int> Buckets, int BatchCount)
{
    private readonly bool[] _rewritten = Enumerable.Range(0, BatchCount).Select(Buckets.Contains).ToArray();

    /// <summary>Whether the row with this key hash (XXH3 of its canonical key) is in a bucket this apply rewrote.</summary>
    public bool Rewrote(ulong keyHash) => _rewritten[(int)(keyHash % (ulong)_rewritten.Length)];
}
