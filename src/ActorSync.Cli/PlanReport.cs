using System.Text.Json.Serialization;
using ActorSync.Coding;

namespace ActorSync.Cli;

/// <summary>Everything <c>actorsync plan</c> shows, computed once from the coding library; rendered as tables or JSON.</summary>
public sealed record PlanReport(
    [property: JsonPropertyName("K")] int Nodes,
    [property: JsonPropertyName("r")] int Redundancy,
    [property: JsonPropertyName("eta")] int Eta,
    [property: JsonPropertyName("N")] int BatchCount,
    [property: JsonPropertyName("M")] int BatchesPerNode,
    [property: JsonPropertyName("leader")] int Leader,
    [property: JsonPropertyName("uncoded_unicast_packets")] long UncodedUnicastPackets,
    [property: JsonPropertyName("uncoded_broadcast_packets")] long UncodedBroadcastPackets,
    [property: JsonPropertyName("man_packets")] long ManPackets,
    [property: JsonPropertyName("optimal_packets")] long OptimalPackets,
    [property: JsonPropertyName("recovery_packets")] int RecoveryPackets,
    [property: JsonPropertyName("recovery_fractional_bound")] double RecoveryFractionalBound,
    [property: JsonPropertyName("uncoded_repair_transfers")] long UncodedRepairTransfers,
    [property: JsonPropertyName("direct_repair_transfers_per_lost_node")] int DirectRepairTransfers,
    [property: JsonPropertyName("placement")] IReadOnlyList<PlanReport.NodeRow> Placement,
    [property: JsonPropertyName("man")] IReadOnlyList<PlanReport.PacketRow> Man,
    [property: JsonPropertyName("optimal")] IReadOnlyList<PlanReport.PacketRow> Optimal,
    [property: JsonPropertyName("recovery_allocation")] IReadOnlyList<int> RecoveryAllocation)
{
    public sealed record NodeRow(
        [property: JsonPropertyName("node")] int Node,
        [property: JsonPropertyName("batches")] IReadOnlyList<int> Batches);

    public sealed record PacketRow(
        [property: JsonPropertyName("packet")] int Packet,
        [property: JsonPropertyName("batches")] IReadOnlyList<int> Batches,
        [property: JsonPropertyName("recipients")] IReadOnlyList<int> Recipients);

    /// <summary>Builds the report; node and batch numbers are 1-based, as people read them.</summary>
    public static PlanReport Create(int nodes, int redundancy, int eta, int leader)
    {
        var placement = new Placement(nodes, redundancy, eta);
        var man = XorDeliveryPlan.ThesisMan(placement);
        var optimal = XorDeliveryPlan.LeaderBased(placement, leader - 1);
        var recovery = Coding.RecoveryAllocation.ForPlacement(placement);
        long missing = (long)placement.BatchCount * (nodes - redundancy); // each batch is wanted by the K−r nodes without it

        return new PlanReport(
            nodes, redundancy, eta, placement.BatchCount, placement.BatchesPerNode, leader,
            UncodedUnicastPackets: missing,
            UncodedBroadcastPackets: placement.BatchCount,
            ManPackets: man.Packets.Count,
            OptimalPackets: optimal.Packets.Count,
            RecoveryPackets: recovery.Total,
            RecoveryFractionalBound: Math.Round(recovery.FractionalLowerBound, 4),
            UncodedRepairTransfers: missing,
            DirectRepairTransfers: placement.BatchesPerNode,
            Placement: Enumerable.Range(0, nodes).Select(n => new NodeRow(n + 1, placement.BatchesOf(n).Select(b => b + 1).ToArray())).ToArray(),
            Man: Rows(man),
            Optimal: Rows(optimal),
            RecoveryAllocation: recovery.PacketsPerNode);
    }

    private static PacketRow[] Rows(XorDeliveryPlan plan) =>
        plan.Packets.Select(p => new PacketRow(p.Index + 1, p.Batches.Select(b => b + 1).ToArray(),
            Combinatorics.Members(p.Recipients).Select(n => n + 1).ToArray())).ToArray();
}

[JsonSerializable(typeof(PlanReport))]
[JsonSourceGenerationOptions(WriteIndented = true)]
internal sealed partial class PlanJsonContext : JsonSerializerContext;
