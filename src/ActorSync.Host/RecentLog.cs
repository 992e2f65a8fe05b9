namespace ActorSync.Host;

/// <summary>The last log lines of this process, for the command endpoint's `log peek`.</summary>
public static class RecentLog
{
    public const int Kept = 1000;
    private static readonly Queue<string> Lines = new();

    public static void Add(string line)
    {
        lock (Lines)
        {
            Lines.Enqueue(line);
            while (Lines.Count > Kept) Lines.Dequeue();
        }
    }

    public static string[] Last(int count)
    {
        lock (Lines) return Lines.Skip(Math.Max(0, Lines.Count - count)).ToArray();
    }
}
