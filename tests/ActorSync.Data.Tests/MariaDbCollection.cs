namespace ActorSync.Data.Tests;

/// <summary>One real mariadbd shared by the test classes of this assembly (xunit needs the definition here).</summary>
[CollectionDefinition(Name)]
public sealed class MariaDbCollection : ICollectionFixture<MariaDbServer>
{
    public const string Name = "MariaDB";
}
