using Akka.Actor;

namespace ActorSync.Cluster.Protocol;

/// <summary>Messages to and from the Orchestrator (Hub A). All bound to <see cref="ActorSyncSerializer"/>.</summary>
public interface IOrchestratorProtocol;

public sealed record GetMode : IOrchestratorProtocol
{
    public static readonly GetMode Instance = new();
}

/// <summary>One switch of mode: normal ⇄ recovery, with why and when (UTC, ISO 8601).</summary>
public sealed record ModeChanged(string From, string To, string Reason, string At) : IOrchestratorProtocol;

/// <summary>The current mode, the health the orchestrator knows of, and the latest mode changes, oldest first.</summary>
public sealed record ModeStatus(string Mode, bool SourceHealthy, bool DestinationHealthy, int[] NodesDown, ModeChanged[] History) : IOrchestratorProtocol;

/// <summary>Send every future <see cref="ModeChanged"/> to this actor (until it stops).</summary>
public sealed record SubscribeModes(IActorRef Subscriber) : IOrchestratorProtocol;
