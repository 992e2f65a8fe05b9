using System.Text.RegularExpressions;
using ActorSync.Cli;
using ActorSync.Coding;

namespace ActorSync.EndToEnd.Tests;

/// <summary>The local multi-process cluster, driven only through the `actorsync` command line and its endpoints.</summary>
public sealed partial class LauncherClusterTests(LauncherCluster cluster) : IClassFixture<LauncherCluster>
{
    private const int Members = 4 + 4; // seed, orchestrator, hub-b, hub-c and K = 4 nodes

    [Fact]
    public async Task Cluster_show_lists_every_member_up_with_its_role()
    {
        // A node killed by another test leaves the cluster within seconds (SBR): wait for the table to settle.
        string[] rows = [];
        await Eventually(() =>
        {
            var show = cluster.Cli("cluster", "show");
            Assert.True(show.ExitCode == 0, show.ToString());
            rows = show.Stdout.Split('\n').Where(l => l.StartsWith('│') && l.Contains("akka.tcp://actorsync@127.0.0.1")).ToArray();
            return Task.FromResult(rows.Length == Members && rows.All(row => row.Contains(" Up ") && row.Contains(" reachable ")));
        });

        foreach (var role in new[] { "seed", "orchestrator", "hub", "node" }) Assert.Contains(rows, row => row.Contains($" {role} "));
        Assert.Equal(4, rows.Count(row => row.Contains(" node ")));
        Assert.Equal(2, rows.Count(row => row.Contains(" hub ")));
        var seedPort = cluster.State().Members.Single(m => m.Role == "seed").AkkaPort;
        Assert.Contains(rows, row => row.Contains($"@127.0.0.1:{seedPort} "));
        Assert.Single(rows, row => row.Contains(" leader "));
    }

    [Fact]
    public async Task Sync_start_ends_verified_and_the_metrics_count_the_links()
    {
        var sync = cluster.Cli("sync", "start");

        Assert.True(sync.ExitCode == 0, sync.ToString());
        // The state file holds the command token: its owner alone may read it.
        Assert.False(OperatingSystem.IsWindows(), "these tests run on Linux");
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(cluster.StateDirectory, LocalCluster.StateFile)));
        Assert.Matches(@"cycle \d+ \(sync, normal mode, leader scheme\): verified", sync.Stdout);
        Assert.Contains("bank: 4521 rows, digests equal", sync.Stdout);

        // Prometheus: the orchestrator's link counters and a node's batches, scraped over HTTP.
        var state = cluster.State();
        using var http = new HttpClient();
        var orchestrator = state.Members.Single(m => m.Role == "orchestrator");
        var node = state.Members.Single(m => m.Name == "node-1");
        await Eventually(async () =>
        {
            var text = await http.GetStringAsync($"http://127.0.0.1:{orchestrator.MetricsPort}/metrics");
            return Metric(text, "actorsync_link_packets_total{link=\"source.egress\"}") > 0 && Metric(text, "actorsync_mode{mode=\"normal\"}") == 1;
        });
        // Every node holds every batch whole on disk: its 3 placed ones and the 3 coded delivery brought.
        await Eventually(async () => Metric(await http.GetStringAsync($"http://127.0.0.1:{node.MetricsPort}/metrics"), "actorsync_node_batches_held") == 6);
    }

    [Fact]
    public async Task Node_list_is_right_after_kill_9_of_a_node_process_and_its_restart()
    {
        Assert.True(cluster.Cli("sync", "start").ExitCode == 0); // so the nodes hold a dataset
        var before = cluster.State().Members.Single(m => m.Name == "node-2");

        Assert.True(LocalCluster.Signal(before.Pid, LocalCluster.Sigkill));

        await Eventually(() => Task.FromResult(cluster.State().Members.Single(m => m.Name == "node-2") is { } now && now.Pid != before.Pid && now.Restarts == before.Restarts + 1));
        string expected = string.Join(" ", Enumerable.Range(0, new Placement(4, 2).BatchCount).Select(b => $"B{b + 1}")); // back from its journal and store
        CliRunner.Result list = null!;
        await Eventually(() =>
        {
            list = cluster.Cli("node", "list");
            return Task.FromResult(list.ExitCode == 0 && list.Stdout.Split('\n').Any(l => l.Contains("node-2") && l.Contains(" alive ") && l.Contains(expected)));
        });
        var rows = list.Stdout.Split('\n').Where(l => NodeRow().IsMatch(l)).ToArray();
        Assert.Equal(4, rows.Length);
        Assert.All(rows, row => Assert.Contains(" alive ", row));
    }

    [Fact]
    public void Every_status_command_answers_as_one_JSON_document_a_program_can_read()
    {
        var sync = cluster.Cli("sync", "start", "--json");
        Assert.True(sync.ExitCode == 0, sync.ToString());
        using var cycle = System.Text.Json.JsonDocument.Parse(sync.Stdout); // nothing but the document on stdout
        Assert.True(cycle.RootElement.GetProperty("verified").GetBoolean());
        Assert.Equal("sync", cycle.RootElement.GetProperty("kind").GetString());
        Assert.All(cycle.RootElement.GetProperty("checks").EnumerateArray(), c => Assert.True(c.GetProperty("equal").GetBoolean()));

        using var status = System.Text.Json.JsonDocument.Parse(cluster.Cli("sync", "status", "--json").Stdout);
        var recent = status.RootElement.GetProperty("recent").EnumerateArray().ToArray();
        Assert.Contains(recent, r => r.GetProperty("cycle").GetInt32() == cycle.RootElement.GetProperty("cycle").GetInt32());
        // The cluster's first sync shipped the table from the source (a later one with nothing changed ships nothing).
        Assert.Contains(recent, r => r.GetProperty("links").EnumerateArray().Any(l => l.GetProperty("link").GetString() == "source.egress" && l.GetProperty("bytes").GetInt64() > 0));

        using var nodes = System.Text.Json.JsonDocument.Parse(cluster.Cli("node", "list", "--json").Stdout);
        Assert.Equal(4, nodes.RootElement.GetProperty("k").GetInt32());
        Assert.Equal(4, nodes.RootElement.GetProperty("nodes").GetArrayLength());

        using var databases = System.Text.Json.JsonDocument.Parse(cluster.Cli("db", "status", "--json").Stdout);
        Assert.Equal(["hub-b", "hub-c"], databases.RootElement.GetProperty("databases").EnumerateArray().Select(d => d.GetProperty("hub").GetString()).Order());

        using var members = System.Text.Json.JsonDocument.Parse(cluster.Cli("cluster", "show", "--json").Stdout);
        Assert.Single(members.RootElement.GetProperty("members").EnumerateArray(), m => m.GetProperty("leader").GetBoolean());

        using var recovery = System.Text.Json.JsonDocument.Parse(cluster.Cli("recovery", "status", "--json").Stdout);
        Assert.Contains(recovery.RootElement.GetProperty("mode").GetString(), new[] { "normal", "recovery" }); // other tests stop the source
        Assert.Equal(System.Text.Json.JsonValueKind.Array, recovery.RootElement.GetProperty("recoveries").ValueKind);

        // A command with no document of its own still answers in JSON: its lines and tables.
        using var leader = System.Text.Json.JsonDocument.Parse(cluster.Cli("cluster", "leader", "--json").Stdout);
        Assert.StartsWith("leader: ", leader.RootElement.GetProperty("lines")[0].GetString());
    }

    [Fact]
    public void A_wrong_token_is_refused_and_a_dead_endpoint_is_named()
    {
        var wrong = cluster.Cli("node", "list", "--token", "not-the-token");
        Assert.NotEqual(0, wrong.ExitCode);
        Assert.Contains("wrong token", wrong.Stderr);

        var nowhere = CliRunner.Run("node", "list", "--endpoint", "127.0.0.1:1", "--token", "x");
        Assert.Equal(2, nowhere.ExitCode);
        Assert.Contains("no ActorSync command endpoint answers at 127.0.0.1:1", nowhere.Stderr);
    }

    private static double Metric(string exposition, string series)
    {
        var line = exposition.Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        return line is null ? double.NaN : double.Parse(line[(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task Eventually(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the condition did not hold within 90 s.");
            await Task.Delay(500);
        }
    }

    [GeneratedRegex(@"│ node-\d+ ")]
    private static partial Regex NodeRow();
}
