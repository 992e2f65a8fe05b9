using ActorSync.Cluster.Hubs;
using ActorSync.Cluster.Protocol;
using ActorSync.Data.MySql;
using ActorSync.Data.Seed;

namespace ActorSync.Cluster.Tests;

/// <summary>Hub B's worker against a real MariaDB: batches too big for a frame are refused by name, never sent.</summary>
public sealed class SourceHubTests : Akka.TestKit.Xunit2.TestKit, IClassFixture<MariaDbServer>
{
    private readonly MariaDbServer _server;
    private readonly TempDirectory _temp = new();

    public SourceHubTests(MariaDbServer server) : base(ClusterConfig.Compose()) => _server = server;

    [Fact]
    public async Task A_dataset_whose_batches_exceed_the_frame_size_is_refused_by_name()
    {
        var source = new MySqlSource(await _server.CreateDatabaseAsync("frames"));
        await BankSeeder.SeedAsync(source, "bank", BankRow.Generate(2000), replace: false);
        var hub = Sys.ActorOf(SourceHub.Props("hub-b", source, maxBatchBytes: 16 * 1024, _temp.Path));

        hub.Tell(new PrepareSnapshot(1, 2, []), TestActor);
        var refused = ExpectMsg<HubFailed>(TimeSpan.FromSeconds(30));
        hub.Tell(new FetchBatch(1, 0), TestActor);
        var nothing = ExpectMsg<HubFailed>(TimeSpan.FromSeconds(5));

        Assert.Contains("maximum-frame-size", refused.Reason);
        Assert.Contains("actorsync.orchestrator.eta", refused.Reason);
        Assert.Contains("is not the snapshot held here", nothing.Reason); // nothing was kept to send

        hub.Tell(new PrepareSnapshot(2, 64, []), TestActor); // more, smaller batches fit
        var prepared = ExpectMsg<SnapshotPrepared>(TimeSpan.FromSeconds(30));
        Assert.InRange(prepared.BatchSize, 1, 16 * 1024);
        Assert.Equal(2000, prepared.Rows);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _temp.Dispose();
    }
}
