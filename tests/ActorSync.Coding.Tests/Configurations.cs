namespace ActorSync.Coding.Tests;

/// <summary>Every (K, r, η) with K ≤ 12, r &lt; K and η ≤ 2, as the issue asks; and a smaller set for brute force.</summary>
public static class Configurations
{
    public static TheoryData<int, int, int> All() => Grid(maxNodes: 12);

    public static TheoryData<int, int, int> Small() => Grid(maxNodes: 6);

    private static TheoryData<int, int, int> Grid(int maxNodes)
    {
        var data = new TheoryData<int, int, int>();
        for (int k = 2; k <= maxNodes; k++)
            for (int r = 1; r < k; r++)
                for (int eta = 1; eta <= 2; eta++)
                    data.Add(k, r, eta);
        return data;
    }

    /// <summary>Small configurations with r+2 ≤ K: with r = K−1 every group holds the leader and none is left out.</summary>
    public static TheoryData<int, int, int> SmallWithGroupsOutsideTheLeader()
    {
        var data = new TheoryData<int, int, int>();
        foreach (var row in Small())
            if ((int)row[1] + 2 <= (int)row[0]) data.Add((int)row[0], (int)row[1], (int)row[2]);
        return data;
    }

    public static byte[][] RandomBatches(int count, int size, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var batch = new byte[size];
            random.NextBytes(batch);
            return batch;
        }).ToArray();
    }
}
