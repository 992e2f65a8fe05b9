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
        GetManifest => "GN",
        NodeManifest => "NM",
        PrepareSnapshot => "PS",
        SnapshotPrepared => "SP",
        FetchBatch => "FB",
        SourceBatch => "SC",
        EncodeXor => "EX",
        ReleaseSnapshot => "RS",
        HubFailed => "HF",
        ApplyDataset => "AD",
        DatasetApplied => "DA",
        CollectChanges => "CC",
        ChangesCollected => "CL",
        ResolveChanges => "RC",
        ChangesResolved => "CR",
        CompleteChanges => "CM",
        ChangesCompleted => "CO",
        RegisterNode => "RN",
        RegisterHub => "RH",
        StartSync => "ST",
        SyncRefused => "SR",
        GetSyncStatus => "GY",
        SyncStatus => "SY",
        CycleReport => "CY",
        CacheDecoded => "KD",
        DecodedCached => "DK",
        CycleProgress => "CP",
        GetRoster => "GR",
        Roster => "RO",
        ArmPacketFault => "AF",
        PacketFaultArmed => "FA",
        ChaosNoise => "NX",
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
        GetHoldings or DropCache or CacheCleared or GetHubStatus or GetMode or GetManifest or GetSyncStatus or GetRoster => [],
        Holdings m => new WireWriter().Int(m.Node).Long(m.Dataset).Ints(m.Batches).Ints(m.Decoded).Long(m.JournalBytes).ToArray(),
        CacheDropped m => new WireWriter().Int(m.Node).ToArray(),
        ArmPacketFault m => new WireWriter().String(m.Fault).Int(m.Count).String(m.Kind).ToArray(),
        PacketFaultArmed m => new WireWriter().Int(m.Node).String(m.Fault).Int(m.Remaining).Int(m.Damaged).String(m.Refused).ToArray(),
        ChaosNoise m => new WireWriter(m.Data.Length + 8).Bytes(m.Data).ToArray(),
        BatchCached m => new WireWriter(m.Data.Length + 64).Long(m.Dataset).Int(m.Batch).Bytes(m.Data).Bytes(m.Digest).ToArray(),
        NodeCacheSnapshot m => WriteSnapshot(m),
        StoreManifest m => new WireWriter().Long(m.Dataset).Int(m.BatchSize).ByteArrays(m.Digests).Bytes(m.Catalog).ToArray(),
        ManifestStored m => new WireWriter().Int(m.Node).Long(m.Dataset).ToArray(),
        ManifestCached m => new WireWriter().Long(m.Dataset).Int(m.BatchSize).ByteArrays(m.Digests).Bytes(m.Catalog).ToArray(),
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
        NodeManifest m => new WireWriter().Int(m.Node).Long(m.Dataset).Int(m.BatchSize).ByteArrays(m.Digests).Bytes(m.Catalog).ToArray(),
        PrepareSnapshot m => new WireWriter().Long(m.Dataset).Int(m.BatchCount).Strings(m.Tables).ToArray(),
        SnapshotPrepared m => new WireWriter().String(m.Hub).Long(m.Dataset).Int(m.BatchSize).ByteArrays(m.Digests).Bytes(m.Catalog)
            .Long(m.Rows).Long(m.ReadMillis).ToArray(),
        FetchBatch m => new WireWriter().Long(m.Dataset).Int(m.Batch).ToArray(),
        SourceBatch m => new WireWriter(m.Data.Length + 64).Long(m.Dataset).Int(m.Batch).Bytes(m.Data).Bytes(m.Digest).ToArray(),
        EncodeXor m => new WireWriter().Long(m.Dataset).Int(m.Index).Ints(m.Batches).ToArray(),
        ReleaseSnapshot m => new WireWriter().Long(m.Dataset).ToArray(),
        HubFailed m => new WireWriter().String(m.Hub).String(m.Operation).String(m.Reason).ToArray(),
        ApplyDataset m => new WireWriter().Long(m.Dataset).Int(m.BatchSize).ByteArrays(m.Digests).Bytes(m.Catalog)
            .String(Serialization.SerializedActorPath(m.Node)).Bool(m.EnableCapture).ToArray(),
        DatasetApplied m => WriteChecks(new WireWriter().String(m.Hub).Long(m.Dataset).Int(m.BatchesApplied).Long(m.RowsWritten)
            .Long(m.BytesReceived).Bool(m.Repaired), m.Checks).ToArray(),
        CollectChanges m => new WireWriter().Bytes(m.Catalog).ToArray(),
        ChangesCollected m => new WireWriter().String(m.Hub).Bytes(m.ChangeSet).Int(m.Keys).ToArray(),
        ResolveChanges m => new WireWriter().Bytes(m.Catalog).Bytes(m.ChangeSet).String(m.Policy).Strings(m.TablePolicies).ToArray(),
        ChangesResolved m => new WireWriter().String(m.Hub).Bytes(m.Resolution).Int(m.KeysChanged).Int(m.WrittenToSource).Int(m.Conflicts).ToArray(),
        CompleteChanges m => new WireWriter().Bytes(m.Catalog).Bytes(m.Resolution).ToArray(),
        ChangesCompleted m => new WireWriter().String(m.Hub).ToArray(),
        RegisterNode m => new WireWriter().Int(m.Node).String(Serialization.SerializedActorPath(m.Ref)).ToArray(),
        RegisterHub m => new WireWriter().String(m.Hub).String(Serialization.SerializedActorPath(m.Supervisor))
            .String(Serialization.SerializedActorPath(m.Worker)).ToArray(),
        StartSync m => new WireWriter().Bool(m.Bidirectional).String(m.Policy).Strings(m.TablePolicies).ToArray(),
        SyncRefused m => new WireWriter().String(m.Reason).ToArray(),
        SyncStatus m => WriteSyncStatus(m),
        CycleReport m => WriteCycle(new WireWriter(), m).ToArray(),
        CacheDecoded m => new WireWriter().Long(m.Dataset).Ints(m.Batches).ToArray(),
        DecodedCached m => new WireWriter().Int(m.Node).Long(m.Dataset).Ints(m.Batches).ToArray(),
        CycleProgress m => WriteProgress(new WireWriter(), m).ToArray(),
        Roster m => WriteRoster(m),
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
                "HO" => new Holdings(r.Int(), r.Long(), r.Ints(), r.Ints(), r.Long()),
                "DC" => DropCache.Instance,
                "CD" => new CacheDropped(r.Int()),
                "AF" => new ArmPacketFault(r.String(), r.Int(), r.String()),
                "FA" => new PacketFaultArmed(r.Int(), r.String(), r.Int(), r.Int(), r.String()),
                "NX" => new ChaosNoise(r.Bytes()),
                "E1" => new BatchCached(r.Long(), r.Int(), r.Bytes(), r.Bytes()),
                "E2" => CacheCleared.Instance,
                "S1" => ReadSnapshot(ref r),
                "SM" => new StoreManifest(r.Long(), r.Int(), r.ByteArrays(), r.Bytes()),
                "MS" => new ManifestStored(r.Int(), r.Long()),
                "E3" => new ManifestCached(r.Long(), r.Int(), r.ByteArrays(), r.Bytes()),
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
                "GN" => GetManifest.Instance,
                "NM" => new NodeManifest(r.Int(), r.Long(), r.Int(), r.ByteArrays(), r.Bytes()),
                "PS" => new PrepareSnapshot(r.Long(), r.Int(), r.Strings()),
                "SP" => new SnapshotPrepared(r.String(), r.Long(), r.Int(), r.ByteArrays(), r.Bytes(), r.Long(), r.Long()),
                "FB" => new FetchBatch(r.Long(), r.Int()),
                "SC" => new SourceBatch(r.Long(), r.Int(), r.Bytes(), r.Bytes()),
                "EX" => new EncodeXor(r.Long(), r.Int(), r.Ints()),
                "RS" => new ReleaseSnapshot(r.Long()),
                "HF" => new HubFailed(r.String(), r.String(), r.String()),
                "AD" => new ApplyDataset(r.Long(), r.Int(), r.ByteArrays(), r.Bytes(), system.Provider.ResolveActorRef(r.String()), r.Bool()),
                "DA" => new DatasetApplied(r.String(), r.Long(), r.Int(), r.Long(), r.Long(), r.Bool(), ReadChecks(ref r)),
                "CC" => new CollectChanges(r.Bytes()),
                "CL" => new ChangesCollected(r.String(), r.Bytes(), r.Int()),
                "RC" => new ResolveChanges(r.Bytes(), r.Bytes(), r.String(), r.Strings()),
                "CR" => new ChangesResolved(r.String(), r.Bytes(), r.Int(), r.Int(), r.Int()),
                "CM" => new CompleteChanges(r.Bytes(), r.Bytes()),
                "CO" => new ChangesCompleted(r.String()),
                "RN" => new RegisterNode(r.Int(), system.Provider.ResolveActorRef(r.String())),
                "RH" => new RegisterHub(r.String(), system.Provider.ResolveActorRef(r.String()), system.Provider.ResolveActorRef(r.String())),
                "ST" => new StartSync(r.Bool(), r.String(), r.Strings()),
                "SR" => new SyncRefused(r.String()),
                "GY" => GetSyncStatus.Instance,
                "SY" => ReadSyncStatus(ref r),
                "CY" => ReadCycle(ref r),
                "KD" => new CacheDecoded(r.Long(), r.Ints()),
                "DK" => new DecodedCached(r.Int(), r.Long(), r.Ints()),
                "CP" => ReadProgress(ref r),
                "GR" => GetRoster.Instance,
                "RO" => ReadRoster(ref r),
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
        return writer.Int(snapshot.BatchSize).ByteArrays(snapshot.Digests).Bytes(snapshot.Catalog).ToArray();
    }

    private static NodeCacheSnapshot ReadSnapshot(ref WireReader r)
    {
        long dataset = r.Long();
        var batches = new CachedBatch[r.Count(12)];
        for (int i = 0; i < batches.Length; i++) batches[i] = new CachedBatch(r.Int(), r.Bytes(), r.Bytes());
        return new NodeCacheSnapshot(dataset, batches, r.Int(), r.ByteArrays(), r.Bytes());
    }

    private static WireWriter WriteChecks(WireWriter writer, TableCheck[] checks)
    {
        writer.Int(checks.Length);
        foreach (var c in checks) writer.String(c.Table).Long(c.SourceRows).Long(c.DestinationRows).String(c.SourceDigest).String(c.DestinationDigest);
        return writer;
    }

    private static TableCheck[] ReadChecks(ref WireReader r)
    {
        var checks = new TableCheck[r.Count(24)];
        for (int i = 0; i < checks.Length; i++) checks[i] = new TableCheck(r.String(), r.Long(), r.Long(), r.String(), r.String());
        return checks;
    }

    private static WireWriter WriteCycle(WireWriter writer, CycleReport c)
    {
        writer.Int(c.Cycle).String(c.Kind).String(c.Mode).String(c.Scheme).Long(c.Dataset).String(c.StartedAt).Long(c.DurationMillis).Bool(c.Verified)
            .String(c.Outcome).Int(c.BatchCount).Int(c.BatchSize).Int(c.BatchesPlaced).Int(c.XorPackets).Int(c.UncodedPackets).Int(c.RlncPackets)
            .Int(c.RepairTransfers).Int(c.BatchesApplied).Long(c.RowsApplied).Int(c.Links.Length);
        foreach (var link in c.Links) writer.String(link.Link).Long(link.Packets).Long(link.Bytes);
        return WriteChecks(writer, c.Checks).Int(c.ReverseKeys).Int(c.ReverseWritten).Int(c.ReverseConflicts);
    }

    private static CycleReport ReadCycle(ref WireReader r)
    {
        int cycle = r.Int();
        string kind = r.String(), mode = r.String(), scheme = r.String();
        long dataset = r.Long();
        string startedAt = r.String();
        long duration = r.Long();
        bool verified = r.Bool();
        string outcome = r.String();
        int batchCount = r.Int(), batchSize = r.Int(), placed = r.Int(), xor = r.Int(), uncoded = r.Int(), rlnc = r.Int(), repair = r.Int(), applied = r.Int();
        long rows = r.Long();
        var links = new LinkUse[r.Count(20)];
        for (int i = 0; i < links.Length; i++) links[i] = new LinkUse(r.String(), r.Long(), r.Long());
        var checks = ReadChecks(ref r);
        return new CycleReport(cycle, kind, mode, scheme, dataset, startedAt, duration, verified, outcome, batchCount, batchSize, placed, xor, uncoded, rlnc,
            repair, applied, rows, links, checks, r.Int(), r.Int(), r.Int());
    }

    private static byte[] WriteSyncStatus(SyncStatus status)
    {
        var writer = WriteProgress(new WireWriter().Bool(status.Running), status.Current).Int(status.Recent.Length);
        foreach (var report in status.Recent) WriteCycle(writer, report);
        return writer.ToArray();
    }

    private static SyncStatus ReadSyncStatus(ref WireReader r)
    {
        bool running = r.Bool();
        var current = ReadProgress(ref r);
        var recent = new CycleReport[r.Count(64)];
        for (int i = 0; i < recent.Length; i++) recent[i] = ReadCycle(ref r);
        return new SyncStatus(running, current, recent);
    }

    private static WireWriter WriteProgress(WireWriter writer, CycleProgress p) =>
        writer.Int(p.Cycle).String(p.Kind).String(p.Step).Int(p.Done).Int(p.Total);

    private static CycleProgress ReadProgress(ref WireReader r) => new(r.Int(), r.String(), r.String(), r.Int(), r.Int());

    private byte[] WriteRoster(Roster roster)
    {
        var writer = new WireWriter().Int(roster.Nodes.Length);
        foreach (var node in roster.Nodes) writer.Int(node.Node).String(Serialization.SerializedActorPath(node.Ref)).Bool(node.Alive);
        writer.Int(roster.Hubs.Length);
        foreach (var hub in roster.Hubs) writer.String(hub.Hub).String(Serialization.SerializedActorPath(hub.Supervisor));
        return writer.ToArray();
    }

    private Roster ReadRoster(ref WireReader r)
    {
        var nodes = new RosterNode[r.Count(8)];
        for (int i = 0; i < nodes.Length; i++) nodes[i] = new RosterNode(r.Int(), system.Provider.ResolveActorRef(r.String()), r.Bool());
        var hubs = new RosterHub[r.Count(8)];
        for (int i = 0; i < hubs.Length; i++) hubs[i] = new RosterHub(r.String(), system.Provider.ResolveActorRef(r.String()));
        return new Roster(nodes, hubs);
    }
}
