using System.Diagnostics;

namespace ActorSync.Cli;

/// <summary>What a member process has used so far, read from the process table; 0 once it has exited.</summary>
public static class MemberProcesses
{
    /// <summary>CPU time so far, user and system.</summary>
    public static long CpuMillis(int pid) => Read(pid, process => (long)process.TotalProcessorTime.TotalMilliseconds);

    /// <summary>The peak resident set (VmHWM).</summary>
    public static long PeakMiB(int pid) => Read(pid, process => process.PeakWorkingSet64 / (1024 * 1024));

    private static long Read(int pid, Func<Process, long> measure)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return measure(process);
        }
        catch (Exception error) when (error is ArgumentException or InvalidOperationException)
        {
            return 0; // exited: a crash the run reports as unverified
        }
    }
}
