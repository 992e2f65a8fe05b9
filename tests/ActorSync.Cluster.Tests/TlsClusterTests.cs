using System.Net.Security;
using ActorSync.Cluster.Security;
using Akka.Actor;
using Akka.Configuration;

namespace ActorSync.Cluster.Tests;

/// <summary>
/// Members talk over mutual TLS and let in only certificates from the configured CA: a member with another CA's
/// certificate, or with none, never joins; one that dials a member whose certificate names another host refuses it.
/// </summary>
[Collection(ClusterFlows.Name)] // forms clusters: kept apart from the parallel classes
public sealed class TlsClusterTests : IDisposable
{
    private const string Password = "tls-test-password";
    private readonly CertificateAuthorities _authorities = new();

    [Fact]
    public async Task Members_with_the_cluster_CA_join_and_one_from_another_CA_or_without_TLS_is_refused()
    {
        var systems = new List<ActorSystem>();
        try
        {
            foreach (var (role, member) in new[] { ("seed", "seed"), ("node", "node-1") })
                systems.Add(Member(role, Settings(_authorities.Cluster.IssueMember(member, Password), _authorities.Cluster.CaPemPath)));
            var seed = Akka.Cluster.Cluster.Get(systems[0]).SelfAddress;
            foreach (var system in systems) Akka.Cluster.Cluster.Get(system).Join(seed);
            await AwaitUpAsync(systems[0], 2, TimeSpan.FromSeconds(30));

            // It trusts both CAs, so it accepts the seed (and its own certificate); the seed must refuse it.
            var bothCas = _authorities.Temp.File("both-cas.crt");
            File.WriteAllText(bothCas, File.ReadAllText(_authorities.Cluster.CaPemPath) + File.ReadAllText(_authorities.Other.CaPemPath));
            var intruder = Member("node", Settings(_authorities.Other.IssueMember("node-2", Password), bothCas));
            var plain = Member("node", null);
            systems.Add(intruder);
            systems.Add(plain);
            var intruderUp = JoinAndWatch(intruder, seed);
            var plainUp = JoinAndWatch(plain, seed);
            await Task.WhenAny(Task.WhenAll(intruderUp, plainUp), Task.Delay(TimeSpan.FromSeconds(10)));

            Assert.False(intruderUp.IsCompleted, "a member with another CA's certificate joined");
            Assert.False(plainUp.IsCompleted, "a member without TLS joined");
            Assert.Equal(2, Akka.Cluster.Cluster.Get(systems[0]).State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up));
        }
        finally
        {
            foreach (var system in systems) await system.Terminate();
        }
    }

    [Fact]
    public async Task A_member_refuses_to_join_a_seed_whose_certificate_names_another_host()
    {
        var systems = new List<ActorSystem>();
        try
        {
            systems.Add(Member("seed", Settings(_authorities.Cluster.IssueMember("seed", Password, "elsewhere.example"), _authorities.Cluster.CaPemPath)));
            systems.Add(Member("node", Settings(_authorities.Cluster.IssueMember("node-1", Password), _authorities.Cluster.CaPemPath)));
            var seed = Akka.Cluster.Cluster.Get(systems[0]).SelfAddress;
            Akka.Cluster.Cluster.Get(systems[0]).Join(seed);
            await AwaitUpAsync(systems[0], 1, TimeSpan.FromSeconds(30));

            var joinerUp = JoinAndWatch(systems[1], seed);
            await Task.WhenAny(joinerUp, Task.Delay(TimeSpan.FromSeconds(10)));

            Assert.False(joinerUp.IsCompleted, "a member joined a seed whose certificate names elsewhere.example, not 127.0.0.1");
            Assert.Single(Akka.Cluster.Cluster.Get(systems[0]).State.Members);
        }
        finally
        {
            foreach (var system in systems) await system.Terminate();
        }
    }

    [Fact]
    public void Each_member_reads_its_own_certificate_through_the_member_placeholder()
    {
        _authorities.Cluster.IssueMember("node-3", Password);
        var settings = ConfigurationFactory.ParseString($$"""
            actorsync.member.tls { certificate = {{Quote(Path.Combine(_authorities.Temp.Path, "{member}.pfx"))}}, password = "{{Password}}", ca = {{Quote(_authorities.Cluster.CaPemPath)}} }
            """);

        var tls = MemberTls.From(settings, "node-3");

        Assert.NotNull(tls);
        Assert.Equal("CN=node-3", tls.Certificate.Subject);
        Assert.True(tls.Policy.ValidateHostname);
    }

    [Fact]
    public void Settings_that_would_trust_any_peer_or_cannot_be_read_are_refused_by_name()
    {
        var certificate = _authorities.Cluster.IssueMember("node-1", Password);
        var cases = new (string Hocon, string[] Named)[]
        {
            ($"certificate = {Quote(certificate)}, password = \"{Password}\"", ["ACTORSYNC_TLS_CA", "ACTORSYNC_TLS_PEERS"]),
            ($"certificate = {Quote(certificate)}, password = \"{Password}\", ca = {Quote(_authorities.Cluster.CaPemPath)}, suppress-validation = on", ["suppress-validation", "make-certs.sh"]),
            ($"certificate = {Quote(certificate)}, password = \"wrong\", ca = {Quote(_authorities.Cluster.CaPemPath)}", ["ACTORSYNC_TLS_PASSWORD", certificate]),
            ("certificate = \"/nonexistent/member.pfx\"", ["ACTORSYNC_TLS_CERT", "/nonexistent/member.pfx"]),
            ($"certificate = {Quote(certificate)}, password = \"{Password}\", ca = \"/nonexistent/ca.crt\"", ["ACTORSYNC_TLS_CA", "/nonexistent/ca.crt"]),
            ($"certificate = {Quote(certificate)}, password = \"{Password}\", ca = {Quote(_authorities.Other.CaPemPath)}", ["ACTORSYNC_TLS_CERT", "its own peers"]),
            ($"certificate = {Quote(certificate)}, password = \"{Password}\", pinned-thumbprints = [\"abc\"]", ["ACTORSYNC_TLS_PEERS", "abc"]),
        };
        foreach (var (hocon, named) in cases)
        {
            var error = Assert.Throws<ConfigurationException>(() => MemberTls.From(ConfigurationFactory.ParseString($"actorsync.member.tls {{ {hocon} }}"), "node-1"));
            foreach (var name in named) Assert.Contains(name, error.Message);
        }
        Assert.Null(MemberTls.From(ConfigurationFactory.ParseString("actorsync.member.tls.certificate = \"\""), "node-1"));
    }

    private Config Settings(string certificate, string ca) => ConfigurationFactory.ParseString($$"""
        actorsync.member.tls { certificate = {{Quote(certificate)}}, password = "{{Password}}", ca = {{Quote(ca)}} }
        """);

    private static ActorSystem Member(string role, Config? tlsSettings)
    {
        var tls = tlsSettings is null ? null : MemberTls.From(tlsSettings, role);
        return ActorSystem.Create("actorsync", MemberTls.SystemSetup(ClusterConfig.Compose(ClusterConfig.ForMember(role)), tls));
    }

    private static Task JoinAndWatch(ActorSystem system, Address seed)
    {
        var up = new TaskCompletionSource();
        var cluster = Akka.Cluster.Cluster.Get(system);
        cluster.RegisterOnMemberUp(() => up.TrySetResult());
        cluster.Join(seed);
        return up.Task;
    }

    private static string Quote(string path) => "\"" + path.Replace("\\", "\\\\") + "\"";

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

    public void Dispose() => _authorities.Dispose();
}
