using ActorSync.Cluster.Hubs;
using ActorSync.Cluster.Nodes;
using ActorSync.Cluster.Protocol;
using ActorSync.Data.MySql;
using ActorSync.Data.Sqlite;
using Akka.Actor;
using Akka.Configuration;

namespace ActorSync.Cluster.Tests;

public class HubSupervisorTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1); // the default actorsync.hub.health-interval
    private readonly TempDirectory _temp;

    public HubSupervisorTests() : this(new TempDirectory()) { }

    private HubSupervisorTests(TempDirectory temp) : base(ClusterConfig.Compose(
        ConfigurationFactory.ParseString("akka.actor.serialize-messages = on"),
        ClusterConfig.ForNodeJournal(temp.File("hub.journal.db"))))
    {
        _temp = temp;
    }

    [Fact]
    public async Task A_killed_MySQL_is_reported_down_within_two_seconds_and_up_when_it_returns()
    {
        // Its own server: this test kills it, which the shared one must not suffer.
        var server = new MariaDbServer();
        await server.InitializeAsync();
        try
        {
            var source = new MySqlSource(await server.CreateDatabaseAsync("health"));
            var reports = CreateTestProbe();
            Sys.ActorOf(HubSupervisor.Props("hub-b", "mysql", source.PingAsync, Interval, reports, restateEvery: int.MaxValue));
            reports.ExpectMsg<DatabaseUp>(TimeSpan.FromSeconds(10));

            await server.StopAsync();
            // Detection within 2 s of the kill: one probe interval, plus a refused connection's answer.
            var down = reports.ExpectMsg<DatabaseDown>(TimeSpan.FromSeconds(2));
            await server.StartAsync();
            var up = reports.ExpectMsg<DatabaseUp>(TimeSpan.FromSeconds(10));

            Assert.Equal("hub-b", down.Hub);
            Assert.Contains("unreachable", down.Reason);
            Assert.Equal("mysql", up.Database);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public void A_missing_SQLite_file_is_reported_down_and_up_again()
    {
        var file = _temp.File("hubc.db");
        using (var destination = new SqliteDestination(file)) { }
        var reports = CreateTestProbe();
        Sys.ActorOf(HubSupervisor.Props("hub-c", "sqlite", _ => Task.Run(() => SqliteDestination.Ping(file)), Interval, reports, restateEvery: int.MaxValue));
        reports.ExpectMsg<DatabaseUp>(TimeSpan.FromSeconds(5));

        File.Move(file, file + ".away");
        var down = reports.ExpectMsg<DatabaseDown>(TimeSpan.FromSeconds(5));
        File.Move(file + ".away", file);

        Assert.Contains("does not exist", down.Reason);
        reports.ExpectMsg<DatabaseUp>(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void A_crashed_node_is_reported_down_and_up_when_it_is_watched_again()
    {
        var reports = CreateTestProbe();
        var hub = Sys.ActorOf(HubSupervisor.Props("hub-b", "mysql", _ => Task.CompletedTask, Interval, reports, restateEvery: int.MaxValue));
        reports.ExpectMsg<DatabaseUp>(TimeSpan.FromSeconds(5));
        var node = Sys.ActorOf(NodeActor.Props(2, new NodeSettings(50, Path.Combine(Path.GetTempPath(), "actorsync-hub-test-" + Guid.NewGuid().ToString("N")), TimeSpan.FromSeconds(5))));
        hub.Tell(new WatchNode(2, node));

        Sys.Stop(node);
        var down = reports.ExpectMsg<NodeDown>(TimeSpan.FromSeconds(5));
        hub.Tell(GetHubStatus.Instance, TestActor);
        var status = ExpectMsg<HubStatus>(TimeSpan.FromSeconds(5));
        hub.Tell(new WatchNode(2, Sys.ActorOf(NodeActor.Props(2, new NodeSettings(50, Path.Combine(Path.GetTempPath(), "actorsync-hub-test-" + Guid.NewGuid().ToString("N")), TimeSpan.FromSeconds(5))))));
        var up = reports.ExpectMsg<NodeUp>(TimeSpan.FromSeconds(5));

        Assert.Equal(2, down.Node);
        Assert.Equal([2], status.NodesDown);
        Assert.True(status.DatabaseHealthy);
        Assert.Equal(2, up.Node);
    }

    [Fact]
    public void A_node_that_restarts_before_its_old_actor_is_seen_dead_counts_as_returned_and_the_old_death_is_ignored()
    {
        var reports = CreateTestProbe();
        var hub = Sys.ActorOf(HubSupervisor.Props("hub-b", "mysql", _ => Task.CompletedTask, Interval, reports, restateEvery: int.MaxValue));
        reports.ExpectMsg<DatabaseUp>(TimeSpan.FromSeconds(5));
        var before = CreateTestProbe();
        var after = CreateTestProbe();
        hub.Tell(new WatchNode(1, before.Ref));
        hub.Tell(new WatchNode(1, before.Ref)); // a restated registration of the same actor is not a return

        hub.Tell(new WatchNode(1, after.Ref));
        var up = reports.ExpectMsg<NodeUp>(TimeSpan.FromSeconds(5));
        Sys.Stop(before.Ref);
        reports.ExpectNoMsg(TimeSpan.FromMilliseconds(500));
        hub.Tell(GetHubStatus.Instance, TestActor);
        var status = ExpectMsg<HubStatus>(TimeSpan.FromSeconds(5));

        Assert.Equal(1, up.Node);
        Assert.Empty(status.NodesDown);
        Assert.Equal([1], status.NodesUp);
    }

    [Fact]
    public void The_database_state_is_restated_so_a_new_orchestrator_learns_it()
    {
        var reports = CreateTestProbe();
        Sys.ActorOf(HubSupervisor.Props("hub-b", "mysql", _ => throw new InvalidOperationException("refused"), TimeSpan.FromMilliseconds(100), reports, restateEvery: 3));

        var first = reports.ExpectMsg<DatabaseDown>(TimeSpan.FromSeconds(5));
        var again = reports.ExpectMsg<DatabaseDown>(TimeSpan.FromSeconds(5));

        Assert.Equal(first, again);
    }

    [Fact]
    public void A_probe_slower_than_the_interval_counts_as_down()
    {
        var reports = CreateTestProbe();
        Sys.ActorOf(HubSupervisor.Props("hub-b", "mysql", token => Task.Delay(TimeSpan.FromMinutes(1), token), TimeSpan.FromMilliseconds(300), reports));

        Assert.Contains("no answer within 300 ms", reports.ExpectMsg<DatabaseDown>(TimeSpan.FromSeconds(5)).Reason);
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        _temp.Dispose();
    }
}
