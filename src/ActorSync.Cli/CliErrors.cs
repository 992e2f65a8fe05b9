namespace ActorSync.Cli;

/// <summary>Expected failures end with one clear line on stderr and exit code 2, never a stack trace.</summary>
public static class CliErrors
{
    public const int UsageError = 2;

    public static int Fail(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return UsageError;
    }

    /// <summary>The library's message without .NET's "(Parameter 'x')" and "Actual value" suffixes.</summary>
    public static int Fail(ArgumentException error) => Fail(error.Message.Split(" (Parameter", 2)[0]);
}
