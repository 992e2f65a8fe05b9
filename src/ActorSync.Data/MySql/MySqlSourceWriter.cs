using ActorSync.Data.Encoding;
using ActorSync.Data.Schema;
using MySqlConnector;

namespace ActorSync.Data.MySql;

/// <summary>
/// A reverse-sync transaction on MySQL: rows are read with SELECT … FOR UPDATE in batches of keys, so the rows being
/// decided stay locked until the commit; writes are buffered per table and sent as multi-row upserts and deletes.
/// </summary>
internal sealed class MySqlSourceWriter(MySqlSource source, MySqlConnection connection, MySqlTransaction transaction) : ISourceWriter
{
    private const int Batch = 200;
    private readonly Dictionary<TableSchema, List<(byte[] Key, byte[]? Row)>> _pending = new();
    private bool _committed;

    public int Written { get; private set; }

    public async Task<IReadOnlyList<byte[]?>> ReadRowsAsync(TableSchema table, IReadOnlyList<byte[]> keys, CancellationToken cancellation = default)
    {
        await FlushAsync(table, cancellation);
        var found = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var keyBuilder = CanonicalRows.KeyBuilder(table);
        var row = new RowBuilder(table.Columns.Count);
        for (int start = 0; start < keys.Count; start += Batch)
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            var predicates = keys.Skip(start).Take(Batch).Select((key, i) => "(" + MySqlSource.KeyPredicate(table, command, key, $"k{i}_") + ")");
            command.CommandText = $"{MySqlSource.SelectSql(table, ordered: false)} WHERE {string.Join(" OR ", predicates)} FOR UPDATE";
            try
            {
                await using var reader = await command.ExecuteReaderAsync(cancellation);
                while (await reader.ReadAsync(cancellation))
                {
                    MySqlSource.Encode(reader, table, row);
                    var encoded = row.Complete().ToArray();
                    found[Convert.ToHexString(CanonicalRows.Key(encoded, table, keyBuilder))] = encoded;
                }
            }
            catch (MySqlException error)
            {
                throw new DataEdgeException($"MySQL {source.Describe()}: reading rows of table '{table.Name}' for reverse sync failed: {MySqlSource.Explain(error)} Nothing was written.", error);
            }
        }
        return keys.Select(k => found.GetValueOrDefault(Convert.ToHexString(k))).ToArray();
    }

    public async Task WriteAsync(TableSchema table, byte[] key, byte[]? row, CancellationToken cancellation = default)
    {
        if (!_pending.TryGetValue(table, out var list)) _pending[table] = list = [];
        list.Add((key, row));
        if (list.Count >= Batch) await FlushAsync(table, cancellation);
    }

    public async Task CommitAsync(CancellationToken cancellation = default)
    {
        foreach (var table in _pending.Keys.ToArray()) await FlushAsync(table, cancellation);
        try
        {
            await transaction.CommitAsync(cancellation);
            _committed = true;
        }
        catch (MySqlException error)
        {
            throw new DataEdgeException($"MySQL {source.Describe()}: committing the reverse sync failed: {MySqlSource.Explain(error)} Nothing was written.", error);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try { if (!_committed) await transaction.RollbackAsync(CancellationToken.None); }
        catch (MySqlException) { } // the connection is gone: the server rolled back
        await transaction.DisposeAsync();
        await connection.DisposeAsync();
    }

    private async Task FlushAsync(TableSchema table, CancellationToken cancellation)
    {
        if (!_pending.Remove(table, out var writes) || writes.Count == 0) return;
        var name = SqlIdentifier.MySql(table.Name);
        try
        {
            var upserts = writes.Where(w => w.Row is not null).ToArray();
            if (upserts.Length > 0)
            {
                await using var command = connection.CreateCommand();
                command.Transaction = transaction;
                var values = new List<string>();
                for (int r = 0; r < upserts.Length; r++)
                {
                    var reader = new RowReader(upserts[r].Row!, table.Columns.Count);
                    var names = new string[table.Columns.Count];
                    for (int i = 0; i < table.Columns.Count; i++)
                    {
                        names[i] = $"@r{r}c{i}";
                        command.Parameters.AddWithValue(names[i], CanonicalRows.ToValue(table.Columns[i], reader.IsNull(i), ref reader));
                    }
                    values.Add("(" + string.Join(", ", names) + ")");
                }
                var columns = string.Join(", ", table.Columns.Select(c => SqlIdentifier.MySql(c.Name)));
                var updates = string.Join(", ", table.Columns.Select(c => $"{SqlIdentifier.MySql(c.Name)} = VALUES({SqlIdentifier.MySql(c.Name)})"));
                command.CommandText = $"INSERT INTO {name} ({columns}) VALUES {string.Join(", ", values)} ON DUPLICATE KEY UPDATE {updates}";
                await command.ExecuteNonQueryAsync(cancellation);
            }
            var deletes = writes.Where(w => w.Row is null).ToArray();
            if (deletes.Length > 0)
            {
                await using var command = connection.CreateCommand();
                command.Transaction = transaction;
                var predicates = deletes.Select((d, i) => "(" + MySqlSource.KeyPredicate(table, command, d.Key, $"d{i}_") + ")");
                command.CommandText = $"DELETE FROM {name} WHERE {string.Join(" OR ", predicates)}";
                await command.ExecuteNonQueryAsync(cancellation);
            }
            Written += writes.Count;
        }
        catch (MySqlException error)
        {
            throw new DataEdgeException($"MySQL {source.Describe()}: writing back to table '{table.Name}' failed: {MySqlSource.Explain(error)} Nothing was written.", error);
        }
    }
}
