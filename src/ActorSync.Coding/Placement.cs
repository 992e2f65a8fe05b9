namespace ActorSync.Coding;

/// <summary>
/// Redundant placement: N = η·C(K,r) batches, batch b on the r-subset number b/η in lexicographic order,
/// so every node holds M = N·r/K batches and any r−1 node losses lose nothing.
/// Nodes and batches are 0-based here; people see them 1-based (Node 1, B1).
/// </summary>
public sealed class Placement
{
    public const int MinNodes = 2;
    public const int MaxNodes = 16;
    public const int MaxBatches = 1 << 20;

    private readonly uint[] _batchNodes;
    private readonly int[][] _nodeBatches;

    public int Nodes { get; }
    public int Redundancy { get; }
    public int Eta { get; }
    public int BatchCount => _batchNodes.Length;
    public int BatchesPerNode { get; }
    public uint AllNodes => (1u << Nodes) - 1;

    public Placement(int nodes, int redundancy, int eta = 1)
    {
        Validate(nodes, redundancy, eta);
        Nodes = nodes;
        Redundancy = redundancy;
        Eta = eta;

        var subsets = Combinatorics.Subsets(nodes, redundancy).ToArray();
        _batchNodes = new uint[subsets.Length * eta];
        for (int s = 0; s < subsets.Length; s++)
            for (int j = 0; j < eta; j++)
                _batchNodes[s * eta + j] = subsets[s];

        _nodeBatches = new int[nodes][];
        for (int node = 0; node < nodes; node++)
            _nodeBatches[node] = Enumerable.Range(0, _batchNodes.Length)
                .Where(b => Combinatorics.Contains(_batchNodes[b], node)).ToArray();
        BatchesPerNode = _nodeBatches[0].Length;
    }

    /// <summary>Throws with a message that names the offending setting; nothing is built from bad input.</summary>
    public static void Validate(int nodes, int redundancy, int eta)
    {
        if (nodes is < MinNodes or > MaxNodes)
            throw new ArgumentOutOfRangeException(nameof(nodes), nodes,
                $"nodes (K) must be between {MinNodes} and {MaxNodes}; got {nodes}.");
        if (redundancy < 1 || redundancy > nodes - 1)
            throw new ArgumentOutOfRangeException(nameof(redundancy), redundancy,
                $"redundancy (r) must be between 1 and K−1 = {nodes - 1}; got {redundancy}.");
        if (eta < 1)
            throw new ArgumentOutOfRangeException(nameof(eta), eta, $"eta (η) must be at least 1; got {eta}.");
        long batches = Combinatorics.Binomial(nodes, redundancy) * eta;
        if (batches > MaxBatches)
            throw new ArgumentOutOfRangeException(nameof(eta), eta,
                $"N = η·C({nodes},{redundancy}) = {batches} batches exceeds the limit of {MaxBatches}; lower eta (η).");
    }

    /// <summary>The r nodes that hold batch b, as a node mask.</summary>
    public uint HoldersOf(int batch) => _batchNodes[batch];

    /// <summary>Which copy of its subset batch b is (0..η−1).</summary>
    public int LayerOf(int batch) => batch % Eta;

    /// <summary>The batch stored on node subset <paramref name="holders"/> in layer <paramref name="layer"/>.</summary>
    public int BatchOn(uint holders, int layer) => SubsetRank(holders) * Eta + layer;

    public IReadOnlyList<int> BatchesOf(int node) => _nodeBatches[node];

    public bool Holds(int node, int batch) => Combinatorics.Contains(_batchNodes[batch], node);

    /// <summary>The lexicographic rank of an r-subset among all r-subsets of K nodes (combinatorial number system).</summary>
    private int SubsetRank(uint mask)
    {
        // Rank = number of r-subsets lexicographically before 'mask'.
        long rank = 0;
        int previous = -1, position = 0;
        foreach (var member in Combinatorics.Members(mask))
        {
            for (int skipped = previous + 1; skipped < member; skipped++)
                rank += Combinatorics.Binomial(Nodes - skipped - 1, Redundancy - position - 1);
            previous = member;
            position++;
        }
        return (int)rank;
    }
}
