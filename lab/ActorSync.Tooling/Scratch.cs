namespace ActorSync.Tooling;

/// <summary>Scratch directories of the lab's runs.</summary>
public static class Scratch
{
    /// <summary>Deletes a temp directory and what is in it, as far as it can: a leftover is no error.</summary>
    public static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            // best effort on a temp directory
        }
    }
}
