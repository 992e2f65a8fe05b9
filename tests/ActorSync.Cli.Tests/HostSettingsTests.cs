namespace ActorSync.Cli.Tests;

/// <summary>The member host refuses bad settings before it starts anything: exit 2, the setting named, no stack trace.</summary>
public class HostSettingsTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public static TheoryData<string, string[], string> BadSettings => new()
    {
        { "ACTORSYNC_ROLE=bogus", [], "actorsync.member.role (ACTORSYNC_ROLE) = 'bogus' is not one of" },
        { "ACTORSYNC_ROLE=hub-b", [], "hub-b needs its source: set actorsync.member.source.mysql (ACTORSYNC_MYSQL)" },
        { "ACTORSYNC_ROLE=hub-b", ["ACTORSYNC_MYSQL=Server=127.0.0.1;Database=x", "ACTORSYNC_SOURCE_SQLITE=source.db"], "hub-b has two sources" },
        { "ACTORSYNC_ROLE=hub-c", [], "hub-c needs its destination" },
        { "ACTORSYNC_ROLE=node", ["ACTORSYNC_NODE=9", "ACTORSYNC_K=4"], "actorsync.member.node (ACTORSYNC_NODE) = 9: a node's index must be 1 to K = 4" },
        { "ACTORSYNC_ROLE=node", ["ACTORSYNC_NODE=1", "ACTORSYNC_JOURNAL=postgres"], "actorsync.member.journal.kind (ACTORSYNC_JOURNAL) = 'postgres'" },
        { "ACTORSYNC_ROLE=seed", ["ACTORSYNC_SEEDS=akka.tcp://other@127.0.0.1:4053"], "akka.cluster.seed-nodes (ACTORSYNC_SEEDS): 'akka.tcp://other@127.0.0.1:4053' must name the system actorsync" },
        { "ACTORSYNC_ROLE=seed", ["ACTORSYNC_SEEDS=127.0.0.1:4053"], "akka.cluster.seed-nodes (ACTORSYNC_SEEDS): '127.0.0.1:4053' is not a member address" },
        { "ACTORSYNC_ROLE=seed", ["ACTORSYNC_TOKEN=change-me-to-a-long-random-string"], "actorsync.member.commands.token (ACTORSYNC_TOKEN) is still the example's placeholder" },
        { "ACTORSYNC_ROLE=seed", ["ACTORSYNC_TOKEN=short"], "actorsync.member.commands.token (ACTORSYNC_TOKEN) has 5 characters; it needs 32 or more" },
        { "ACTORSYNC_ROLE=seed", ["ACTORSYNC_TOKEN=0123456789abcdef0123456789abcdef", "ACTORSYNC_READ_TOKEN=0123456789abcdef0123456789abcdef"], "read-token (ACTORSYNC_READ_TOKEN) equals the admin token" },
        { "ACTORSYNC_ROLE=orchestrator", ["ACTORSYNC_K=4", "ACTORSYNC_R=4"], "actorsync.orchestrator.nodes/redundancy/eta = 4/4/1 (ACTORSYNC_K/_R/_ETA): redundancy (r) must be between 1 and K−1 = 3; got 4." },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public void Bad_settings_exit_2_naming_the_setting(string role, string[] more, string expected)
    {
        var environment = more.Prepend(role).Select(s => s.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        environment["ACTORSYNC_DATA_DIR"] = _temp.Path;

        var host = CliRunner.RunHost(environment);

        Assert.True(host.ExitCode == 2, host.ToString());
        Assert.Contains(expected, host.Stderr);
        Assert.DoesNotContain("   at ", host.Stderr);
    }

    public void Dispose() => _temp.Dispose();
}
