using System.Threading.Channels;
using Akka.Actor;
using Akka.Cluster;

namespace ActorSync.Host;

/// <summary>Writes each membership and reachability event of the cluster, as a line, to a channel (`cluster tail`).</summary>
public sealed class MembershipTail : ReceiveActor
{
    public static Props Props(ChannelWriter<string> lines) => Akka.Actor.Props.Create(() => new MembershipTail(lines));

    public MembershipTail(ChannelWriter<string> lines)
    {
        var cluster = Akka.Cluster.Cluster.Get(Context.System);
        cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent), typeof(ClusterEvent.LeaderChanged));
        Receive<ClusterEvent.IMemberEvent>(e => lines.TryWrite($"{Now()} {e.GetType().Name}: {e.Member.Address} [{string.Join(",", e.Member.Roles)}] {e.Member.Status}"));
        Receive<ClusterEvent.UnreachableMember>(e => lines.TryWrite($"{Now()} UnreachableMember: {e.Member.Address}"));
        Receive<ClusterEvent.ReachableMember>(e => lines.TryWrite($"{Now()} ReachableMember: {e.Member.Address}"));
        Receive<ClusterEvent.LeaderChanged>(e => lines.TryWrite($"{Now()} LeaderChanged: {e.Leader?.ToString() ?? "none"}"));
    }

    protected override void PostStop() => Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);

    private static string Now() => DateTime.UtcNow.ToString("HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture);
}
