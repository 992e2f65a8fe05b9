namespace ActorSync.Cluster.Tests;

public class ConfigAndCountersTests
{
    [Fact]
    public void Environment_variables_override_settings_by_path()
    {
        var overrides = ClusterConfig.FromEnvironment(new Dictionary<string, string?>
        {
            ["ACTORSYNC__AKKA__REMOTE__DOT_NETTY__TCP__PORT"] = "4053",
            ["ACTORSYNC__ACTORSYNC__NODE__SNAPSHOT_EVERY"] = "7",
            ["ACTORSYNC__AKKA__LOGLEVEL"] = "DEBUG \"quoted\"",
            ["UNRELATED"] = "ignored",
        });
        var config = overrides.WithFallback(ClusterConfig.Embedded("base.conf"));

        Assert.Equal(4053, config.GetInt("akka.remote.dot-netty.tcp.port"));
        Assert.Equal(7, config.GetInt("actorsync.node.snapshot-every"));
        Assert.Equal("DEBUG \"quoted\"", config.GetString("akka.loglevel"));
        Assert.Equal("actorsync", config.GetString("akka.actor.serialization-bindings.\"ActorSync.Cluster.Protocol.INodeProtocol, ActorSync.Cluster\""));
    }

    [Fact]
    public void Hub_settings_are_read_once_from_the_defaults_and_overrides_and_a_bad_read_back_is_named()
    {
        var defaults = Hubs.HubSettings.From(ClusterConfig.Compose());
        var overridden = Hubs.HubSettings.From(ClusterConfig.Compose(Akka.Configuration.ConfigurationFactory.ParseString(
            "actorsync.destination.read-back = all\nactorsync.hub.source-link { latency = 20ms, bytes-per-second = 1000 }")));

        Assert.Equal((TimeSpan.FromSeconds(1), 10, Hubs.ReadBack.Untouched, false), (defaults.HealthInterval, defaults.RestateEvery, defaults.ReadBack, defaults.SourceLink().IsShaped));
        Assert.Equal((Hubs.ReadBack.All, true), (overridden.ReadBack, overridden.SourceLink().IsShaped));
        var error = Assert.Throws<ArgumentException>(() => Hubs.HubSettings.From(ClusterConfig.Compose(Akka.Configuration.ConfigurationFactory.ParseString("actorsync.destination.read-back = some"))));
        Assert.Contains("actorsync.destination.read-back", error.Message);
    }

    [Fact]
    public void The_node_journal_points_at_its_own_file()
    {
        var config = ClusterConfig.ForNodeJournal("/tmp/a b/node 3.db");

        Assert.Equal("Data Source=/tmp/a b/node 3.db", config.GetString("akka.persistence.journal.sql.connection-string"));
        Assert.Equal("SQLite.MS", config.GetString("akka.persistence.snapshot-store.sql.provider-name"));
    }

    [Fact]
    public void A_missing_embedded_file_is_named()
    {
        var error = Assert.Throws<InvalidOperationException>(() => ClusterConfig.Embedded("nope.conf"));
        Assert.Contains("hocon/nope.conf", error.Message);
    }

    [Fact]
    public async Task Link_counters_add_up_bytes_and_packets_across_threads()
    {
        var counters = new LinkCounters();

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (int i = 0; i < 1000; i++)
            {
                counters.Count(LinkCounters.SourceEgress, 100);
                counters.Count(LinkCounters.NodeIngress(2), 10, packets: 2);
            }
        })));
        var totals = counters.Snapshot();

        Assert.Equal(new LinkTotal(8000, 800_000), totals[LinkCounters.SourceEgress]);
        Assert.Equal(new LinkTotal(16_000, 80_000), totals["node3.ingress"]);
    }
}
