using ActorSync.Coding;
using Akka.Actor;
using Akka.Serialization;
using Akka.Streams;

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

    /// <summary>The format of persisted events and snapshots, written first in their bodies.</summary>
    public const int JournalFormat = 2;

    public override string Manifest(object o) => o switch
    {
        GetHoldings => "GH",
        Holdings => "HO",
        DropCache => "DC",
        CacheDropped => "CD",
        StoreManifest => "SM",
        ManifestStored => "MS",
        GetManifest => "GN",
        NodeManifest => "NM",
        OpenInbox => "OI",
        InboxOpened => "IO",
        InboxClosed => "IC",
        OfferSegments => "OS",
        SegmentsOffered => "SO",
        OfferRecovery => "OR",
        RecoveryOffered => "RF",
        SolveRecovery => "SV",
        RecoverySolved => "RV",
        FeedDestination => "FD",
        DestinationFeedOffered => "FO",
        ArmPacketFault => "AF",
        PacketFaultArmed => "FA",
        ChaosNoise => "NX",
        CacheCleared => "E2",
        ManifestCached => "E4",
        SegmentsStored => "E5",
        NodeCacheSnapshot => "S2",
        SegmentFrame => "FS",
        XorFrame => "FX",
        RlncFrame => "FR",
        Routed => "FT",
        ChangeChunk => "CH",
        WatchNode => "WN",
        NodeDown => "ND",
        NodeUp => "NU",
        DatabaseDown => "DD",
        DatabaseUp => "DU",
        GetHubStatus => "GS",
        HubStatus => "HS",
        PrepareSnapshot => "PT",
        SnapshotStarted => "SA",
        SnapshotPrepared => "SQ",
        ReleaseSnapshot => "RS",
        HubFailed => "HF",
        ApplyDataset => "AP",
        FinishApply => "FI",
        ApplyInterrupted => "AI",
        DatasetApplied => "DA",
        CollectChanges => "CC",
        ChangesCollected => "CK",
        ResolveChanges => "RE",
        ChangesResolved => "CZ",
        CompleteChanges => "CN",
        ChangesCompleted => "CO",
        GetMode => "GM",
        ModeChanged => "MC",
        ModeStatus => "MD",
        SubscribeModes => "SS",
        RegisterNode => "RN",
        RegisterHub => "RH",
        StartSync => "ST",
        SyncRefused => "SR",
        GetSyncStatus => "GY",
        SyncStatus => "SY",
        CycleReport => "CY",
        CycleProgress => "CP",
        GetRoster => "GR",
        Roster => "RO",
        _ => throw new ArgumentException($"{o.GetType().FullName} is not an ActorSync protocol type.", nameof(o)),
    };

    public override byte[] ToBinary(object obj) => obj switch
    {
        GetHoldings or DropCache or CacheCleared or GetHubStatus or GetMode or GetManifest or GetSyncStatus or GetRoster => [],
        Holdings m => new WireWriter().Int(m.Node).Long(m.Dataset).Ints(m.Whole).Ints(m.Partial).Long(m.JournalBytes).Long(m.StoreBytes).ToArray(),
        CacheDropped m => new WireWriter().Int(m.Node).ToArray(),
        StoreManifest m => new WireWriter(m.Manifest.Length + m.Catalog.Length + 64).Long(m.Dataset).Bytes(m.Manifest).Bytes(m.Catalog).ToArray(),
        ManifestStored m => new WireWriter().Int(m.Node).Long(m.Dataset).Ints(m.Whole).Ints(m.Partial).ToArray(),
        NodeManifest m => new WireWriter(m.Manifest.Length + m.Catalog.Length + 64).Int(m.Node).Long(m.Dataset).Bytes(m.Manifest).Bytes(m.Catalog).ToArray(),
        OpenInbox m => new WireWriter().Long(m.Dataset).Int(m.Round).ToArray(),
        InboxOpened m => Nested(new WireWriter().Int(m.Node).Long(m.Dataset).Int(m.Round), m.Inbox).ToArray(),
        InboxClosed m => new WireWriter().Int(m.Node).Long(m.Dataset).Int(m.Round).Int(m.Stored).Int(m.Rejected).Int(m.Decoded).Int(m.Dropped).String(m.Error).ToArray(),
        OfferSegments m => WriteOffers(new WireWriter().Long(m.Dataset), m.Offers).ToArray(),
        SegmentsOffered m => Nested(new WireWriter().Int(m.Node).Long(m.Dataset), m.Segments).ToArray(),
        OfferRecovery m => new WireWriter().Long(m.Dataset).Int(m.Count).Int((int)m.Recipients).ToArray(),
        RecoveryOffered m => Nested(new WireWriter().Int(m.Node).Long(m.Dataset).Int(m.Packets), m.Segments).ToArray(),
        SolveRecovery m => new WireWriter().Long(m.Dataset).ToArray(),
        RecoverySolved m => new WireWriter().Int(m.Node).Long(m.Dataset).Ints(m.Decoded).Ints(m.Undetermined).Ints(m.FailedVerification).Int(m.Rank).Int(m.Unknowns).ToArray(),
        FeedDestination m => new WireWriter().Long(m.Dataset).Int(m.BatchCount).Int(m.SegmentSize).ByteArrays(m.Roots).Bool(m.ReplaceAll).ToArray(),
        DestinationFeedOffered m => Nested(new WireWriter().Int(m.Node).Long(m.Dataset), m.Segments).ToArray(),
        ArmPacketFault m => new WireWriter().String(m.Fault).Int(m.Count).String(m.Kind).ToArray(),
        PacketFaultArmed m => new WireWriter().Int(m.Node).String(m.Fault).Int(m.Remaining).Int(m.Damaged).String(m.Refused).ToArray(),
        ChaosNoise m => new WireWriter(m.Data.Length + 8).Bytes(m.Data).ToArray(),
        ManifestCached m => new WireWriter(m.Manifest.Length + m.Catalog.Length + 64).Int(JournalFormat).Long(m.Dataset).Bytes(m.Manifest).Bytes(m.Catalog).ToArray(),
        SegmentsStored m => WriteSegments(new WireWriter(m.Segments.Length * 48 + 32).Int(JournalFormat).Long(m.Dataset), m.Segments).ToArray(),
        NodeCacheSnapshot m => WriteSegments(WriteSegments(new WireWriter(m.Manifest.Length + m.Catalog.Length + (m.Held.Length + m.Pending.Length) * 48 + 64)
            .Int(JournalFormat).Long(m.Dataset).Bytes(m.Manifest).Bytes(m.Catalog), m.Held).Long(m.PendingDataset), m.Pending).ToArray(),
        SegmentFrame m => WriteFrame(new WireWriter(m.Payload.Length + 96), m).ToArray(),
        XorFrame m => WriteFrame(new WireWriter(m.Payload.Length + 64 + m.Terms.Length * 48), m).ToArray(),
        RlncFrame m => WriteFrame(new WireWriter(m.Payload.Length + 96 + m.BatchIds.Length * 5), m).ToArray(),
        Routed m => WriteRouted(m),
        ChangeChunk m => new WireWriter(m.Bytes.Length + 16).Int(m.Sequence).Bytes(m.Bytes).ToArray(),
        WatchNode m => new WireWriter().Int(m.Node).String(Serialization.SerializedActorPath(m.Ref)).ToArray(),
        NodeDown m => new WireWriter().String(m.Hub).Int(m.Node).String(m.Reason).String(m.Actor is null ? "" : Serialization.SerializedActorPath(m.Actor)).ToArray(),
        NodeUp m => new WireWriter().String(m.Hub).Int(m.Node).ToArray(),
        DatabaseDown m => new WireWriter().String(m.Hub).String(m.Database).String(m.Reason).ToArray(),
        DatabaseUp m => new WireWriter().String(m.Hub).String(m.Database).ToArray(),
        HubStatus m => new WireWriter().String(m.Hub).String(m.Database).Int(m.DatabaseHealthy ? 1 : 0).String(m.LastError)
            .Ints(m.NodesUp).Ints(m.NodesDown).ToArray(),
        PrepareSnapshot m => WriteRouting(new WireWriter().Long(m.Dataset).Int(m.BatchCount).Bytes(m.Filter).Int(m.SegmentSize), m.Routing).Int((int)m.Codec).ToArray(),
        SnapshotStarted m => Nested(new WireWriter().String(m.Hub).Long(m.Dataset).Bytes(m.Schemas), m.Segments).ToArray(),
        SnapshotPrepared m => new WireWriter().String(m.Hub).Long(m.Dataset).Bytes(m.Manifest).Bytes(m.Catalog).Long(m.Rows).Long(m.ReadMillis).String(m.LogPosition).ToArray(),
        ReleaseSnapshot m => new WireWriter().Long(m.Dataset).ToArray(),
        HubFailed m => new WireWriter().String(m.Hub).String(m.Operation).String(m.Reason).ToArray(),
        ApplyDataset m => new WireWriter().Long(m.Dataset).Bytes(m.Schemas).Int(m.BatchCount).Int(m.SegmentSize)
            .String(Serialization.SerializedActorPath(m.Node)).Bool(m.EnableCapture).Int((int)m.Codec).ToArray(),
        FinishApply m => new WireWriter().Long(m.Dataset).Bytes(m.Manifest).Bytes(m.Catalog).ToArray(),
        ApplyInterrupted m => new WireWriter().String(m.Hub).Long(m.Dataset).String(m.Reason).ToArray(),
        DatasetApplied m => WriteChecks(new WireWriter().String(m.Hub).Long(m.Dataset).Int(m.BatchesApplied).Long(m.RowsWritten)
            .Long(m.BytesReceived).Bool(m.Repaired), m.Checks).ToArray(),
        CollectChanges m => new WireWriter().Bytes(m.Catalog).ToArray(),
        ChangesCollected m => Nested(new WireWriter().String(m.Hub).Int(m.Keys), m.ChangeSet).ToArray(),
        ResolveChanges m => Nested(new WireWriter().Bytes(m.Catalog).String(m.Policy).Strings(m.TablePolicies), m.ChangeSet).ToArray(),
        ChangesResolved m => Nested(new WireWriter().String(m.Hub).Int(m.KeysChanged).Int(m.WrittenToSource).Int(m.Conflicts)
            .Long(m.ChangeSetBytes).Long(m.ResolutionBytes), m.Resolution).ToArray(),
        CompleteChanges m => Nested(new WireWriter().Bytes(m.Catalog), m.Resolution).ToArray(),
        ChangesCompleted m => new WireWriter().String(m.Hub).ToArray(),
        ModeChanged m => WriteModeChange(new WireWriter(), m).ToArray(),
        ModeStatus m => WriteModeStatus(m),
        SubscribeModes m => new WireWriter().String(Serialization.SerializedActorPath(m.Subscriber)).ToArray(),
        RegisterNode m => new WireWriter().Int(m.Node).String(Serialization.SerializedActorPath(m.Ref)).ToArray(),
        RegisterHub m => new WireWriter().String(m.Hub).String(Serialization.SerializedActorPath(m.Supervisor))
            .String(Serialization.SerializedActorPath(m.Worker)).ToArray(),
        StartSync m => new WireWriter().Bool(m.Bidirectional).String(m.Policy).Strings(m.TablePolicies).ToArray(),
        SyncRefused m => new WireWriter().String(m.Reason).ToArray(),
        SyncStatus m => WriteSyncStatus(m),
        CycleReport m => WriteCycle(new WireWriter(), m).ToArray(),
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
                "GH" => GetHoldings.Instance,
                "HO" => new Holdings(r.Int(), r.Long(), r.Ints(), r.Ints(), r.Long(), r.Long()),
                "DC" => DropCache.Instance,
                "CD" => new CacheDropped(r.Int()),
                "SM" => new StoreManifest(r.Long(), r.Bytes(), r.Bytes()),
                "MS" => new ManifestStored(r.Int(), r.Long(), r.Ints(), r.Ints()),
                "GN" => GetManifest.Instance,
                "NM" => new NodeManifest(r.Int(), r.Long(), r.Bytes(), r.Bytes()),
                "OI" => new OpenInbox(r.Long(), r.Int()),
                "IO" => new InboxOpened(r.Int(), r.Long(), r.Int(), Unnest<ISinkRef<IDataFrame>>(ref r)),
                "IC" => new InboxClosed(r.Int(), r.Long(), r.Int(), r.Int(), r.Int(), r.Int(), r.Int(), r.String()),
                "OS" => new OfferSegments(r.Long(), ReadOffers(ref r)),
                "SO" => new SegmentsOffered(r.Int(), r.Long(), Unnest<ISourceRef<IDataFrame>>(ref r)),
                "OR" => new OfferRecovery(r.Long(), r.Int(), (uint)r.Int()),
                "RF" => new RecoveryOffered(r.Int(), r.Long(), r.Int(), Unnest<ISourceRef<IDataFrame>>(ref r)),
                "SV" => new SolveRecovery(r.Long()),
                "RV" => new RecoverySolved(r.Int(), r.Long(), r.Ints(), r.Ints(), r.Ints(), r.Int(), r.Int()),
                "FD" => new FeedDestination(r.Long(), r.Int(), r.Int(), r.ByteArrays(), r.Bool()),
                "FO" => new DestinationFeedOffered(r.Int(), r.Long(), Unnest<ISourceRef<IDataFrame>>(ref r)),
                "AF" => new ArmPacketFault(r.String(), r.Int(), r.String()),
                "FA" => new PacketFaultArmed(r.Int(), r.String(), r.Int(), r.Int(), r.String()),
                "NX" => new ChaosNoise(r.Bytes()),
                "E2" => CacheCleared.Instance,
                "E4" => ReadManifestCached(ref r, manifest),
                "E5" => ReadSegmentsStored(ref r, manifest),
                "S2" => ReadSnapshot(ref r, manifest),
                // The format before segments: whole batches in the journal. Replayed as nothing; repair refills the node.
                "E1" or "E3" or "S1" => Legacy(ref r, manifest),
                "FS" => ReadSegmentFrame(ref r),
                "FX" => ReadXorFrame(ref r),
                "FR" => ReadRlncFrame(ref r),
                "FT" => ReadRouted(ref r),
                "CH" => new ChangeChunk(r.Int(), r.Bytes()),
                "WN" => new WatchNode(r.Int(), system.Provider.ResolveActorRef(r.String())),
                "ND" => new NodeDown(r.String(), r.Int(), r.String(), r.String() is { Length: > 0 } actor ? system.Provider.ResolveActorRef(actor) : null),
                "NU" => new NodeUp(r.String(), r.Int()),
                "DD" => new DatabaseDown(r.String(), r.String(), r.String()),
                "DU" => new DatabaseUp(r.String(), r.String()),
                "GS" => GetHubStatus.Instance,
                "HS" => new HubStatus(r.String(), r.String(), r.Int() == 1, r.String(), r.Ints(), r.Ints()),
                "PT" => new PrepareSnapshot(r.Long(), r.Int(), r.Bytes(), r.Int(), ReadRouting(ref r), Codec(r.Int())),
                "SA" => new SnapshotStarted(r.String(), r.Long(), r.Bytes(), Unnest<ISourceRef<IDataFrame>>(ref r)),
                "SQ" => new SnapshotPrepared(r.String(), r.Long(), r.Bytes(), r.Bytes(), r.Long(), r.Long(), r.String()),
                "RS" => new ReleaseSnapshot(r.Long()),
                "HF" => new HubFailed(r.String(), r.String(), r.String()),
                "AP" => new ApplyDataset(r.Long(), r.Bytes(), r.Int(), r.Int(), system.Provider.ResolveActorRef(r.String()), r.Bool(), Codec(r.Int())),
                "FI" => new FinishApply(r.Long(), r.Bytes(), r.Bytes()),
                "AI" => new ApplyInterrupted(r.String(), r.Long(), r.String()),
                "DA" => new DatasetApplied(r.String(), r.Long(), r.Int(), r.Long(), r.Long(), r.Bool(), ReadChecks(ref r)),
                "CC" => new CollectChanges(r.Bytes()),
                "CK" => new ChangesCollected(r.String(), r.Int(), Unnest<ISourceRef<IDataFrame>>(ref r)),
                "RE" => ReadResolve(ref r),
                "CZ" => new ChangesResolved(r.String(), r.Int(), r.Int(), r.Int(), r.Long(), r.Long(), Unnest<ISourceRef<IDataFrame>>(ref r)),
                "CN" => new CompleteChanges(r.Bytes(), Unnest<ISourceRef<IDataFrame>>(ref r)),
                "CO" => new ChangesCompleted(r.String()),
                "GM" => GetMode.Instance,
                "MC" => ReadModeChange(ref r),
                "MD" => ReadModeStatus(ref r),
                "SS" => new SubscribeModes(system.Provider.ResolveActorRef(r.String())),
                "RN" => new RegisterNode(r.Int(), system.Provider.ResolveActorRef(r.String())),
                "RH" => new RegisterHub(r.String(), system.Provider.ResolveActorRef(r.String()), system.Provider.ResolveActorRef(r.String())),
                "ST" => new StartSync(r.Bool(), r.String(), r.Strings()),
                "SR" => new SyncRefused(r.String()),
                "GY" => GetSyncStatus.Instance,
                "SY" => ReadSyncStatus(ref r),
                "CY" => ReadCycle(ref r),
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

    /// <summary>A persisted body's format; one this build does not read is refused by name, not misread.</summary>
    private static void Versioned(ref WireReader r, string manifest)
    {
        int format = r.Int();
        if (format != JournalFormat)
            throw new System.Runtime.Serialization.SerializationException($"ActorSync journal entry '{manifest}' has format {format}; this build reads format {JournalFormat}.");
    }

    private static ManifestCached ReadManifestCached(ref WireReader r, string manifest)
    {
        Versioned(ref r, manifest);
        return new ManifestCached(r.Long(), r.Bytes(), r.Bytes());
    }

    private static SegmentsStored ReadSegmentsStored(ref WireReader r, string manifest)
    {
        Versioned(ref r, manifest);
        return new SegmentsStored(r.Long(), ReadSegments(ref r));
    }

    private static NodeCacheSnapshot ReadSnapshot(ref WireReader r, string manifest)
    {
        Versioned(ref r, manifest);
        return new NodeCacheSnapshot(r.Long(), r.Bytes(), r.Bytes(), ReadSegments(ref r), r.Long(), ReadSegments(ref r));
    }

    private static LegacyJournalEntry Legacy(ref WireReader r, string manifest)
    {
        r.Skip();
        return new LegacyJournalEntry(manifest);
    }

    /// <summary>A stream reference inside a message: written by its own (Akka.Streams) serializer, with its id and manifest.</summary>
    private WireWriter Nested(WireWriter writer, object value)
    {
        var serializer = system.Serialization.FindSerializerFor(value);
        return writer.Int(serializer.Identifier).String(Akka.Serialization.Serialization.ManifestFor(serializer, value)).Bytes(serializer.ToBinary(value));
    }

    private T Unnest<T>(ref WireReader r)
    {
        int id = r.Int();
        string manifest = r.String();
        return system.Serialization.Deserialize(r.Bytes(), id, manifest) is T value ? value
            : throw new InvalidDataException($"a nested {typeof(T).Name} did not deserialize as one.");
    }

    private static WireWriter WriteOffers(WireWriter writer, SegmentOffer[] offers)
    {
        writer.Int(offers.Length);
        foreach (var o in offers) writer.Int(o.Batch).Int((int)o.Recipients).Int((int)o.Kind);
        return writer;
    }

    private static SegmentOffer[] ReadOffers(ref WireReader r)
    {
        var offers = new SegmentOffer[r.Count(12)];
        for (int i = 0; i < offers.Length; i++) offers[i] = new SegmentOffer(r.Int(), (uint)r.Int(), Kind(r.Int()));
        return offers;
    }

    private static FrameKind Kind(int value) =>
        Enum.IsDefined((FrameKind)value) ? (FrameKind)value : throw new InvalidDataException($"frame kind {value} is unknown.");

    private static WireWriter WriteSegments(WireWriter writer, StoredSegment[] segments)
    {
        writer.Int(segments.Length);
        foreach (var s in segments) writer.Int(s.Batch).Int(s.Index).Int(s.Length).Bytes(s.Digest).Int(s.Pack).Long(s.Offset);
        return writer;
    }

    private static StoredSegment[] ReadSegments(ref WireReader r)
    {
        var segments = new StoredSegment[r.Count(16)];
        for (int i = 0; i < segments.Length; i++) segments[i] = new StoredSegment(r.Int(), r.Int(), r.Int(), r.Bytes(), r.Int(), r.Long());
        return segments;
    }

    private static WireWriter WriteFrame(WireWriter writer, IDataFrame frame)
    {
        switch (frame)
        {
            case SegmentFrame s: return writer.Long(s.Dataset).Int(s.Batch).Int(s.Index).Int(s.Length).Bytes(s.Digest).Bytes(s.Payload);
            case XorFrame x:
                writer.Long(x.Dataset).Int(x.Packet).Int(x.Index).Int(x.Terms.Length);
                foreach (var t in x.Terms) writer.Int(t.Batch).Int(t.Length).Bytes(t.Digest);
                return writer.Bytes(x.Payload).Bytes(x.Checksum);
            case RlncFrame f: return writer.Long(f.Dataset).Int(f.Sender).Int(f.Sequence).Int(f.Index).Ints(f.BatchIds).Bytes(f.Coefficients).Bytes(f.Payload).Bytes(f.Checksum);
            default: throw new ArgumentException($"{frame.GetType().Name} is not a segment frame.", nameof(frame));
        }
    }

    private static SegmentFrame ReadSegmentFrame(ref WireReader r) => new(r.Long(), r.Int(), r.Int(), r.Int(), r.Bytes(), r.Bytes());

    private static XorFrame ReadXorFrame(ref WireReader r)
    {
        long dataset = r.Long();
        int packet = r.Int(), index = r.Int();
        var terms = new ActorSync.Coding.SegmentTerm[r.Count(12)];
        for (int i = 0; i < terms.Length; i++) terms[i] = new ActorSync.Coding.SegmentTerm(r.Int(), r.Int(), r.Bytes());
        return new XorFrame(dataset, packet, index, terms, r.Bytes(), r.Bytes());
    }

    private static RlncFrame ReadRlncFrame(ref WireReader r) => new(r.Long(), r.Int(), r.Int(), r.Int(), r.Ints(), r.Bytes(), r.Bytes(), r.Bytes());

    private byte[] WriteRouted(Routed routed)
    {
        string inner = Manifest(routed.Frame);
        return WriteFrame(new WireWriter(PayloadLength(routed.Frame) + 128).Int((int)routed.Recipients).Int((int)routed.Kind).String(inner), routed.Frame).ToArray();
    }

    private static ContentCodec Codec(int value) =>
        Enum.IsDefined((ContentCodec)value) ? (ContentCodec)value : throw new System.Runtime.Serialization.SerializationException($"unknown content codec {value}.");

    private static Routed ReadRouted(ref WireReader r)
    {
        uint recipients = (uint)r.Int();
        var kind = Kind(r.Int());
        IDataFrame frame = r.String() switch
        {
            "FS" => ReadSegmentFrame(ref r),
            "FX" => ReadXorFrame(ref r),
            "FR" => ReadRlncFrame(ref r),
            var other => throw new InvalidDataException($"a routed frame holds '{other}', not a segment frame."),
        };
        return new Routed(recipients, kind, frame);
    }

    private static int PayloadLength(IDataFrame frame) => frame switch
    {
        SegmentFrame s => s.Payload.Length,
        XorFrame x => x.Payload.Length + x.Terms.Length * 48,
        RlncFrame f => f.Payload.Length + f.BatchIds.Length * 5,
        _ => 0,
    };

    private static WireWriter WriteRouting(WireWriter writer, SnapshotRouting routing)
    {
        writer.Int(routing.Nodes).Int(routing.Redundancy).Int(routing.Eta).String(routing.Scheme).Int((int)routing.Alive).Bytes(routing.PreviousManifest)
            .Int(routing.HeldWhole.Length);
        foreach (var held in routing.HeldWhole) writer.Ints(held);
        return writer;
    }

    private static SnapshotRouting ReadRouting(ref WireReader r)
    {
        int nodes = r.Int(), redundancy = r.Int(), eta = r.Int();
        string scheme = r.String();
        uint alive = (uint)r.Int();
        var previous = r.Bytes();
        var held = new int[r.Count(4)][];
        for (int i = 0; i < held.Length; i++) held[i] = r.Ints();
        return new SnapshotRouting(nodes, redundancy, eta, scheme, alive, previous, held);
    }

    private ResolveChanges ReadResolve(ref WireReader r)
    {
        var catalog = r.Bytes();
        string policy = r.String();
        var tablePolicies = r.Strings();
        return new ResolveChanges(catalog, Unnest<ISourceRef<IDataFrame>>(ref r), policy, tablePolicies);
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
            .String(c.Outcome).Int(c.BatchCount).Long(c.BatchSize).Int(c.BatchesPlaced).Int(c.XorPackets).Int(c.UncodedPackets).Int(c.RlncPackets)
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
        int batchCount = r.Int();
        long batchSize = r.Long();
        int placed = r.Int(), xor = r.Int(), uncoded = r.Int(), rlnc = r.Int(), repair = r.Int(), applied = r.Int();
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
