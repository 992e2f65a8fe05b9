using System.Numerics;

namespace ActorSync.Coding;

/// <summary>Binomials and node subsets. A subset of nodes is a bitmask: bit i set means node i (0-based).</summary>
public static class Combinatorics
{
    public static long Binomial(int n, int k)
    {
        if (k < 0 || n < 0 || k > n) return 0;
        k = Math.Min(k, n - k);
        long result = 1;
        for (int i = 1; i <= k; i++)
            result = checked(result * (n - k + i) / i); // exact: a product of i consecutive integers is divisible by i!
        return result;
    }

    /// <summary>All k-subsets of {0..n-1} in lexicographic order of their sorted members ({0,1},{0,2},...,{1,2},...).</summary>
    public static IEnumerable<uint> Subsets(int n, int k)
    {
        if (k < 0 || k > n) yield break;
        var members = new int[k];
        for (int i = 0; i < k; i++) members[i] = i;
        while (true)
        {
            uint mask = 0;
            foreach (var m in members) mask |= 1u << m;
            yield return mask;

            int pos = k - 1;
            while (pos >= 0 && members[pos] == n - k + pos) pos--;
            if (pos < 0) yield break;
            members[pos]++;
            for (int i = pos + 1; i < k; i++) members[i] = members[i - 1] + 1;
        }
    }

    public static int[] Members(uint mask)
    {
        var result = new int[BitOperations.PopCount(mask)];
        for (int i = 0; mask != 0; i++)
        {
            result[i] = BitOperations.TrailingZeroCount(mask);
            mask &= mask - 1;
        }
        return result;
    }

    public static int Count(uint mask) => BitOperations.PopCount(mask);

    public static bool Contains(uint mask, int node) => (mask & (1u << node)) != 0;

    /// <summary>1-based, human form: {1,2,4}.</summary>
    public static string Format(uint mask) => "{" + string.Join(",", Members(mask).Select(m => m + 1)) + "}";
}
