using Akka.Actor;
using Akka.Serialization;

namespace ActorSync.Cluster.Protocol;

/// <summary>
/// The serializer of continuous sync's messages and journal entries: a short manifest per type, a compact body.
/// Journal entries start with <see cref="JournalFormat"/>; an unknown one is refused by name, never misread.
/// </summary>
public sealed class CdcSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public const int Id = 4178;
    public const int JournalFormat = 1;

    public override int Identifier => Id;

    public override string Manifest(object o) => o switch
    {
        StartFollow => "SF",
        FollowStarted => "FS",
        FollowRefused => "FR",
        StopFollow => "SP",
        FollowStopped => "FP",
        GetCdcStatus => "GC",
        CdcStatus => "CS",
        FollowFrom => "FF",
        FollowReady => "FY",
        BeginCapture => "BC",
        CaptureRunning => "CR",
        CaptureNeedsSnapshot => "CN",
        StoreChanges => "ST",
        ChangesStored => "SD",
        ApplyChangeBatch => "AB",
        ChangeBatchApplied => "BA",
        GetChangesSince => "GS",
        ChangesSince => "CI",
        CompactChanges => "CC",
        CaptureBegun => "E1",
        CaptureOffset => "E2",
        CaptureEnded => "E3",
        CaptureSnapshot => "S1",
        ChangeBatchKept => "E4",
        ChangesCompacted => "E5",
        CaptureCatalogChanged => "E6",
        _ => throw new ArgumentException($"CdcSerializer cannot serialize {o.GetType()}", nameof(o)),
    };

    public override byte[] ToBinary(object obj) => obj switch
    {
        StartFollow or StopFollow or GetCdcStatus => [],
        FollowStarted m => new WireWriter().String(m.Position).ToArray(),
        FollowRefused m => new WireWriter().String(m.Reason).ToArray(),
        FollowStopped m => new WireWriter().String(m.Position).ToArray(),
        CdcStatus m => new WireWriter().Bool(m.Following).String(m.Captured).String(m.Placed).String(m.Applied).Long(m.LagMillis).Long(m.EventsBehind)
            .Long(m.EventsCaptured).Long(m.EventsApplied).Long(m.BatchesPlaced).Strings(m.Stopped).String(m.Error).ToArray(),
        FollowFrom m => new WireWriter(m.Catalog.Length + 64).String(m.Position).Bytes(m.Catalog).Bool(m.Fresh).ToArray(),
        FollowReady m => new WireWriter().String(m.Position).ToArray(),
        BeginCapture m => new WireWriter(m.Catalog.Length + m.Filter.Length + 64).String(m.From).Bytes(m.Catalog).Bytes(m.Filter).ToArray(),
        CaptureRunning m => new WireWriter().String(m.From).ToArray(),
        CaptureNeedsSnapshot m => new WireWriter().String(m.Reason).ToArray(),
        StoreChanges m => new WireWriter(m.Batch.Length + 96).Long(m.Sequence).String(m.From).String(m.To).Bytes(m.Batch).ToArray(),
        ChangesStored m => new WireWriter().Int(m.Node).Long(m.Sequence).ToArray(),
        ApplyChangeBatch m => new WireWriter(m.Batch.Length + 16).Long(m.Sequence).Bytes(m.Batch).ToArray(),
        ChangeBatchApplied m => new WireWriter().Long(m.Sequence).String(m.Position).Long(m.Rows).ToArray(),
        GetChangesSince m => new WireWriter().String(m.Position).ToArray(),
        ChangesSince m => new WireWriter(m.Batches.Sum(b => b.Length + 4) + 16).Int(m.Node).ByteArrays(m.Batches).ToArray(),
        CompactChanges m => new WireWriter().String(m.UpTo).ToArray(),
        CaptureBegun m => new WireWriter(m.Catalog.Length + m.Filter.Length + 64).Int(JournalFormat).String(m.From).Bytes(m.Catalog).Bytes(m.Filter).ToArray(),
        CaptureCatalogChanged m => new WireWriter(m.Catalog.Length + 16).Int(JournalFormat).Bytes(m.Catalog).ToArray(),
        CaptureOffset m => new WireWriter().Int(JournalFormat).String(m.Position).Long(m.Sequence).Strings(m.Stopped).ToArray(),
        CaptureEnded => new WireWriter().Int(JournalFormat).ToArray(),
        CaptureSnapshot m => new WireWriter(m.Catalog.Length + m.Filter.Length + 128).Int(JournalFormat).Bool(m.Following).String(m.Position).Long(m.Sequence)
            .Bytes(m.Catalog).Strings(m.Stopped).Bytes(m.Filter).ToArray(),
        ChangeBatchKept m => WriteKept(new WireWriter(m.Batch.Length + 96).Int(JournalFormat), m).ToArray(),
        ChangesCompacted m => new WireWriter().Int(JournalFormat).String(m.UpTo).ToArray(),
        _ => throw new ArgumentException($"CdcSerializer cannot serialize {obj.GetType()}", nameof(obj)),
    };

    private static WireWriter WriteKept(WireWriter w, ChangeBatchKept kept) => w.Long(kept.Sequence).String(kept.From).String(kept.To).Bytes(kept.Batch);

    public override object FromBinary(byte[] bytes, string manifest)
    {
        try
        {
            var r = new WireReader(bytes);
            object message = manifest switch
            {
                "SF" => StartFollow.Instance,
                "SP" => StopFollow.Instance,
                "GC" => GetCdcStatus.Instance,
                "FS" => new FollowStarted(r.String()),
                "FR" => new FollowRefused(r.String()),
                "FP" => new FollowStopped(r.String()),
                "CS" => new CdcStatus(r.Bool(), r.String(), r.String(), r.String(), r.Long(), r.Long(), r.Long(), r.Long(), r.Long(), r.Strings(), r.String()),
                "FF" => new FollowFrom(r.String(), r.Bytes(), r.Bool()),
                "FY" => new FollowReady(r.String()),
                "BC" => new BeginCapture(r.String(), r.Bytes(), r.Bytes()),
                "CR" => new CaptureRunning(r.String()),
                "CN" => new CaptureNeedsSnapshot(r.String()),
                "ST" => new StoreChanges(r.Long(), r.String(), r.String(), r.Bytes()),
                "SD" => new ChangesStored(r.Int(), r.Long()),
                "AB" => new ApplyChangeBatch(r.Long(), r.Bytes()),
                "BA" => new ChangeBatchApplied(r.Long(), r.String(), r.Long()),
                "GS" => new GetChangesSince(r.String()),
                "CI" => new ChangesSince(r.Int(), r.ByteArrays()),
                "CC" => new CompactChanges(r.String()),
                "E1" => Versioned(ref r, manifest) ? new CaptureBegun(r.String(), r.Bytes(), r.Bytes()) : null!,
                "E6" => Versioned(ref r, manifest) ? new CaptureCatalogChanged(r.Bytes()) : null!,
                "E2" => Versioned(ref r, manifest) ? new CaptureOffset(r.String(), r.Long(), r.Strings()) : null!,
                "E3" => Versioned(ref r, manifest) ? CaptureEnded.Instance : null!,
                "S1" => Versioned(ref r, manifest) ? new CaptureSnapshot(r.Bool(), r.String(), r.Long(), r.Bytes(), r.Strings(), r.Bytes()) : null!,
                "E4" => Versioned(ref r, manifest) ? ReadKept(ref r) : null!,
                "E5" => Versioned(ref r, manifest) ? new ChangesCompacted(r.String()) : null!,
                _ => throw new System.Runtime.Serialization.SerializationException($"unknown ActorSync CDC message manifest '{manifest}'."),
            };
            r.End();
            return message;
        }
        catch (InvalidDataException error)
        {
            throw new System.Runtime.Serialization.SerializationException($"ActorSync CDC message '{manifest}' is damaged: {error.Message}", error);
        }
    }

    private static ChangeBatchKept ReadKept(ref WireReader r) => new(r.Long(), r.String(), r.String(), r.Bytes());

    private static bool Versioned(ref WireReader r, string manifest)
    {
        int format = r.Int();
        if (format != JournalFormat)
            throw new System.Runtime.Serialization.SerializationException($"ActorSync CDC journal entry '{manifest}' has format {format}; this build reads format {JournalFormat}.");
        return true;
    }
}
