using Akka.Actor;

namespace ActorSync.Cluster.Protocol;

/// <summary>Messages to and from a HubSupervisor. All bound to <see cref="ActorSyncSerializer"/>.</summary>
public interface IHubProtocol;

/// <summary>Watch this node actor: report when it dies, and again when a node with this number comes back.</summary>
public sealed record WatchNode(int Node, IActorRef Ref) : IHubProtocol;

public sealed record NodeDown(string Hub, int Node, string Reason) : IHubProtocol;

public sealed record NodeUp(string Hub, int Node) : IHubProtocol;

public sealed record DatabaseDown(string Hub, string Database, string Reason) : IHubProtocol;

public sealed record DatabaseUp(string Hub, string Database) : IHubProtocol;

public sealed record GetHubStatus : IHubProtocol
{
    public static readonly GetHubStatus Instance = new();
}

/// <param name="LastError">The last probe failure, or empty.</param>
public sealed record HubStatus(string Hub, string Database, bool DatabaseHealthy, string LastError, int[] NodesUp, int[] NodesDown) : IHubProtocol;
