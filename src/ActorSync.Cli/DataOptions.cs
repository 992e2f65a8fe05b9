using System.CommandLine;
using ActorSync.Data;
using ActorSync.Data.MySql;
using ActorSync.Data.Sqlite;

namespace ActorSync.Cli;

/// <summary>Options shared by the data commands. Connection strings come from the command line or the environment.</summary>
public static class DataOptions
{
    public const string MySqlVariable = "ACTORSYNC_MYSQL";
    public const string SqliteVariable = "ACTORSYNC_SQLITE";
    public const string SourceSqliteVariable = "ACTORSYNC_SOURCE_SQLITE";

    public static Option<string?> MySql() => new("--mysql")
    {
        Description = $"MySQL/MariaDB connection string (or set {MySqlVariable})",
    };

    public static Option<string?> SourceSqlite() => new("--source-sqlite")
    {
        Description = $"a SQLite file standing in for MySQL as the source, where no MySQL runs (or set {SourceSqliteVariable})",
    };

    /// <summary>
    /// Hub B's source from --mysql or --source-sqlite, else from ACTORSYNC_MYSQL or ACTORSYNC_SOURCE_SQLITE: exactly one.
    /// </summary>
    public static SourceChoice RequireSource(ParseResult parse, Option<string?> mysql, Option<string?> sqlite)
    {
        string? Given(Option<string?> option) => parse.GetValue(option) is { Length: > 0 } value ? value : null;
        string? Set(string variable) => Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value ? value : null;
        return (Given(mysql), Given(sqlite)) switch
        {
            ({ }, { }) => throw new DataEdgeException($"give {mysql.Name} or {sqlite.Name}, not both."),
            ({ } connection, null) => new SourceChoice(connection, null),
            (null, { } file) => new SourceChoice(null, file),
            _ => (Set(MySqlVariable), Set(SourceSqliteVariable)) switch
            {
                ({ }, { }) => throw new DataEdgeException($"both {MySqlVariable} and {SourceSqliteVariable} are set: unset one, or give {mysql.Name} or {sqlite.Name}."),
                ({ } connection, null) => new SourceChoice(connection, null),
                (null, { } file) => new SourceChoice(null, file),
                _ => throw new DataEdgeException($"{mysql.Name} CONNECTION or {sqlite.Name} FILE is required (or set {MySqlVariable} or {SourceSqliteVariable})."),
            },
        };
    }

    public static Option<string?> Destination() => new("--dest")
    {
        Description = $"SQLite destination file (or set {SqliteVariable})",
    };

    public static Option<string[]> Tables() => new("--table")
    {
        Description = "a table to sync (repeat for several); default: every table",
        AllowMultipleArgumentsPerToken = false,
    };

    public static string Require(ParseResult parse, Option<string?> option, string variable) =>
        parse.GetValue(option) is { Length: > 0 } value ? value
        : Environment.GetEnvironmentVariable(variable) is { Length: > 0 } fromEnvironment ? fromEnvironment
        : throw new DataEdgeException($"{option.Name} is required (or set {variable}).");

    /// <summary>Runs a data command: expected failures print one line and exit 2.</summary>
    public static int Run(Func<Task<int>> command)
    {
        try { return command().GetAwaiter().GetResult(); }
        catch (DataEdgeException error) { return CliErrors.Fail(error.Message); }
    }
}

/// <summary>Hub B's source as the operator chose it: a MySQL connection string, or a SQLite file standing in for MySQL.</summary>
public sealed record SourceChoice(string? MySql, string? SqliteFile)
{
    public ISyncSource Open() => MySql is not null ? new MySqlSource(MySql) : new SqliteSource(SqliteFile!);

    /// <summary>The member settings that hand this source to hub-b; the other one is cleared so an env file cannot add it.</summary>
    public IReadOnlyDictionary<string, string> Variables => new Dictionary<string, string>
    {
        [DataOptions.MySqlVariable] = MySql ?? "",
        [DataOptions.SourceSqliteVariable] = SqliteFile is null ? "" : Path.GetFullPath(SqliteFile),
    };
}
