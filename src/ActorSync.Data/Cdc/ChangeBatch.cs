using ActorSync.Data.Wire;

namespace ActorSync.Data.Cdc;

public enum ChangeKind : byte { Upsert = 1, Delete = 2 }

/// <summary>
/// One row change in canonical form: an upsert carries the whole new row, a delete the key of the row removed.
/// An update that changes the key is a delete of the old key, then an upsert.
/// </summary>
public sealed record RowChange(string Table, ChangeKind Kind, byte[] Data);

/// <summary>
/// One committed source transaction: where the binlog is after it, its GTID, its commit time, its changes in order.
/// A DDL statement (which commits on its own) carries its <paramref name="SchemaChanges"/>, one per table it changed, and no row changes.
/// </summary>
public sealed record SourceTransaction(string End, string Gtid, long CommitUnixMillis, IReadOnlyList<RowChange> Changes, IReadOnlyList<SchemaChange>? SchemaChanges = null)
{
    public IReadOnlyList<SchemaChange> Schemas => SchemaChanges ?? [];
}

/// <summary>
/// Captured transactions, in commit order, from binlog position <paramref name="From"/> (exclusive) to
/// <paramref name="To"/> (where reading resumes after the last one). <paramref name="Sequence"/> counts batches of one
/// capture; <paramref name="Stopped"/> names tables whose capture stopped in this batch, with why.
/// </summary>
public sealed record ChangeBatch(long Sequence, string From, string To, IReadOnlyList<SourceTransaction> Transactions, IReadOnlyList<string> Stopped)
{
    /// <summary>2 added schema changes; format 1 (row changes only) is still read, since nodes keep batches across upgrades.</summary>
    private const int FormatVersion = 2;

    public int RowCount => Transactions.Sum(t => t.Changes.Count);

    public byte[] Encode()
    {
        var writer = new CompactWriter().Int(FormatVersion).Long(Sequence).String(From).String(To).Int(Transactions.Count);
        foreach (var transaction in Transactions)
        {
            writer.String(transaction.End).String(transaction.Gtid).Long(transaction.CommitUnixMillis).Int(transaction.Changes.Count);
            foreach (var change in transaction.Changes) writer.String(change.Table).Int((int)change.Kind).Bytes(change.Data);
            writer.Int(transaction.Schemas.Count);
            foreach (var schema in transaction.Schemas) WriteSchema(writer, schema);
        }
        writer.Int(Stopped.Count);
        foreach (var stopped in Stopped) writer.String(stopped);
        return writer.ToArray();
    }

    public static ChangeBatch Decode(byte[] encoded)
    {
        var reader = new CompactReader(encoded, "change batch");
        int version = reader.Int();
        if (version is not (1 or FormatVersion)) throw new DataEdgeException($"the change batch has format {version}; this build reads formats 1 and {FormatVersion}.");
        long sequence = reader.Long();
        string from = reader.String(), to = reader.String();
        var transactions = new SourceTransaction[reader.Count()];
        for (int t = 0; t < transactions.Length; t++)
        {
            string end = reader.String(), gtid = reader.String();
            long commit = reader.Long();
            var changes = new RowChange[reader.Count()];
            for (int c = 0; c < changes.Length; c++)
            {
                string table = reader.String();
                int kind = reader.Int();
                if (kind is not (1 or 2)) throw new DataEdgeException($"the change batch is damaged: a change to '{table}' has kind {kind}.");
                changes[c] = new RowChange(table, (ChangeKind)kind, reader.Bytes());
            }
            var schemas = new SchemaChange[version >= 2 ? reader.Count() : 0];
            for (int s = 0; s < schemas.Length; s++) schemas[s] = ReadSchema(reader);
            transactions[t] = new SourceTransaction(end, gtid, commit, changes, schemas);
        }
        var stopped = new string[reader.Count()];
        for (int s = 0; s < stopped.Length; s++) stopped[s] = reader.String();
        reader.End();
        return new ChangeBatch(sequence, from, to, transactions, stopped);
    }

    private static void WriteSchema(CompactWriter writer, SchemaChange schema)
    {
        writer.String(schema.Table).String(schema.Statement).NullableBytes(schema.After is { } after ? new DatasetCatalog([after], []).Encode() : null).Int(schema.Steps.Count);
        foreach (var step in schema.Steps) writer.Int((int)step.Kind).String(step.Column).String(step.OldName).NullableBytes(step.Fill);
    }

    private static SchemaChange ReadSchema(CompactReader reader)
    {
        string table = reader.String(), statement = reader.String();
        var after = reader.NullableBytes() is { } encoded ? DatasetCatalog.Decode(encoded).Tables.Single() : null;
        var steps = new SchemaStep[reader.Count()];
        for (int s = 0; s < steps.Length; s++)
        {
            int kind = reader.Int();
            if (!Enum.IsDefined((SchemaStepKind)kind)) throw new DataEdgeException($"the change batch is damaged: a schema change of '{table}' has step kind {kind}.");
            steps[s] = new SchemaStep((SchemaStepKind)kind, reader.String(), reader.String(), reader.NullableBytes());
        }
        return new SchemaChange(table, statement, after, steps);
    }
}
