namespace ActorSync.Cluster.Tests;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterFlows
{
    // The flows run whole clusters and their failure detectors: alone, so a busy 2-core machine does not skew them.
    public const string Name = "cluster flows";
}
