using System.Runtime.CompilerServices;
using ActorSync.Cluster.Protocol;
using ActorSync.Coding;
using ActorSync.Data;
using ActorSync.Data.Sqlite;
using Akka.Streams;
using Akka.Streams.Dsl;

namespace ActorSync.Cluster.Hubs;

/// <summary>
/// Reverse sync (C → B) as streams, so a bulk edit at Hub C of any size syncs back with memory bounded by the window:
/// Hub C streams its change set as chunks of at most one segment, read from its change log key by key; Hub B reads the
/// stream, decides and writes the changes in one transaction, and streams the resolution back the same way; Hub C
/// trims its log from it. The data edge does the work (<see cref="ReverseSync"/>); this only moves chunks.
/// </summary>
public static class ReverseStreams
{
    public static readonly int ChunkSize = SegmentLayout.DefaultSize;

    /// <summary>At Hub C: the change set, offered as a stream of chunks (empty when capture is off).</summary>
    public static async Task<ChangesCollected> Collect(string hub, string path, CollectChanges collect, IMaterializer materializer)
    {
        var tables = DatasetCatalog.Decode(collect.Catalog).Tables;
        int keys;
        using (var destination = new SqliteDestination(path))
            keys = destination.CaptureEnabled ? ReverseSync.CountKeys(destination, tables) : 0;
        var chunks = keys == 0 ? [] : Chunks(path, tables);
        var changeSet = await Source.From(chunks).RunWith(StreamRefs.SourceRef<IDataFrame>(), materializer);
        return new ChangesCollected(hub, keys, changeSet);
    }

    /// <summary>At Hub B: reads the change set as it streams in, resolves it against the source, and offers the resolution.</summary>
    public static async Task<ChangesResolved> ResolveAsync(string hub, ISyncSource source, ResolveChanges resolve, IMaterializer materializer)
    {
        var tables = DatasetCatalog.Decode(resolve.Catalog).Tables;
        var policies = ConflictPolicies.Parse(resolve.Policy, resolve.TablePolicies);
        var received = new Counter();
        var resolution = await ReverseSync.ResolveAsync(source, tables, Records(resolve.ChangeSet, materializer, received), policies);
        var sent = new Counter();
        var chunks = ReverseRecords.Chunks(resolution.ToRecords(), ChunkSize).Select((bytes, i) =>
        {
            sent.Bytes += bytes.Length;
            return (IDataFrame)new ChangeChunk(i, bytes);
        }).ToArray();
        var stream = await Source.From(chunks).RunWith(StreamRefs.SourceRef<IDataFrame>(), materializer);
        return new ChangesResolved(hub, resolution.KeysChanged, resolution.WrittenToSource, resolution.Conflicts.Count, received.Bytes, sent.Bytes, stream);
    }

    /// <summary>At Hub C: reads the resolution and records it (log trimmed, conflicts kept, batches marked for re-shipping).</summary>
    public static async Task<ChangesCompleted> CompleteAsync(string hub, string path, CompleteChanges complete, IMaterializer materializer)
    {
        var tables = DatasetCatalog.Decode(complete.Catalog).Tables;
        var records = new List<ReverseRecord>();
        await foreach (var record in Records(complete.Resolution, materializer, new Counter())) records.Add(record);
        using var destination = new SqliteDestination(path);
        ReverseSync.Complete(destination, tables, ReverseResolution.FromRecords(records));
        return new ChangesCompleted(hub);
    }

    /// <summary>The change log as chunks; the destination stays open while the stream reads it.</summary>
    private static IEnumerable<IDataFrame> Chunks(string path, IReadOnlyList<Data.Schema.TableSchema> tables)
    {
        using var destination = new SqliteDestination(path);
        int sequence = 0;
        foreach (var chunk in ReverseRecords.Chunks(ReverseSync.Collect(destination, tables), ChunkSize))
            yield return new ChangeChunk(sequence++, chunk);
    }

    private static async IAsyncEnumerable<ReverseRecord> Records(ISourceRef<IDataFrame> stream, IMaterializer materializer, Counter counter,
        [EnumeratorCancellation] CancellationToken cancellation = default)
    {
        var queue = stream.Source.RunWith(Sink.Queue<IDataFrame>(), materializer);
        var reader = new ReverseRecords.Reader();
        int expected = 0;
        while (true)
        {
            var next = await queue.PullAsync();
            if (!next.HasValue) break;
            cancellation.ThrowIfCancellationRequested();
            if (next.Value is not ChangeChunk chunk || chunk.Sequence != expected++)
                throw new DataEdgeException($"a reverse-sync stream brought {next.Value.GetType().Name} out of order.");
            counter.Bytes += chunk.Bytes.Length;
            foreach (var record in reader.Feed(chunk.Bytes)) yield return record;
        }
        reader.Finish();
    }

    private sealed class Counter
    {
        public long Bytes;
    }
}
