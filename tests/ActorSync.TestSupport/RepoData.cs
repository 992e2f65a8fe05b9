namespace ActorSync.TestSupport;

/// <summary>Finds the repository's data/ folder from the test binary's location.</summary>
public static class RepoData
{
    public static string File(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "data", name);
            if (System.IO.File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"data/{name} not found above {AppContext.BaseDirectory}");
    }
}
