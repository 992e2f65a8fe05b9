using ActorSync.Coding;
using Akka.Configuration;

namespace ActorSync.Cluster.Orchestration;

/// <summary>The orchestrator's settings (actorsync.orchestrator in hocon/base.conf), checked when read.</summary>
public sealed record OrchestratorSettings(
    int Nodes,
    int Redundancy,
    int Eta,
    DeliveryMode Scheme,
    string[] Tables,
    string SourceHub,
    string DestinationHub,
    TimeSpan AskTimeout,
    TimeSpan LongStepTimeout,
    bool RecoverWhenSourceDown,
    bool RepairWhenNodeReturns)
{
    public int BatchCount => Eta * (int)Combinatorics.Binomial(Nodes, Redundancy);

    public Placement Placement => new(Nodes, Redundancy, Eta);

    /// <summary>leader and thesis-man are coded; partial and direct are the uncoded baselines (for `actorsync eval`).</summary>
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
        var settings = new OrchestratorSettings(nodes, redundancy, eta, scheme,
            section.GetStringList("tables")?.ToArray() ?? [],
            section.GetString("source-hub", "hub-b"),
            section.GetString("destination-hub", "hub-c"),
            Positive(section, "ask-timeout"),
            Positive(section, "long-step-timeout"),
            section.GetBoolean("recover-when-source-down", true),
            section.GetBoolean("repair-when-node-returns", true));
        return settings;
    }

    private static TimeSpan Positive(Config section, string key)
    {
        var value = section.GetTimeSpan(key, null, allowInfinite: false);
        return value > TimeSpan.Zero ? value : throw new ConfigurationException($"actorsync.orchestrator.{key} must be positive; got {value}.");
    }
}
