using ActorSync.Cluster.Nodes;
using ActorSync.Cluster.Protocol;
using ActorSync.Coding;
using Akka.Actor;

namespace ActorSync.Cluster.Tests;

/// <summary>The MariaDB journal option: the project's own schema, then a node that restarts from it.</summary>
public sealed class MariaDbJournalTests : IClassFixture<MariaDbServer>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private readonly MariaDbServer _server;

    public MariaDbJournalTests(MariaDbServer server) => _server = server;

    [Fact]
    public async Task A_node_journaled_in_MariaDB_comes_back_with_its_batches_after_a_restart()
    {
        var connection = await _server.CreateDatabaseAsync("journal");
        await MariaDbJournal.EnsureSchemaAsync(connection);
        await MariaDbJournal.EnsureSchemaAsync(connection); // idempotent: every start runs it
        using var data = SegmentedData.Create(new Placement(4, 2, 1), rows: 20_000);
        var store = Path.Combine(Path.GetTempPath(), "actorsync-mariadb-journal-" + Guid.NewGuid().ToString("N"));
        var settings = new NodeSettings(2, store, TimeSpan.FromSeconds(5), JournalWindow: 4); // snapshots on the way, so both tables are used
        // Not serialize-messages: the SQL plugin's own internal messages cannot cross a serializer.
        var config = ClusterConfig.Compose(MariaDbJournal.ForNode(connection));

        var first = ActorSystem.Create("journal-a", config);
        try
        {
            var node = first.ActorOf(NodeActor.Props(0, settings));
            var inbox = await node.Ask<InboxOpened>(new OpenInbox(1, 1), Patience);
            Akka.Streams.Dsl.Source.From(new[] { 0, 1, 2 }.SelectMany(data.Batch).Cast<IDataFrame>())
                .RunWith(inbox.Inbox.Sink, Akka.Streams.ActorMaterializer.Create(first));
            var deadline = DateTime.UtcNow + Patience;
            while (true) // the stream's segments are in once the manifest finds the three batches whole
            {
                await node.Ask<ManifestStored>(new StoreManifest(1, data.EncodedManifest, []), Patience);
                if ((await node.Ask<Holdings>(GetHoldings.Instance, Patience)).Whole.Length == 3) break;
                if (DateTime.UtcNow > deadline) throw new TimeoutException("the node did not store the streamed batches.");
                await Task.Delay(100);
            }
            // Snapshots are written asynchronously: wait for one before stopping, or the check below races it.
            await WaitForSnapshotAsync(connection);
        }
        finally
        {
            await first.Terminate();
        }

        var second = ActorSystem.Create("journal-b", config);
        try
        {
            var holdings = await second.ActorOf(NodeActor.Props(0, settings)).Ask<Holdings>(GetHoldings.Instance, Patience);
            Assert.Equal([0, 1, 2], holdings.Whole);
            Assert.Equal(1, holdings.Dataset);
        }
        finally
        {
            await second.Terminate();
        }
        // The snapshot in MariaDB holds metadata only (the manifest and which segments are held), never segment bytes.
        long largest = await LargestSnapshotAsync(connection) ?? 0;
        Assert.InRange(largest, 1, data.Manifest.Encode().Length + 100 * data.Manifest.SegmentCount * 3 + 4096);
        Assert.True(largest < data.Manifest.BatchSize);
        Directory.Delete(store, recursive: true);
    }

    private static async Task<long?> LargestSnapshotAsync(string connection)
    {
        await using var mysql = new MySqlConnector.MySqlConnection(connection);
        await mysql.OpenAsync();
        await using var command = new MySqlConnector.MySqlCommand("SELECT MAX(LENGTH(snapshot)) FROM snapshot", mysql);
        return await command.ExecuteScalarAsync() is long length ? length : null;
    }

    private static async Task WaitForSnapshotAsync(string connection)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (await LargestSnapshotAsync(connection) is null)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no snapshot reached MariaDB within {Patience.TotalSeconds} s");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task An_unreachable_journal_database_is_named_in_the_error()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            MariaDbJournal.EnsureSchemaAsync($"Server=127.0.0.1;Port={_server.Port};User ID=nobody;Password=wrong;Database=journal;Connection Timeout=3"));
        Assert.Contains($"127.0.0.1:{_server.Port}/journal", error.Message);
    }
}
