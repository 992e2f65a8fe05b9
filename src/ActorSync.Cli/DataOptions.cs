using System.CommandLine;
using ActorSync.Data;

namespace ActorSync.Cli;

/// <summary>Options shared by the data commands. Connection strings come from the command line or the environment.</summary>
public static class DataOptions
{
    public const string MySqlVariable = "ACTORSYNC_MYSQL";
    public const string SqliteVariable = "ACTORSYNC_SQLITE";

    public static Option<string?> MySql() => new("--mysql")
    {
        Description = $"MySQL/MariaDB connection string (or set {MySqlVariable})",
    };

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
