using ActorSync.Cluster.Protocol;
using Akka.Actor;

namespace ActorSync.Cluster;

/// <summary>A cluster step that could not be done: the message names the member, node, hub or setting involved.</summary>
public sealed class ClusterStepException(string message, Exception? inner = null) : Exception(message, inner);

internal static class Asking
{
    /// <summary>
    /// Asks and expects a <typeparamref name="T"/>. A <see cref="HubFailed"/> answer, another reply type or no answer
    /// within <paramref name="timeout"/> throws a <see cref="ClusterStepException"/> that starts with <paramref name="what"/>.
    /// <paramref name="lost"/> ends the wait early: the member that was to answer left the cluster.
    /// </summary>
    public static async Task<T> AskFor<T>(this IActorRef target, object message, TimeSpan timeout, string what, CancellationToken lost = default)
    {
        object reply;
        try
        {
            reply = await target.Ask<object>(message, timeout, lost);
        }
        catch (AskTimeoutException error)
        {
            throw new ClusterStepException($"{what}: no answer from {target.Path} within {timeout.TotalSeconds:0.#} s.", error);
        }
        catch (OperationCanceledException error) when (lost.IsCancellationRequested)
        {
            throw new ClusterStepException($"{what}: {target.Path} was lost (its member left the cluster) before it answered.", error);
        }
        return reply switch
        {
            HubFailed failed => throw new ClusterStepException($"{what}: {failed.Hub} failed to {failed.Operation}: {failed.Reason}"),
            Status.Failure failure => throw new ClusterStepException($"{what}: {failure.Cause.Message}", failure.Cause),
            T expected => expected,
            _ => throw new ClusterStepException($"{what}: {target.Path} answered {reply.GetType().Name}, not {typeof(T).Name}."),
        };
    }
}
