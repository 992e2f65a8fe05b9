using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ActorSync.TestSupport;

/// <summary>A throwaway certificate authority and the member certificates it signs, written as PEM and PKCS#12.</summary>
public sealed class TestCertificates : IDisposable
{
    private readonly X509Certificate2 _ca;
    private readonly string _directory;

    public TestCertificates(string directory, string name)
    {
        _directory = directory;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        _ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(60));
        CaPemPath = System.IO.Path.Combine(directory, $"{name}.crt");
        File.WriteAllText(CaPemPath, _ca.ExportCertificatePem() + "\n");
    }

    public string CaPemPath { get; }

    /// <summary>A member certificate for server and client authentication, naming <paramref name="dnsNames"/> (or 127.0.0.1 and localhost).</summary>
    public string IssueMember(string member, string password, params string[] dnsNames) =>
        Write(member, password, Issue(member, dnsNames, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30)));

    public X509Certificate2 Issue(string member, string[] dnsNames, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={member}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], critical: false)); // server and client: mutual TLS
        var names = new SubjectAlternativeNameBuilder();
        if (dnsNames.Length == 0)
        {
            names.AddIpAddress(IPAddress.Loopback);
            names.AddDnsName("localhost");
        }
        foreach (var dns in dnsNames) names.AddDnsName(dns);
        request.CertificateExtensions.Add(names.Build());
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var signed = request.Create(_ca, notBefore, notAfter, serial);
        return signed.CopyWithPrivateKey(key);
    }

    public string Write(string member, string password, X509Certificate2 certificate)
    {
        var path = System.IO.Path.Combine(_directory, $"{member}.pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pfx, password));
        return path;
    }

    public void Dispose() => _ca.Dispose();
}
