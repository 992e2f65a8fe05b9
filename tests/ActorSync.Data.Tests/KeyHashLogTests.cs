using ActorSync.Data.Sqlite;

namespace ActorSync.Data.Tests;

public class KeyHashLogTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(8191)]
    [InlineData(8192)]
    [InlineData(8193)]
    [InlineData(40_000)]
    public void Every_hash_comes_back_sorted_across_chunk_boundaries(int count)
    {
        var random = new Random(count);
        var hashes = Enumerable.Range(0, count).Select(_ => (ulong)random.NextInt64()).ToArray();
        var log = new KeyHashLog();
        foreach (var hash in hashes) log.Add(hash);

        Assert.Equal(count, log.Count);
        Assert.Equal(hashes.Order(), log.ToSortedArray());
    }
}
