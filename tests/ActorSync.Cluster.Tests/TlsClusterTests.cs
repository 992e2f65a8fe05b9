using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Actor;
using Akka.Configuration;

namespace ActorSync.Cluster.Tests;

/// <summary>Members talk over TLS (Akka.Remote DotNetty SSL) when ACTORSYNC_TLS_CERT names a certificate.</summary>
[Collection(ClusterFlows.Name)] // forms clusters: kept apart from the parallel classes
public sealed class TlsClusterTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    [Fact]
    public async Task Three_members_form_a_cluster_over_tls_and_a_plain_member_cannot_join()
    {
        var tls = ConfigurationFactory.ParseString($$"""
            actorsync.member.tls { certificate = "{{SelfSignedCertificate("tls-secret").Replace("\\", "\\\\")}}", password = "tls-secret", suppress-validation = true }
            """);
        var tlsLayer = ClusterConfig.ForTls(tls);
        Assert.True(tlsLayer.GetBoolean("akka.remote.dot-netty.tcp.enable-ssl"));

        var systems = new List<ActorSystem>();
        try
        {
            foreach (var role in new[] { "seed", "orchestrator", "node" })
                systems.Add(ActorSystem.Create("actorsync", ClusterConfig.Compose(tlsLayer, ClusterConfig.ForMember(role))));
            var seed = Akka.Cluster.Cluster.Get(systems[0]).SelfAddress;
            foreach (var system in systems) Akka.Cluster.Cluster.Get(system).Join(seed);
            await AwaitUpAsync(systems[0], 3, TimeSpan.FromSeconds(30));

            // Without the certificate a member speaks plain TCP: the TLS members never let it in.
            var plain = ActorSystem.Create("actorsync", ClusterConfig.Compose(ClusterConfig.ForMember("node")));
            systems.Add(plain);
            Akka.Cluster.Cluster.Get(plain).Join(seed);
            var joined = new TaskCompletionSource();
            Akka.Cluster.Cluster.Get(plain).RegisterOnMemberUp(() => joined.TrySetResult());
            var outcome = await Task.WhenAny(joined.Task, Task.Delay(TimeSpan.FromSeconds(8)));
            Assert.NotSame(joined.Task, outcome);
            Assert.Equal(3, Akka.Cluster.Cluster.Get(systems[0]).State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up));
        }
        finally
        {
            foreach (var system in systems) await system.Terminate();
        }
    }

    [Fact]
    public void A_missing_certificate_is_named()
    {
        var settings = ConfigurationFactory.ParseString("actorsync.member.tls.certificate = \"/nonexistent/member.pfx\"");
        var error = Assert.Throws<ConfigurationException>(() => ClusterConfig.ForTls(settings));
        Assert.Contains("ACTORSYNC_TLS_CERT", error.Message);
        Assert.Contains("/nonexistent/member.pfx", error.Message);
    }

    private string SelfSignedCertificate(string password)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=actorsync-member", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], critical: false)); // server and client auth: mutual TLS
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var path = _temp.File("member.pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pfx, password));
        return path;
    }

    private static async Task AwaitUpAsync(ActorSystem system, int count, TimeSpan patience)
    {
        var cluster = Akka.Cluster.Cluster.Get(system);
        var deadline = DateTime.UtcNow + patience;
        while (cluster.State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up) < count)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{count} TLS members did not come up: {string.Join(", ", cluster.State.Members)}");
            await Task.Delay(100);
        }
    }

    public void Dispose() => _temp.Dispose();
}
