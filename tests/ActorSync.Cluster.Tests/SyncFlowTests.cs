using ActorSync.Cluster.Protocol;
using ActorSync.Coding;
using ActorSync.Data;
using ActorSync.Data.MySql;
using ActorSync.Tooling;
using ActorSync.Data.Sqlite;
using ActorSync.Data.Verify;
using Akka.Actor;

namespace ActorSync.Cluster.Tests;

/// <summary>
/// The five flows of the product, end to end, each on a fresh in-process cluster (7 ActorSystems over remoting),
/// a real MariaDB and a real SQLite file, each ending with the source and destination digests compared.
/// </summary>
[Collection(ClusterFlows.Name)]
public sealed class SyncFlowTests : Akka.TestKit.Xunit2.TestKit, IClassFixture<MariaDbServer>
{
    private readonly MariaDbServer _server;
    private readonly TempDirectory _temp = new();

    public SyncFlowTests(MariaDbServer server) : base(ClusterConfig.Compose()) => _server = server;

    [Theory]
    [InlineData("leader")]
    [InlineData("thesis-man")]
    public async Task Full_sync_places_delivers_and_applies_the_bank_data_with_the_predicted_bytes_per_link(string scheme)
    {
        var mysql = await SeededDatabaseAsync($"full_{scheme.Replace('-', '_')}");
        await using var cluster = await TestCluster.StartAsync(_temp, mysql, $"actorsync.orchestrator.scheme = {scheme}");

        var report = await cluster.SyncAsync();

        Assert.True(report.Verified, report.Outcome);
        // K=4, r=2: N=6 batches, each placed on 2 nodes; then C(3,2)=3 leader broadcasts to all 4 nodes, or the
        // thesis's C(4,3)=4 packets to their 3-node groups. One node sends the 6 batches to Hub C.
        long size = report.BatchSize, packets = scheme == "leader" ? 3 : 4, fanOut = scheme == "leader" ? 4 : 3;
        Assert.Equal((6, (int)packets), (report.BatchesPlaced, report.XorPackets));
        Assert.Equal((6 + packets, (6 + packets) * size), (report.PacketsOn(LinkCounters.SourceEgress), report.BytesOn(LinkCounters.SourceEgress)));
        Assert.Equal((12 + packets * fanOut) * size, report.BytesOn(LinkCounters.Relay));
        Assert.Equal(6 * size, report.BytesOn("destination.ingress"));
        Assert.Equal(0, report.BytesOn("fallback"));
        for (int node = 0; node < 4; node++)
        {
            var holdings = await cluster.HoldingsAsync(node);
            Assert.Equal(Enumerable.Range(0, 6), holdings.Whole); // placed and delivered, all on disk
        }
        await AssertEqualAsync(cluster);
    }

    [Fact]
    public async Task When_MySQL_dies_the_nodes_recover_by_coded_peer_recovery_and_Hub_C_still_gets_everything()
    {
        // Its own server: this flow kills it.
        var server = new MariaDbServer();
        await server.InitializeAsync();
        try
        {
            var mysql = await server.CreateDatabaseAsync("outage");
            await BankSeeder.SeedAsync(new MySqlSource(mysql), "bank", BankRow.ReadCsv(RepoData.File("bank.csv")), replace: false);
            await using var cluster = await TestCluster.StartAsync(_temp, mysql);
            Assert.True((await cluster.SyncAsync()).Verified);
            var modes = CreateTestProbe(cluster.OrchestratorMember);
            cluster.OrchestratorProxy.Tell(new SubscribeModes(modes.Ref));

            // Node 3 loses its disk and Hub C drifts; then the source dies.
            await cluster.NodeActors[2]!.Ask<CacheDropped>(DropCache.Instance, TimeSpan.FromSeconds(10));
            using (var destination = new SqliteDestination(cluster.DestinationPath)) destination.Execute("DELETE FROM bank WHERE id % 7 = 0");
            int before = await cluster.LastCycleAsync();
            await server.StopAsync();

            var down = modes.ExpectMsg<ModeChanged>(TimeSpan.FromSeconds(2)); // detection within 2 s
            var recovery = await cluster.AwaitCycleAsync(before, r => r.Kind == "recovery");
            var node3 = await cluster.HoldingsAsync(2);

            Assert.Equal("recovery", down.To);
            Assert.True(recovery.Verified, recovery.Outcome);
            Assert.InRange(recovery.RlncPackets, RecoveryAllocation.Solve(4, Holders(excluding: 2), 0b1111).Total, 40);
            Assert.Equal(0, recovery.BytesOn(LinkCounters.SourceEgress));
            Assert.Equal(recovery.RlncPackets * (long)recovery.BatchSize, recovery.BytesOn(LinkCounters.PeerRecovery));
            Assert.Equal(Enumerable.Range(0, 6), node3.Whole); // rebuilt, stored and journaled again

            await server.StartAsync();
            var up = modes.ExpectMsg<ModeChanged>(TimeSpan.FromSeconds(10));
            Assert.Equal(("recovery", "normal"), (up.From, up.To));
            await AssertEqualAsync(cluster);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_crashed_node_comes_back_from_its_journal_and_a_wiped_one_is_refilled_by_its_peers()
    {
        var mysql = await SeededDatabaseAsync("crash");
        await using var cluster = await TestCluster.StartAsync(_temp, mysql);
        var first = await cluster.SyncAsync();
        Assert.True(first.Verified, first.Outcome);
        var placed = new Placement(4, 2).BatchesOf(1);

        // Crash node 2 and restart it on the same journal: it holds its batches again, with no source traffic.
        var watcher = CreateTestProbe(cluster.OrchestratorMember);
        var node2 = cluster.NodeActors[1]!;
        watcher.Watch(node2);
        await cluster.StopNodeAsync(1);
        watcher.ExpectTerminated(node2, TimeSpan.FromSeconds(15));
        await AwaitNodeDownAsync(cluster, 1);
        int before = await cluster.LastCycleAsync();
        cluster.StartNode(1);
        var replayed = await cluster.AwaitCycleAsync(before, r => r.Kind == "repair");
        Assert.Equal("repaired", replayed.Outcome);
        Assert.Equal(0, replayed.RepairTransfers);
        Assert.Equal(0, replayed.BytesOn(LinkCounters.SourceEgress));
        Assert.Equal(Enumerable.Range(0, 6), (await cluster.HoldingsAsync(1)).Whole); // its store came back with its journal

        // Crash it again and wipe its journal: its peers send its placed batches directly.
        await cluster.StopNodeAsync(1);
        await AwaitNodeDownAsync(cluster, 1);
        before = await cluster.LastCycleAsync();
        cluster.StartNode(1, wipeJournal: true);
        var repaired = await cluster.AwaitCycleAsync(before, r => r.Kind == "repair");
        Assert.Equal(placed.Count, repaired.RepairTransfers);
        Assert.Equal(0, repaired.BytesOn(LinkCounters.SourceEgress));
        Assert.Equal(placed.Count * (long)first.BatchSize, repaired.BytesOn("peer.repair"));
        Assert.Equal(placed, (await cluster.HoldingsAsync(1)).Whole);

        var again = await cluster.SyncAsync();
        Assert.True(again.Verified, again.Outcome);
        await AssertEqualAsync(cluster);
    }

    [Fact]
    public async Task Reverse_sync_carries_destination_edits_back_to_MySQL_under_the_conflict_policy()
    {
        var mysql = await SeededDatabaseAsync("reverse");
        await using var cluster = await TestCluster.StartAsync(_temp, mysql);
        var bidirectional = new StartSync(true, "last-writer-wins", []);
        Assert.True((await cluster.SyncAsync(bidirectional)).Verified);

        using (var destination = new SqliteDestination(cluster.DestinationPath))
        {
            destination.Execute("UPDATE bank SET balance = 4242 WHERE id = 10");
            destination.Execute("DELETE FROM bank WHERE id = 11");
        }
        // A conflict: both sides change id 12; the source's later write wins under last-writer-wins.
        await _server.ExecuteAsync(mysql, "UPDATE bank SET balance = 777, updated_at = '2099-01-01 00:00:00' WHERE id = 12");
        using (var destination = new SqliteDestination(cluster.DestinationPath)) destination.Execute("UPDATE bank SET balance = 1 WHERE id = 12");

        var report = await cluster.SyncAsync(bidirectional);

        Assert.True(report.Verified, report.Outcome);
        Assert.Equal((3, 2, 1), (report.ReverseKeys, report.ReverseWritten, report.ReverseConflicts));
        Assert.True(report.BytesOn("reverse") > 0);
        var source = new MySqlSource(mysql);
        var table = (await source.DiscoverAsync(["bank"]))[0];
        Assert.Null(await source.ReadRowAsync(table, KeyOf(11)));
        Assert.Contains("balance=4242,", Data.Encoding.CanonicalRows.DescribeRow((await source.ReadRowAsync(table, KeyOf(10)))!, table));
        Assert.Contains("balance=777,", Data.Encoding.CanonicalRows.DescribeRow((await source.ReadRowAsync(table, KeyOf(12)))!, table));
        await AssertEqualAsync(cluster, rows: 4520); // id 11 was deleted at Hub C, and that delete reached MySQL
    }

    [Fact]
    public async Task A_bulk_edit_at_Hub_C_many_frames_large_streams_back_to_MySQL_whole()
    {
        var mysql = await SeededDatabaseAsync("bulk_reverse");
        // Frames of 256 KiB: the change set of every row (about 0.5 MB) can only arrive in pieces.
        await using var cluster = await TestCluster.StartAsync(_temp, mysql, "akka.remote.dot-netty.tcp.maximum-frame-size = 256KiB");
        var bidirectional = new StartSync(true, "last-writer-wins", []);
        Assert.True((await cluster.SyncAsync(bidirectional)).Verified);

        using (var destination = new SqliteDestination(cluster.DestinationPath))
            destination.Execute("UPDATE bank SET job = job || '+c'");
        var report = await cluster.SyncAsync(bidirectional);

        Assert.True(report.Verified, report.Outcome);
        Assert.Equal((4521, 4521, 0), (report.ReverseKeys, report.ReverseWritten, report.ReverseConflicts));
        Assert.True(report.BytesOn("reverse") > 256 * 1024, $"{report.BytesOn("reverse")} reverse bytes");
        await using (var connection = await new MySqlSource(mysql).OpenAsync())
        {
            await using var count = new MySqlConnector.MySqlCommand("SELECT COUNT(*) FROM bank WHERE job LIKE '%+c'", connection);
            Assert.Equal(4521L, Convert.ToInt64(await count.ExecuteScalarAsync()));
        }
        await AssertEqualAsync(cluster);
    }

    [Fact]
    public async Task A_reverse_change_set_of_200000_rows_syncs_back_to_MySQL_whole()
    {
        const int Rows = 200_000;
        var mysql = await _server.CreateDatabaseAsync("reverse_200k");
        await BankSeeder.SeedAsync(new MySqlSource(mysql), "bank", BankRow.Generate(Rows), replace: false);
        await using var cluster = await TestCluster.StartAsync(_temp, mysql, "actorsync.orchestrator.eta = 4");
        var bidirectional = new StartSync(true, "destination-wins", []);
        Assert.True((await cluster.SyncAsync(bidirectional)).Verified);

        // Every row edited at Hub C: a change set of 200,000 rows, far more than any frame, streams back segment by segment.
        using (var destination = new SqliteDestination(cluster.DestinationPath))
            destination.Execute("UPDATE bank SET balance = balance + 1000000");
        var report = await cluster.SyncAsync(bidirectional);

        Assert.True(report.Verified, report.Outcome);
        Assert.Equal((Rows, Rows, 0), (report.ReverseKeys, report.ReverseWritten, report.ReverseConflicts));
        await using (var connection = await new MySqlSource(mysql).OpenAsync())
        {
            await using var count = new MySqlConnector.MySqlCommand("SELECT COUNT(*) FROM bank WHERE balance >= 900000", connection);
            Assert.Equal((long)Rows, Convert.ToInt64(await count.ExecuteScalarAsync()));
        }
        await AssertEqualAsync(cluster, Rows);
    }

    [Fact]
    public async Task An_incremental_resync_moves_only_the_changed_batch()
    {
        var mysql = await SeededDatabaseAsync("incremental");
        // Plain content, so a batch spans several segments and a same-length change stays in one of them (compressed
        // blocks shift what follows a change, so a compressed batch resends from the changed block on).
        await using var cluster = await TestCluster.StartAsync(_temp, mysql, "actorsync.data.compression = none");
        var full = await cluster.SyncAsync();
        Assert.True(full.Verified, full.Outcome);

        await _server.ExecuteAsync(mysql, "UPDATE bank SET balance = balance + 1 WHERE id = 100");
        var incremental = await cluster.SyncAsync();

        Assert.True(incremental.Verified, incremental.Outcome);
        Assert.Equal((1, 1), (incremental.BatchesPlaced, incremental.BatchesApplied));
        // Only the changed segment of the changed batch crosses the source link: once for placement and once inside each
        // XOR packet that carries it; the two nodes that do not hold it need one packet each at most. Hub C applies the
        // whole batch (its bucket is replaced), which a node streams to it.
        Assert.InRange(incremental.XorPackets, 1, 2);
        Assert.Equal(1 + incremental.XorPackets, incremental.PacketsOn(LinkCounters.SourceEgress));
        Assert.Equal((1 + incremental.XorPackets) * (long)SegmentLayout.DefaultSize, incremental.BytesOn(LinkCounters.SourceEgress)); // one segment each
        Assert.True(incremental.BatchSize > SegmentLayout.DefaultSize, "the batches span more than one segment");
        Assert.Equal(incremental.BatchSize, incremental.BytesOn(LinkCounters.DestinationIngress));
        Assert.True(incremental.BytesOn(LinkCounters.SourceEgress) * 3 < full.BytesOn(LinkCounters.SourceEgress));
        await AssertEqualAsync(cluster);
    }

    private async Task<string> SeededDatabaseAsync(string name)
    {
        var mysql = await _server.CreateDatabaseAsync(name);
        await BankSeeder.SeedAsync(new MySqlSource(mysql), "bank", BankRow.ReadCsv(RepoData.File("bank.csv")), replace: false);
        return mysql;
    }

    /// <summary>The flow's end: the live source and the SQLite destination have equal content digests, table by table.</summary>
    private static async Task AssertEqualAsync(TestCluster cluster, int rows = 4521)
    {
        var tables = await cluster.Source.DiscoverAsync();
        using var destination = new SqliteDestination(cluster.DestinationPath);
        var comparison = await Verifier.CompareAsync(cluster.Source, destination, tables);
        Assert.All(comparison, c => Assert.True(c.Equal, $"{c.Table}: {string.Join("; ", c.Differences)}"));
        Assert.Equal(rows, comparison.Single().DestinationRows);
    }

    private static async Task AwaitNodeDownAsync(TestCluster cluster, int node)
    {
        var deadline = DateTime.UtcNow + TestCluster.Patience;
        while (!(await cluster.ModeAsync()).NodesDown.Contains(node))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"node {node + 1} was never reported down.");
            await Task.Delay(100);
        }
    }

    private static uint[] Holders(int excluding)
    {
        var placement = new Placement(4, 2);
        return Enumerable.Range(0, placement.BatchCount).Select(b => placement.HoldersOf(b) & ~(1u << excluding)).ToArray();
    }

    private static byte[] KeyOf(ulong id)
    {
        var key = new Data.Encoding.RowBuilder(1);
        key.Begin();
        key.Unsigned(id); // bank.id is INT UNSIGNED
        return key.Complete().ToArray();
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _temp.Dispose();
    }
}
