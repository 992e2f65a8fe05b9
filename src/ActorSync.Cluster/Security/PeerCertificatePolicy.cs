using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ActorSync.Cluster.Security;

/// <summary>The verdict on one peer's certificate: accepted, or refused with the reason.</summary>
public readonly record struct PeerVerdict(bool Accepted, string Reason)
{
    public static PeerVerdict Accept() => new(true, "");
    public static PeerVerdict Refuse(string reason) => new(false, reason);
}

/// <summary>
/// Which member certificates a member accepts, with no Akka in it: a chain to one of the configured CAs (and to no
/// other root: the system store is not consulted), or a pinned SHA-256 thumbprint, or both; and, when this side
/// dialled the connection, a name that matches the host it dialled.
/// </summary>
public sealed class PeerCertificatePolicy
{
    private readonly X509Certificate2Collection _trustedRoots;
    private readonly HashSet<string> _pinnedThumbprints;

    public PeerCertificatePolicy(X509Certificate2Collection trustedRoots, IEnumerable<string> pinnedThumbprints, bool validateHostname)
    {
        _trustedRoots = trustedRoots;
        _pinnedThumbprints = pinnedThumbprints.Select(NormalizeThumbprint).ToHashSet(StringComparer.Ordinal);
        if (_trustedRoots.Count == 0 && _pinnedThumbprints.Count == 0)
            throw new ArgumentException("a peer certificate policy needs a trusted CA or a pinned thumbprint: with neither it would accept any certificate.");
        ValidateHostname = validateHostname;
    }

    public bool ValidateHostname { get; }

    /// <summary>SHA-256 of the certificate, upper-case hex without separators (openssl's fingerprint, colons removed).</summary>
    public static string Thumbprint(X509Certificate2 certificate) => certificate.GetCertHashString(HashAlgorithmName.SHA256);

    /// <summary>
    /// Judges a peer's certificate. <paramref name="presented"/> is the chain the TLS stack built (its intermediates
    /// are used, its trust decision is not); <paramref name="errors"/> carries the name check of an outbound handshake.
    /// </summary>
    public PeerVerdict Judge(X509Certificate2? peer, X509Chain? presented, SslPolicyErrors errors, DateTime? now = null)
    {
        if (peer is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
            return PeerVerdict.Refuse("the peer presented no certificate");
        if (ValidateHostname && errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
            return PeerVerdict.Refuse($"'{peer.Subject}' does not name the host this member dialled (validate-hostname is on)");

        var at = now ?? DateTime.Now;
        if (at < peer.NotBefore || at > peer.NotAfter)
            return PeerVerdict.Refuse($"'{peer.Subject}' is valid from {peer.NotBefore:u} to {peer.NotAfter:u}, not now");

        if (_pinnedThumbprints.Count > 0 && !_pinnedThumbprints.Contains(Thumbprint(peer)))
            return PeerVerdict.Refuse($"'{peer.Subject}' (SHA-256 {Thumbprint(peer)}) is not among the pinned thumbprints");

        if (_trustedRoots.Count > 0)
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(_trustedRoots);
            // A private CA publishes no revocation list; a compromised member is removed by re-issuing the CA.
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.VerificationTime = at;
            if (presented is not null)
                foreach (var element in presented.ChainElements)
                    if (!element.Certificate.Equals(peer)) chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            if (!chain.Build(peer))
            {
                var status = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
                return PeerVerdict.Refuse($"'{peer.Subject}' (issuer '{peer.Issuer}') does not chain to the trusted CA: {status}");
            }
        }
        return PeerVerdict.Accept();
    }

    private static string NormalizeThumbprint(string thumbprint)
    {
        var hex = thumbprint.Replace(":", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant();
        if (hex.Length != 64 || !hex.All(Uri.IsHexDigit))
            throw new ArgumentException($"'{thumbprint}' is not a SHA-256 thumbprint (64 hex digits, colons allowed).");
        return hex;
    }
}
