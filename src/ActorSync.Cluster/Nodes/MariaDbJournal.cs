using Akka.Configuration;
using MySqlConnector;

namespace ActorSync.Cluster.Nodes;

/// <summary>
/// Node journals in MySQL/MariaDB instead of SQLite. The SQL plugin's auto-initialize cannot be used there: the
/// MySQL providers probe information_schema.INNODB_INDEXES, which MariaDB lacks, and the MariaDB provider creates the
/// payload column as VARBINARY(255) with no unique key. So the project creates the tables itself, matching the
/// plugin's default table mapping, with LONGBLOB payloads and a unique (persistence_id, sequence_number) key.
/// </summary>
public static class MariaDbJournal
{
    public const string Provider = "MariaDB.10.MySqlConnector";

    private static readonly string[] Schema =
    [
        """
        CREATE TABLE IF NOT EXISTS `journal` (
          `ordering` BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
          `deleted` BOOLEAN NOT NULL DEFAULT FALSE,
          `persistence_id` VARCHAR(255) NOT NULL,
          `sequence_number` BIGINT NOT NULL,
          `created` BIGINT NOT NULL,
          `tags` VARCHAR(2000) NULL,
          `message` LONGBLOB NOT NULL,
          `identifier` INT NULL,
          `manifest` VARCHAR(500) NULL,
          `writer_uuid` VARCHAR(128) NULL,
          UNIQUE KEY `journal_persistence_sequence` (`persistence_id`, `sequence_number`)
        ) ENGINE=InnoDB
        """,
        """
        CREATE TABLE IF NOT EXISTS `tags` (
          `ordering_id` BIGINT NOT NULL,
          `tag` VARCHAR(64) NOT NULL,
          `persistence_id` VARCHAR(255) NOT NULL,
          `sequence_nr` BIGINT NOT NULL,
          PRIMARY KEY (`ordering_id`, `tag`, `persistence_id`)
        ) ENGINE=InnoDB
        """,
        """
        CREATE TABLE IF NOT EXISTS `journal_metadata` (
          `persistence_id` VARCHAR(255) NOT NULL,
          `sequence_number` BIGINT NOT NULL,
          PRIMARY KEY (`persistence_id`, `sequence_number`)
        ) ENGINE=InnoDB
        """,
        """
        CREATE TABLE IF NOT EXISTS `snapshot` (
          `persistence_id` VARCHAR(255) NOT NULL,
          `sequence_number` BIGINT NOT NULL,
          `created` BIGINT NOT NULL,
          `snapshot` LONGBLOB NOT NULL,
          `manifest` VARCHAR(500) NOT NULL,
          `serializer_id` INT NULL,
          PRIMARY KEY (`persistence_id`, `sequence_number`)
        ) ENGINE=InnoDB
        """,
    ];

    /// <summary>Creates the journal, tag, metadata and snapshot tables if they are missing; safe to run on every start.</summary>
    public static async Task EnsureSchemaAsync(string connectionString, CancellationToken cancellation = default)
    {
        try
        {
            await using var connection = new MySqlConnection(connectionString);
            await connection.OpenAsync(cancellation);
            foreach (var statement in Schema)
            {
                await using var command = new MySqlCommand(statement, connection);
                await command.ExecuteNonQueryAsync(cancellation);
            }
        }
        catch (MySqlException error)
        {
            var builder = new MySqlConnectionStringBuilder(connectionString);
            throw new InvalidOperationException($"the node journal in MariaDB {builder.Server}:{builder.Port}/{builder.Database} could not be prepared: {error.Message}", error);
        }
    }

    /// <summary>The SQL journal and snapshot store in the MariaDB database of <paramref name="connectionString"/>.</summary>
    public static Config ForNode(string connectionString)
    {
        var quoted = "\"" + connectionString.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
        return ConfigurationFactory.ParseString($$"""
            akka.persistence {
              journal {
                plugin = "akka.persistence.journal.sql"
                sql { connection-string = {{quoted}}, provider-name = "{{Provider}}", table-mapping = default, auto-initialize = false }
              }
              snapshot-store {
                plugin = "akka.persistence.snapshot-store.sql"
                sql { connection-string = {{quoted}}, provider-name = "{{Provider}}", table-mapping = default, auto-initialize = false }
              }
            }
            """).WithFallback(Akka.Persistence.Sql.SqlPersistence.DefaultConfiguration);
    }
}
