using System.Diagnostics;

namespace ActorSync.EndToEnd.Tests;

/// <summary>`cluster up` with the certificates scripts/make-certs.sh makes: every member joins over mutual TLS.</summary>
public sealed class TlsLauncherCluster : LauncherCluster
{
    public const string Password = "launcher-tls-password";

    public string CertificateDirectory => Path.Combine(Temp.Path, "certs");

    protected override async Task<IReadOnlyList<string>> ExtraEnvFilesAsync()
    {
        var script = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Path.Combine(RepoRoot(), "scripts", "make-certs.sh"), "--out", CertificateDirectory }) script.ArgumentList.Add(arg);
        script.Environment["ACTORSYNC_TLS_PASSWORD"] = Password;
        using var process = Process.Start(script)!;
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"make-certs.sh failed:\n{output}");

        var env = Path.Combine(Temp.Path, "tls.env");
        await File.WriteAllLinesAsync(env, [
            $"ACTORSYNC_TLS_CERT={Path.Combine(CertificateDirectory, "{member}.pfx")}",
            $"ACTORSYNC_TLS_CA={Path.Combine(CertificateDirectory, "ca.crt")}",
            $"ACTORSYNC_TLS_PASSWORD={Password}",
        ]);
        return [env];
    }
}

public sealed class TlsLauncherClusterTests(TlsLauncherCluster cluster) : IClassFixture<TlsLauncherCluster>
{
    [Fact]
    public void Every_member_joins_over_mutual_tls_with_the_script_s_certificates_and_a_sync_verifies()
    {
        Assert.True(File.Exists(Path.Combine(cluster.CertificateDirectory, "node-4.pfx")), cluster.Output());
        var show = cluster.Cli("cluster", "show");
        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Equal(8, show.Stdout.Split('\n').Count(l => l.StartsWith('│') && l.Contains(" Up ") && l.Contains(" reachable ")));

        var sync = cluster.Cli("sync", "start");

        Assert.True(sync.ExitCode == 0, sync.ToString());
        Assert.Contains("bank: 4521 rows, digests equal", sync.Stdout);
    }
}
