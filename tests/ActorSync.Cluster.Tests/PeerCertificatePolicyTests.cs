using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using ActorSync.Cluster.Security;

namespace ActorSync.Cluster.Tests;

/// <summary>The policy every member applies to its peers' certificates, without Akka or sockets.</summary>
public sealed class PeerCertificatePolicyTests : IDisposable
{
    private readonly CertificateAuthorities _authorities = new();

    [Fact]
    public void A_certificate_of_the_cluster_CA_is_accepted_and_one_of_another_CA_is_refused_even_if_the_stack_saw_no_error()
    {
        var policy = new PeerCertificatePolicy(Roots(_authorities.Cluster), [], validateHostname: true);
        using var member = Valid(_authorities.Cluster, "node-1");
        using var stranger = Valid(_authorities.Other, "node-1");

        Assert.True(policy.Judge(member, null, SslPolicyErrors.RemoteCertificateChainErrors).Accepted);
        var refused = policy.Judge(stranger, null, SslPolicyErrors.None);
        Assert.False(refused.Accepted);
        Assert.Contains("does not chain to the trusted CA", refused.Reason);
    }

    [Fact]
    public void A_name_mismatch_refuses_only_when_hostname_validation_is_on()
    {
        using var member = Valid(_authorities.Cluster, "node-1");
        Assert.False(new PeerCertificatePolicy(Roots(_authorities.Cluster), [], validateHostname: true).Judge(member, null, SslPolicyErrors.RemoteCertificateNameMismatch).Accepted);
        Assert.True(new PeerCertificatePolicy(Roots(_authorities.Cluster), [], validateHostname: false).Judge(member, null, SslPolicyErrors.RemoteCertificateNameMismatch).Accepted);
    }

    [Fact]
    public void A_missing_or_expired_certificate_is_refused()
    {
        var policy = new PeerCertificatePolicy(Roots(_authorities.Cluster), [], validateHostname: true);
        using var expired = _authorities.Cluster.Issue("node-1", [], DateTimeOffset.UtcNow.AddDays(-10), DateTimeOffset.UtcNow.AddDays(-1));

        Assert.False(policy.Judge(null, null, SslPolicyErrors.RemoteCertificateNotAvailable).Accepted);
        Assert.Contains("not now", policy.Judge(expired, null, SslPolicyErrors.None).Reason);
    }

    [Fact]
    public void Pinned_thumbprints_accept_exactly_the_pinned_certificates_in_any_common_spelling()
    {
        using var pinned = Valid(_authorities.Other, "node-1");
        using var other = Valid(_authorities.Other, "node-2");
        var colons = string.Join(":", PeerCertificatePolicy.Thumbprint(pinned).Chunk(2).Select(pair => new string(pair))).ToLowerInvariant();
        var policy = new PeerCertificatePolicy([], [colons], validateHostname: true);

        Assert.True(policy.Judge(pinned, null, SslPolicyErrors.RemoteCertificateChainErrors).Accepted);
        Assert.Contains("not among the pinned", policy.Judge(other, null, SslPolicyErrors.None).Reason);
    }

    [Fact]
    public void A_policy_that_would_trust_anyone_cannot_be_made()
    {
        Assert.Throws<ArgumentException>(() => new PeerCertificatePolicy([], [], validateHostname: false));
        Assert.Throws<ArgumentException>(() => new PeerCertificatePolicy([], ["not-hex"], validateHostname: false));
    }

    private static X509Certificate2Collection Roots(TestCertificates ca)
    {
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(ca.CaPemPath);
        return roots;
    }

    private static X509Certificate2 Valid(TestCertificates ca, string member) =>
        ca.Issue(member, [], DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));

    public void Dispose() => _authorities.Dispose();
}
