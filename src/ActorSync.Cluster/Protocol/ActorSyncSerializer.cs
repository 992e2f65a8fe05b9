using Akka.Actor;
using Akka.Serialization;

namespace ActorSync.Cluster.Protocol;

/// <summary>
/// The one serializer for every ActorSync protocol record and journal event: a short manifest per type, and a
/// compact little-endian body in which batch and packet payloads are raw bytes. An unknown manifest or a damaged
/// body throws <see cref="System.Runtime.Serialization.SerializationException"/> naming the manifest.
/// </summary>
public sealed class ActorSyncSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public const int Id = 4177;

    public override int Identifier => Id;

    public override string Manifest(object o) => o switch
    {
        StoreBatch => "SB",
        BatchStored => "BS",
        BatchRejected => "BR",
        GetBatch => "GB",
        BatchData => "BD",
        BatchMissing => "BM",
        GetHoldings => "GH",
        Holdings => "HO",
        DropCache => "DC",
        CacheDropped => "CD",
        BatchCached => "E1",
        CacheCleared => "E2",
        NodeCacheSnapshot => "S1",
        StoreManifest => "SM",
        ManifestStored => "MS",
        ManifestCached => "E3",
        XorPacketMessage => "XP",
        XorAccepted => "XA",
        EncodeRecovery => "ER",
        RlncPacketMessage => "RP",
        RlncAccepted => "RA",
        WatchNode => "WN",
        NodeDown => "ND",
        NodeUp => "NU",
        DatabaseDown => "DD",
        DatabaseUp => "DU",
        GetHubStatus => "GS",
        HubStatus => "HS",
        GetMode => "GM",
        ModeChanged => "MC",
        ModeStatus => "MD",
        SubscribeModes => "SS",
        _ => throw new ArgumentException($"{o.GetType().FullName} is not an ActorSync protocol type.", nameof(o)),
    };

    public override byte[] ToBinary(object obj) => obj switch
    {
        StoreBatch m => new WireWriter(m.Data.Length + 64).Long(m.Dataset).Int(m.Batch).Bytes(m.Data).Bytes(m.Digest).ToArray(),
        BatchStored m => new WireWriter().Int(m.Node).Long(m.Dataset).Int(m.Batch).ToArray(),
        BatchRejected m => new WireWriter().Int(m.Node).Long(m.Dataset).Int(m.Batch).String(m.Reason).ToArray(),
        GetBatch m => new WireWriter().Int(m.Batch).ToArray(),
        BatchData m => new WireWriter(m.Data.Length + 64).Int(m.Node).Long(m.Dataset).Int(m.Batch).Bytes(m.Data).Bytes(m.Digest).ToArray(),
        BatchMissing m => new WireWriter().Int(m.Node).Int(m.Batch).ToArray(),
        GetHoldings or DropCache or CacheCleared or GetHubStatus or GetMode => [],
        Holdings m => new WireWriter().Int(m.Node).Long(m.Dataset).Ints(m.Batches).Ints(m.Decoded).ToArray(),
        CacheDropped m => new WireWriter().Int(m.Node).ToArray(),
        BatchCached m => new WireWriter(m.Data.Length + 64).Long(m.Dataset).Int(m.Batch).Bytes(m.Data).Bytes(m.Digest).ToArray(),
        NodeCacheSnapshot m => WriteSnapshot(m),
        StoreManifest m => new WireWriter().Long(m.Dataset).Int(m.BatchSize).ByteArrays(m.Digests).ToArray(),
        ManifestStored m => new WireWriter().Int(m.Node).Long(m.Dataset).ToArray(),
        ManifestCached m => new WireWriter().Long(m.Dataset).Int(m.BatchSize).ByteArrays(m.Digests).ToArray(),
        XorPacketMessage m => new WireWriter(m.Payload.Length + 64).Long(m.Dataset).Int(m.Index).Ints(m.Batches).Bytes(m.Payload).Bytes(m.Checksum).ToArray(),
        XorAccepted m => new WireWriter().Int(m.Node).Long(m.Dataset).Int(m.Index).String(m.Outcome).Ints(m.Decoded).Ints(m.FailedVerification).ToArray(),
        EncodeRecovery m => new WireWriter().Long(m.Dataset).Int(m.Count).ToArray(),
        RlncPacketMessage m => new WireWriter(m.Payload.Length + 64).Long(m.Dataset).Int(m.Sender).Int(m.Sequence).Ints(m.BatchIds)
            .Bytes(m.Coefficients).Bytes(m.Payload).Bytes(m.Checksum).ToArray(),
        RlncAccepted m => new WireWriter().Int(m.Node).Long(m.Dataset).String(m.Outcome).Int(m.Rank).Int(m.Unknowns)
            .Ints(m.Decoded).Ints(m.Undetermined).Ints(m.FailedVerification).ToArray(),
        WatchNode m => new WireWriter().Int(m.Node).String(Serialization.SerializedActorPath(m.Ref)).ToArray(),
        NodeDown m => new WireWriter().String(m.Hub).Int(m.Node).String(m.Reason).ToArray(),
        NodeUp m => new WireWriter().String(m.Hub).Int(m.Node).ToArray(),
        DatabaseDown m => new WireWriter().String(m.Hub).String(m.Database).String(m.Reason).ToArray(),
        DatabaseUp m => new WireWriter().String(m.Hub).String(m.Database).ToArray(),
        HubStatus m => new WireWriter().String(m.Hub).String(m.Database).Int(m.DatabaseHealthy ? 1 : 0).String(m.LastError)
            .Ints(m.NodesUp).Ints(m.NodesDown).ToArray(),
        ModeChanged m => WriteModeChange(new WireWriter(), m).ToArray(),
        ModeStatus m => WriteModeStatus(m),
        SubscribeModes m => new WireWriter().String(Serialization.SerializedActorPath(m.Subscriber)).ToArray(),
        _ => throw new ArgumentException($"{obj.GetType().FullName} is not an ActorSync protocol type.", nameof(obj)),
    };

    public override object FromBinary(byte[] bytes, string manifest)
    {
        try
        {
            var r = new WireReader(bytes);
            object message = manifest switch
            {
                "SB" => new StoreBatch(r.Long(), r.Int(), r.Bytes(), r.Bytes()),
                "BS" => new BatchStored(r.Int(), r.Long(), r.Int()),
                "BR" => new BatchRejected(r.Int(), r.Long(), r.Int(), r.String()),
                "GB" => new GetBatch(r.Int()),
                "BD" => new BatchData(r.Int(), r.Long(), r.Int(), r.Bytes(), r.Bytes()),
                "BM" => new BatchMissing(r.Int(), r.Int()),
                "GH" => GetHoldings.Instance,
                "HO" => new Holdings(r.Int(), r.Long(), r.Ints(), r.Ints()),
                "DC" => DropCache.Instance,
                "CD" => new CacheDropped(r.Int()),
                "E1" => new BatchCached(r.Long(), r.Int(), r.Bytes(), r.Bytes()),
                "E2" => CacheCleared.Instance,
                "S1" => ReadSnapshot(ref r),
                "SM" => new StoreManifest(r.Long(), r.Int(), r.ByteArrays()),
                "MS" => new ManifestStored(r.Int(), r.Long()),
                "E3" => new ManifestCached(r.Long(), r.Int(), r.ByteArrays()),
                "XP" => new XorPacketMessage(r.Long(), r.Int(), r.Ints(), r.Bytes(), r.Bytes()),
                "XA" => new XorAccepted(r.Int(), r.Long(), r.Int(), r.String(), r.Ints(), r.Ints()),
                "ER" => new EncodeRecovery(r.Long(), r.Int()),
                "RP" => new RlncPacketMessage(r.Long(), r.Int(), r.Int(), r.Ints(), r.Bytes(), r.Bytes(), r.Bytes()),
                "RA" => new RlncAccepted(r.Int(), r.Long(), r.String(), r.Int(), r.Int(), r.Ints(), r.Ints(), r.Ints()),
                "WN" => new WatchNode(r.Int(), system.Provider.ResolveActorRef(r.String())),
                "ND" => new NodeDown(r.String(), r.Int(), r.String()),
                "NU" => new NodeUp(r.String(), r.Int()),
                "DD" => new DatabaseDown(r.String(), r.String(), r.String()),
                "DU" => new DatabaseUp(r.String(), r.String()),
                "GS" => GetHubStatus.Instance,
                "HS" => new HubStatus(r.String(), r.String(), r.Int() == 1, r.String(), r.Ints(), r.Ints()),
                "GM" => GetMode.Instance,
                "MC" => ReadModeChange(ref r),
                "MD" => ReadModeStatus(ref r),
                "SS" => new SubscribeModes(system.Provider.ResolveActorRef(r.String())),
                _ => throw new System.Runtime.Serialization.SerializationException($"unknown ActorSync message manifest '{manifest}'."),
            };
            r.End();
            return message;
        }
        catch (InvalidDataException error)
        {
            throw new System.Runtime.Serialization.SerializationException($"ActorSync message '{manifest}' is damaged: {error.Message}", error);
        }
    }

    private static WireWriter WriteModeChange(WireWriter writer, ModeChanged m) => writer.String(m.From).String(m.To).String(m.Reason).String(m.At);

    private static ModeChanged ReadModeChange(ref WireReader r) => new(r.String(), r.String(), r.String(), r.String());

    private static byte[] WriteModeStatus(ModeStatus status)
    {
        var writer = new WireWriter().String(status.Mode).Int(status.SourceHealthy ? 1 : 0).Int(status.DestinationHealthy ? 1 : 0)
            .Ints(status.NodesDown).Int(status.History.Length);
        foreach (var change in status.History) WriteModeChange(writer, change);
        return writer.ToArray();
    }

    private static ModeStatus ReadModeStatus(ref WireReader r)
    {
        string mode = r.String();
        bool source = r.Int() == 1, destination = r.Int() == 1;
        var down = r.Ints();
        var history = new ModeChanged[r.Count(16)];
        for (int i = 0; i < history.Length; i++) history[i] = ReadModeChange(ref r);
        return new ModeStatus(mode, source, destination, down, history);
    }

    private static byte[] WriteSnapshot(NodeCacheSnapshot snapshot)
    {
        var writer = new WireWriter(snapshot.Batches.Sum(b => b.Data.Length + 48) + 64).Long(snapshot.Dataset).Int(snapshot.Batches.Length);
        foreach (var batch in snapshot.Batches) writer.Int(batch.Batch).Bytes(batch.Data).Bytes(batch.Digest);
        return writer.Int(snapshot.BatchSize).ByteArrays(snapshot.Digests).ToArray();
    }

    private static NodeCacheSnapshot ReadSnapshot(ref WireReader r)
    {
        long dataset = r.Long();
        var batches = new CachedBatch[r.Count(12)];
        for (int i = 0; i < batches.Length; i++) batches[i] = new CachedBatch(r.Int(), r.Bytes(), r.Bytes());
        return new NodeCacheSnapshot(dataset, batches, r.Int(), r.ByteArrays());
    }
}
