using System.Diagnostics;

namespace ActorSync.TestSupport;

/// <summary>
/// Runs the built <c>actorsync</c> executable as a user would, capturing its output and exit code. A test project
/// that uses it references ActorSync.Cli, so actorsync.dll (and the member host beside it) are in its output.
/// </summary>
public static class CliRunner
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
    }

    public static Result Run(params string[] args) => Run(TimeSpan.FromMinutes(2), args);

    public static Result Run(TimeSpan timeout, params string[] args) => Execute("actorsync.dll", new Dictionary<string, string>(), timeout, args);

    /// <summary>Runs the lab (actorsync-lab: demo, eval, chaos, bench, seed); the test project references ActorSync.Lab.</summary>
    public static Result Lab(params string[] args) => Lab(TimeSpan.FromMinutes(2), args);

    public static Result Lab(TimeSpan timeout, params string[] args) => Execute("actorsync-lab.dll", new Dictionary<string, string>(), timeout, args);

    /// <summary>Runs the member host (actorsync-host) with these ACTORSYNC_* settings, as a container would.</summary>
    public static Result RunHost(IReadOnlyDictionary<string, string> environment, params string[] args) =>
        Execute("actorsync-host.dll", environment, TimeSpan.FromMinutes(1), args);

    private static Result Execute(string program, IReadOnlyDictionary<string, string> environment, TimeSpan timeout, string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, program);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        // The tests pass settings explicitly; a developer's own must not leak in.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("ACTORSYNC", StringComparison.Ordinal)).ToArray()) start.Environment.Remove(key);
        foreach (var (key, value) in environment) start.Environment[key] = value;
        start.ArgumentList.Add(dll);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish in {timeout.TotalMinutes:0.#} minutes");
        }
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }
}
