using ActorSync.Data;
using ActorSync.Data.MySql;
using ActorSync.Data.Sqlite;
using Microsoft.Data.Sqlite;
using MySqlConnector;

namespace ActorSync.Tooling;

/// <summary>Loads bank rows into a source table (MySQL, or a SQLite source file) in one transaction: all rows or none.</summary>
public static class BankSeeder
{
    private const int RowsPerStatement = 1000;

    public static Task<bool> TableExistsAsync(ISyncSource source, string table, CancellationToken cancellation = default) => source switch
    {
        MySqlSource mysql => TableExistsAsync(mysql, table, cancellation),
        SqliteSource sqlite => Task.FromResult(File.Exists(sqlite.FilePath) && SqliteTableExists(sqlite.FilePath, table)),
        _ => throw new ArgumentException($"unknown source {source.Name}", nameof(source)),
    };

    /// <summary>
    /// The seeder creates tables, so it takes plain names only (letters, digits, _ and $, up to 64, not starting with
    /// a digit): a name like "bank`; DROP TABLE x" is quoted safely anyway, but is almost surely a mistake or an attack.
    /// </summary>
    public static void CheckTableName(string table)
    {
        if (table.Length is 0 or > 64 || char.IsAsciiDigit(table[0]) || !table.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '$'))
            throw new DataEdgeException($"table name '{table}' is refused: the seeder creates plain names only (letters, digits, _ and $; at most 64; not starting with a digit).");
    }

    public static Task<long> SeedAsync(ISyncSource source, string table, IEnumerable<BankRow> rows, bool replace, CancellationToken cancellation = default)
    {
        CheckTableName(table);
        return source switch
        {
            MySqlSource mysql => SeedAsync(mysql, table, rows, replace, cancellation),
            SqliteSource sqlite => Task.Run(() => SeedSqlite(sqlite, table, rows, replace), cancellation),
            _ => throw new ArgumentException($"unknown source {source.Name}", nameof(source)),
        };
    }

    private static bool SqliteTableExists(string path, string table)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ConnectionString);
        connection.Open();
        return SqliteTableExists(connection, table);
    }

    private static bool SqliteTableExists(SqliteConnection connection, string table)
    {
        using var check = connection.CreateCommand();
        check.CommandText = "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = @t";
        check.Parameters.AddWithValue("@t", table);
        return Convert.ToInt64(check.ExecuteScalar()) > 0;
    }

    /// <summary>Creates the SQLite source file if needed; the rows get ids 1..n, as AUTO_INCREMENT gives them in MySQL.</summary>
    private static long SeedSqlite(SqliteSource source, string table, IEnumerable<BankRow> rows, bool replace)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(source.FilePath)!);
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = source.FilePath, Pooling = false }.ConnectionString);
        try
        {
            connection.Open();
            using var transaction = connection.BeginTransaction();
            if (SqliteTableExists(connection, table))
            {
                if (!replace) throw new DataEdgeException($"{source.Name}: table '{table}' already exists; pass --replace to drop and reload it.");
                Execute(connection, transaction, $"DROP TABLE {SqlIdentifier.Sqlite(table)}");
            }
            Execute(connection, transaction, BankRow.CreateSqliteTableSql(table));
            using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            var columns = BankRow.Columns.Prepend("id").ToArray();
            insert.CommandText = $"INSERT INTO {SqlIdentifier.Sqlite(table)} ({string.Join(", ", columns.Select(SqlIdentifier.Sqlite))}) " +
                                 $"VALUES ({string.Join(", ", columns.Select((_, i) => $"@p{i}"))})";
            var parameters = columns.Select((_, i) => insert.Parameters.AddWithValue($"@p{i}", DBNull.Value)).ToArray();
            insert.Prepare();
            long inserted = 0;
            foreach (var row in rows)
            {
                parameters[0].Value = inserted + 1;
                var values = row.Values();
                for (int c = 0; c < values.Length; c++) parameters[c + 1].Value = values[c];
                inserted += insert.ExecuteNonQuery();
            }
            transaction.Commit();
            return inserted;
        }
        catch (SqliteException error)
        {
            throw new DataEdgeException($"{source.Name}: seeding table '{table}' failed: {error.Message} Nothing was loaded.", error);
        }
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

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
        CheckTableName(table);
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
