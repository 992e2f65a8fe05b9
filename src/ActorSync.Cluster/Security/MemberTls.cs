using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Event;
using Akka.Remote.Transport.DotNetty;

namespace ActorSync.Cluster.Security;

/// <summary>
/// TLS between members (Akka.Remote DotNetty SSL, mutual): this member's certificate, and the
/// <see cref="PeerCertificatePolicy"/> every peer's certificate must pass, in both directions.
/// </summary>
public sealed class MemberTls
{
    /// <summary>In the certificate path, replaced by the member's name (seed, orchestrator, hub-b, hub-c, node-N).</summary>
    public const string MemberPlaceholder = "{member}";

    private MemberTls(X509Certificate2 certificate, PeerCertificatePolicy policy)
    {
        Certificate = certificate;
        Policy = policy;
    }

    public X509Certificate2 Certificate { get; }
    public PeerCertificatePolicy Policy { get; }

    /// <summary>
    /// The actor system's setup for a member's config: as it is without TLS; with TLS, the transport's TLS turned on
    /// (certificate and validation in <see cref="Setup"/>) and the seeds read over TLS.
    /// </summary>
    public static ActorSystemSetup SystemSetup(Config config, MemberTls? tls)
    {
        if (tls is null) return ActorSystemSetup.Create(BootstrapSetup.Create().WithConfig(config));
        var withTls = SeedsOverTls(config).WithFallback(config).WithFallback(EnableSsl);
        return BootstrapSetup.Create().WithConfig(withTls).And(tls.Setup);
    }

    private static readonly Config EnableSsl = ConfigurationFactory.ParseString("akka.remote.dot-netty.tcp.enable-ssl = true");

    /// <summary>
    /// Over TLS Akka's addresses read akka.ssl.tcp://; seeds written akka.tcp:// (as in docker/cluster.env) are
    /// rewritten, so one settings file serves a cluster with TLS and one without.
    /// </summary>
    private static Config SeedsOverTls(Config memberConfig)
    {
        var seeds = (memberConfig.GetStringList("akka.cluster.seed-nodes") ?? [])
            .Select(seed => seed.StartsWith(PlainScheme, StringComparison.Ordinal) ? TlsScheme + seed[PlainScheme.Length..] : seed);
        return ConfigurationFactory.ParseString($"akka.cluster.seed-nodes = [{string.Join(", ", seeds.Select(s => "\"" + s + "\""))}]");
    }

    private const string PlainScheme = "akka.tcp://";
    private const string TlsScheme = "akka.ssl.tcp://";

    /// <summary>The transport's TLS setup: mutual authentication, and every peer judged by <see cref="Policy"/>.</summary>
    private Setup Setup => new DotNettySslSetup(Certificate, suppressValidation: false, requireMutualAuthentication: true,
        validateCertificateHostname: Policy.ValidateHostname,
        customValidator: (peer, chain, remote, errors, log) =>
        {
            var verdict = Policy.Judge(peer, chain, errors);
            if (!verdict.Accepted) log.Warning("TLS: refused the certificate of {0}: {1}", remote, verdict.Reason);
            return verdict.Accepted;
        });

    /// <summary>
    /// TLS from actorsync.member.tls, or null when no certificate is set. Refuses, naming the setting, a file that is
    /// missing or unreadable, a certificate without its private key, and a setup that would trust any peer.
    /// </summary>
    public static MemberTls? From(Config settings, string memberName)
    {
        var path = settings.GetString("actorsync.member.tls.certificate", "");
        if (string.IsNullOrEmpty(path)) return null;
        if (settings.GetBoolean("actorsync.member.tls.suppress-validation", false))
            throw new ConfigurationException("actorsync.member.tls.suppress-validation is no longer supported: it accepted any peer's certificate. " +
                "Make a CA and member certificates with scripts/make-certs.sh and set ACTORSYNC_TLS_CA.");

        path = path.Replace(MemberPlaceholder, memberName, StringComparison.Ordinal);
        var certificate = LoadCertificate(path, settings.GetString("actorsync.member.tls.password", ""));
        var roots = LoadRoots(settings.GetString("actorsync.member.tls.ca", ""));
        var pinned = settings.GetStringList("actorsync.member.tls.pinned-thumbprints") ?? [];
        if (roots.Count == 0 && pinned.Count == 0)
            throw new ConfigurationException("TLS is on (ACTORSYNC_TLS_CERT) but no peer is trusted: set actorsync.member.tls.ca (ACTORSYNC_TLS_CA) " +
                "to the CA's PEM file, or actorsync.member.tls.pinned-thumbprints (ACTORSYNC_TLS_PEERS) to the members' SHA-256 thumbprints.");
        try
        {
            var policy = new PeerCertificatePolicy(roots, pinned, settings.GetBoolean("actorsync.member.tls.validate-hostname", true));
            var own = policy.Judge(certificate, null, System.Net.Security.SslPolicyErrors.None);
            if (!own.Accepted)
                throw new ConfigurationException($"actorsync.member.tls.certificate (ACTORSYNC_TLS_CERT) = '{path}' would be refused by its own peers: {own.Reason}.");
            return new MemberTls(certificate, policy);
        }
        catch (ArgumentException error)
        {
            throw new ConfigurationException($"actorsync.member.tls.pinned-thumbprints (ACTORSYNC_TLS_PEERS): {error.Message}");
        }
    }

    private static X509Certificate2 LoadCertificate(string path, string password)
    {
        if (!File.Exists(path))
            throw new ConfigurationException($"actorsync.member.tls.certificate (ACTORSYNC_TLS_CERT) = '{path}': no such file.");
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(path, password, X509KeyStorageFlags.Exportable);
        }
        catch (CryptographicException error)
        {
            throw new ConfigurationException($"actorsync.member.tls.certificate (ACTORSYNC_TLS_CERT) = '{path}' cannot be read as PKCS#12 " +
                $"with actorsync.member.tls.password (ACTORSYNC_TLS_PASSWORD): {error.Message}");
        }
        catch (UnauthorizedAccessException error)
        {
            throw new ConfigurationException($"actorsync.member.tls.certificate (ACTORSYNC_TLS_CERT) = '{path}': {error.Message}");
        }
        if (!certificate.HasPrivateKey)
            throw new ConfigurationException($"actorsync.member.tls.certificate (ACTORSYNC_TLS_CERT) = '{path}' holds no private key; a member needs its own key.");
        return certificate;
    }

    private static X509Certificate2Collection LoadRoots(string path)
    {
        var roots = new X509Certificate2Collection();
        if (string.IsNullOrEmpty(path)) return roots;
        if (!File.Exists(path))
            throw new ConfigurationException($"actorsync.member.tls.ca (ACTORSYNC_TLS_CA) = '{path}': no such file.");
        try
        {
            roots.ImportFromPemFile(path);
        }
        catch (CryptographicException error)
        {
            throw new ConfigurationException($"actorsync.member.tls.ca (ACTORSYNC_TLS_CA) = '{path}' is not a PEM certificate file: {error.Message}");
        }
        if (roots.Count == 0)
            throw new ConfigurationException($"actorsync.member.tls.ca (ACTORSYNC_TLS_CA) = '{path}' holds no PEM certificate.");
        return roots;
    }
}
