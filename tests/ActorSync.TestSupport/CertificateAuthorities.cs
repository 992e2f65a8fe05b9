namespace ActorSync.TestSupport;

/// <summary>The cluster's CA and a stranger's, in one temp directory: what TLS tests trust and what they refuse.</summary>
public sealed class CertificateAuthorities : IDisposable
{
    public CertificateAuthorities()
    {
        Cluster = new TestCertificates(Temp.Path, "cluster-ca");
        Other = new TestCertificates(Temp.Path, "other-ca");
    }

    public TempDirectory Temp { get; } = new();
    public TestCertificates Cluster { get; }
    public TestCertificates Other { get; }

    public void Dispose()
    {
        Cluster.Dispose();
        Other.Dispose();
        Temp.Dispose();
    }
}
