using ActorSync.Data.MySql;
using MySqlConnector;

namespace ActorSync.Data.Seed;

/// <summary>Loads bank rows into a MySQL table in one transaction: all rows or none.</summary>
public static class BankSeeder
{
    private const int RowsPerStatement = 1000;

    public static async Task<bool> TableExistsAsync(MySqlSource source, string table, CancellationToken cancellation = default)
    {
        await using var connection = await source.OpenAsync(cancellation);
        await using var check = connection.CreateCommand();
        check.CommandText = "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = @t";
        check.Parameters.AddWithValue("@t", table);
        return Convert.ToInt64(await check.ExecuteScalarAsync(cancellation)) > 0;
    }

    /// <param name="replace">Drop an existing table first; otherwise an existing table is an error.</param>
    public static async Task<long> SeedAsync(MySqlSource source, string table, IEnumerable<BankRow> rows, bool replace, CancellationToken cancellation = default)
    {
        await using var connection = await source.OpenAsync(cancellation);
        try
        {
            await using (var check = connection.CreateCommand())
            {
                check.CommandText = "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = @t";
                check.Parameters.AddWithValue("@t", table);
                bool exists = Convert.ToInt64(await check.ExecuteScalarAsync(cancellation)) > 0;
                if (exists && !replace)
                    throw new DataEdgeException($"MySQL {source.Describe()}: table '{table}' already exists; pass --replace to drop and reload it.");
            }
            await Execute(connection, $"DROP TABLE IF EXISTS {SqlIdentifier.MySql(table)}", cancellation);
            await Execute(connection, BankRow.CreateTableSql(table), cancellation);

            await using var transaction = await connection.BeginTransactionAsync(cancellation);
            long inserted = 0;
            foreach (var chunk in rows.Chunk(RowsPerStatement))
            {
                await using var insert = connection.CreateCommand();
                insert.Transaction = transaction;
                var columns = string.Join(", ", BankRow.Columns.Select(SqlIdentifier.MySql));
                var values = new List<string>(chunk.Length);
                for (int r = 0; r < chunk.Length; r++)
                {
                    var fields = chunk[r].Values();
                    var names = new string[fields.Length];
                    for (int c = 0; c < fields.Length; c++)
                    {
                        names[c] = $"@p{r}_{c}";
                        insert.Parameters.AddWithValue(names[c], fields[c]);
                    }
                    values.Add("(" + string.Join(", ", names) + ")");
                }
                insert.CommandText = $"INSERT INTO {SqlIdentifier.MySql(table)} ({columns}) VALUES {string.Join(", ", values)}";
                inserted += await insert.ExecuteNonQueryAsync(cancellation);
            }
            await transaction.CommitAsync(cancellation);
            return inserted;
        }
        catch (MySqlException error)
        {
            throw new DataEdgeException($"MySQL {source.Describe()}: seeding table '{table}' failed: {MySqlSource.Explain(error)} Nothing was loaded.", error);
        }
    }

    private static async Task Execute(MySqlConnection connection, string sql, CancellationToken cancellation)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellation);
    }
}
