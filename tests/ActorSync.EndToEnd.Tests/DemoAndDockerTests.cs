using System.Diagnostics;

namespace ActorSync.EndToEnd.Tests;

public sealed class DemoAndDockerTests
{
    [Fact]
    public void The_demo_runs_the_whole_story_and_ends_verified()
    {
        var demo = CliRunner.Lab(TimeSpan.FromMinutes(6), "demo", "--quick");

        Assert.True(demo.ExitCode == 0, demo.ToString());
        // The continuous-sync step writes rows, so the count is the seed's 4521 and what it added.
        Assert.Matches(@"verification: bank: source (\d+) rows, destination \1 rows, digests equal", demo.Stdout);
        Assert.Contains("demo verified: the destination equals the source after every fault", demo.Stdout);
        Assert.Contains("restarts from its journal", demo.Stdout);
        Assert.Matches(@"60 rows written one transaction each: in SQLite after p50 \d+ ms", demo.Stdout);
        Assert.Matches(@"all (\d+) rows committed before the kill are in SQLite", demo.Stdout);
        Assert.Contains("mode → recovery (the source was killed in step 4)", demo.Stdout);
    }

    [Fact]
    public void Without_MariaDB_the_demo_runs_on_a_SQLite_file_standing_in_for_MySQL_and_says_so()
    {
        var demo = CliRunner.Lab(TimeSpan.FromMinutes(6), "demo", "--quick", "--source", "sqlite");

        Assert.True(demo.ExitCode == 0, demo.ToString());
        Assert.Contains("source: a SQLite file standing in for MySQL", demo.Stdout);
        Assert.Contains("verification: bank: source 4521 rows, destination 4521 rows, digests equal", demo.Stdout);
        Assert.Matches(@"mode → recovery \d+\.\d s after the source file was taken away", demo.Stdout);
        Assert.Contains("demo verified: the destination equals the source after every fault", demo.Stdout);
    }

    [Fact]
    public async Task The_compose_file_validates_with_an_env_made_from_the_example()
    {
        var compose = new[] { "/usr/bin/docker-compose", "/usr/local/bin/docker-compose" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("docker-compose was not found. Install it: `apt-get install -y docker-compose` (bash .ci/run does this).");
        using var temp = new TempDirectory();
        var docker = Path.Combine(LauncherCluster.RepoRoot(), "docker");
        foreach (var file in Directory.GetFiles(docker)) File.Copy(file, Path.Combine(temp.Path, Path.GetFileName(file)));
        File.Copy(Path.Combine(docker, ".env.example"), Path.Combine(temp.Path, ".env"), overwrite: true);

        var start = new ProcessStartInfo(compose) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = temp.Path };
        foreach (var arg in new[] { "-f", Path.Combine(temp.Path, "docker-compose.yml"), "config" }) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        string text = await output;

        Assert.True(process.ExitCode == 0, $"{text}\n{await errors}");
        foreach (var service in new[] { "mariadb", "seed", "orchestrator", "hub-b", "hub-c", "node-1", "node-2", "node-3", "node-4" })
            Assert.Contains($"  {service}:", text);
        Assert.Contains("restart: on-failure", text);
        // Each service gets its own variables: MariaDB's root password reaches MariaDB alone, the token every member.
        var services = ServiceBlocks(text);
        Assert.Equal(["mariadb"], services.Where(s => s.Value.Contains("MARIADB_ROOT_PASSWORD")).Select(s => s.Key));
        Assert.All(new[] { "seed", "orchestrator", "hub-b", "hub-c", "node-1" }, m => Assert.Contains("ACTORSYNC_TOKEN:", services[m]));
        Assert.DoesNotContain("ACTORSYNC_TABLES", services["hub-b"]); // the default is every table
        // The sample data comes from the lab image; every member runs the product image, which has no lab.
        Assert.Contains("target: lab", services["seed-data"]);
        Assert.All(new[] { "seed", "orchestrator", "hub-b", "hub-c", "node-1" }, m => Assert.Contains("image: actorsync:latest", services[m]));
    }

    /// <summary>Each service's block of `docker-compose config` output, by name.</summary>
    private static Dictionary<string, string> ServiceBlocks(string config)
    {
        var blocks = new Dictionary<string, System.Text.StringBuilder>();
        System.Text.StringBuilder? current = null;
        bool inServices = false;
        foreach (var line in config.Split('\n'))
        {
            if (!line.StartsWith(' ')) { inServices = line.TrimEnd() == "services:"; current = null; continue; }
            if (!inServices) continue;
            if (line.Length > 2 && line[2] != ' ' && line.TrimEnd().EndsWith(':')) blocks[line.Trim().TrimEnd(':')] = current = new();
            else current?.AppendLine(line);
        }
        return blocks.ToDictionary(b => b.Key, b => b.Value.ToString());
    }
}
