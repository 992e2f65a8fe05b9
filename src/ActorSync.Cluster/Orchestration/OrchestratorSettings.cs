using ActorSync.Coding;
using ActorSync.Data;
using Akka.Configuration;

namespace ActorSync.Cluster.Orchestration;

/// <summary>The orchestrator's settings (actorsync.orchestrator in hocon/base.conf), checked when read.</summary>
public sealed record OrchestratorSettings(
    int Nodes,
    int Redundancy,
    int Eta,
    DeliveryMode Scheme,
    SyncFilter Filter,
    string SourceHub,
    string DestinationHub,
    TimeSpan AskTimeout,
    TimeSpan LongStepTimeout,
    bool RecoverWhenSourceDown,
    bool RepairWhenNodeReturns,
    int SegmentSize = SegmentLayout.DefaultSize,
    ContentCodec Codec = ContentCodec.None)
{
    /// <summary>How the cycle's datasets are laid out: the segment size and the content codec.</summary>
    public SegmentLayout Layout => new(SegmentSize, Codec);

    public int BatchCount => Eta * (int)Combinatorics.Binomial(Nodes, Redundancy);

    public Placement Placement => new(Nodes, Redundancy, Eta);

    /// <summary>leader and thesis-man are coded; partial and direct are the uncoded baselines (for `actorsync-lab eval`).</summary>
    public static readonly string[] SchemeNames = [.. DeliveryCost.Names.Keys];

    public static OrchestratorSettings From(Config config)
    {
        var section = config.GetConfig("actorsync.orchestrator")
            ?? throw new ConfigurationException("the setting actorsync.orchestrator is missing; hocon/base.conf holds its defaults.");
        int nodes = section.GetInt("nodes"), redundancy = section.GetInt("redundancy"), eta = section.GetInt("eta");
        try
        {
            Placement.Validate(nodes, redundancy, eta);
        }
        catch (ArgumentException error)
        {
            throw new ConfigurationException($"actorsync.orchestrator.nodes/redundancy/eta = {nodes}/{redundancy}/{eta} (ACTORSYNC_K/_R/_ETA): {error.Message.Split(" (Parameter", 2)[0]}");
        }
        var schemeName = section.GetString("scheme", "leader");
        if (!DeliveryCost.Names.TryGetValue(schemeName, out var scheme))
            throw new ConfigurationException($"actorsync.orchestrator.scheme = '{schemeName}' is not one of: {string.Join(", ", SchemeNames)}.");
        SyncFilter filter;
        try
        {
            filter = new SyncFilter(section.GetStringList("tables")?.ToArray() ?? [], section.GetStringList("exclude-tables")?.ToArray() ?? [],
                section.GetStringList("exclude-columns")?.ToArray() ?? []).Validated(
                "actorsync.orchestrator.tables (ACTORSYNC_TABLES)", "actorsync.orchestrator.exclude-tables (ACTORSYNC_EXCLUDE_TABLES)",
                "actorsync.orchestrator.exclude-columns (ACTORSYNC_EXCLUDE_COLUMNS)");
        }
        catch (DataEdgeException error)
        {
            throw new ConfigurationException(error.Message);
        }
        var settings = new OrchestratorSettings(nodes, redundancy, eta, scheme, filter,
            section.GetString("source-hub", "hub-b"),
            section.GetString("destination-hub", "hub-c"),
            Positive(section, "ask-timeout"),
            Positive(section, "long-step-timeout"),
            section.GetBoolean("recover-when-source-down", true),
            section.GetBoolean("repair-when-node-returns", true),
            SegmentSizeFrom(config),
            CodecFrom(config));
        return settings;
    }

    /// <summary>actorsync.data.segment-size: the unit that moves, is stored and is checked. It must fit a remoting frame.</summary>
    public static int SegmentSizeFrom(Config config)
    {
        long size = config.GetByteSize("actorsync.data.segment-size") ?? SegmentLayout.DefaultSize;
        try { SegmentLayout.Validate((int)Math.Min(size, int.MaxValue)); }
        catch (ArgumentOutOfRangeException error) { throw new ConfigurationException(error.Message.Split(" (Parameter", 2)[0]); }
        long frame = config.GetByteSize("akka.remote.dot-netty.tcp.maximum-frame-size") ?? 128_000;
        if (size + FrameOverhead > frame)
            throw new ConfigurationException($"actorsync.data.segment-size = {size} does not fit akka.remote.dot-netty.tcp.maximum-frame-size = {frame} " +
                                             $"with {FrameOverhead} bytes of framing; raise the frame size on every member or lower the segment size.");
        return (int)size;
    }

    /// <summary>actorsync.data.compression: how batch content holds its rows (none, or deflate blocks).</summary>
    public static ContentCodec CodecFrom(Config config)
    {
        try { return BatchContent.Parse(config.GetString("actorsync.data.compression", "deflate"), "actorsync.data.compression"); }
        catch (ArgumentException error) { throw new ConfigurationException(error.Message); }
    }

    /// <summary>Room a segment's frame needs beyond its payload: digests, terms, coefficients and remoting envelopes.</summary>
    public const int FrameOverhead = 16 * 1024;

    private static TimeSpan Positive(Config section, string key)
    {
        var value = section.GetTimeSpan(key, null, allowInfinite: false);
        return value > TimeSpan.Zero ? value : throw new ConfigurationException($"actorsync.orchestrator.{key} must be positive; got {value}.");
    }
}
