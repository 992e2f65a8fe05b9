namespace ActorSync.Coding.Tests;

public class RlncRecoveryTests
{
    [Theory]
    [MemberData(nameof(Configurations.All), MemberType = typeof(Configurations))]
    public void Every_node_recovers_every_batch_from_peer_broadcasts(int k, int r, int eta)
    {
        var placement = new Placement(k, r, eta);
        var data = Configurations.RandomBatches(placement.BatchCount, 16, seed: k * 1000 + r * 10 + eta);
        var allocation = RecoveryAllocation.ForPlacement(placement);

        var outcome = RunRecovery(placement.Nodes, b => placement.HoldersOf(b), placement.AllNodes, allocation, data, seed: k + r);

        Assert.All(outcome.Decoded, node => Assert.True(node));
        // Rateless top-ups are rare with GF(256) coefficients; the allocation alone nearly always suffices.
        Assert.True(outcome.TopUps <= k, $"{outcome.TopUps} top-up packets needed");
    }

    [Fact]
    public void Recovery_works_with_a_dead_node_and_with_a_node_that_lost_its_cache()
    {
        var placement = new Placement(5, 3);
        var data = Configurations.RandomBatches(placement.BatchCount, 32, seed: 53);
        var holders = Enumerable.Range(0, placement.BatchCount).Select(placement.HoldersOf).ToArray();
        uint alive = placement.AllNodes & ~(1u << 4);            // node 5 is dead
        for (int b = 0; b < holders.Length; b++) holders[b] &= ~(1u << 0); // node 1 lost its cache

        var allocation = RecoveryAllocation.Solve(5, holders, alive);
        Assert.Empty(allocation.Unrecoverable);
        Assert.Equal(0, allocation.PacketsPerNode[0]);
        Assert.Equal(0, allocation.PacketsPerNode[4]);

        var outcome = RunRecovery(5, b => holders[b], alive, allocation, data, seed: 9);
        Assert.All(Combinatorics.Members(alive), node => Assert.True(outcome.Decoded[node]));
    }

    [Fact]
    public void A_repeated_or_dependent_packet_adds_no_rank_and_is_reported()
    {
        var placement = new Placement(4, 2);
        var data = Configurations.RandomBatches(6, 32, seed: 11);
        var decoder = new RlncDecoder(Known(placement, 0, data), Enumerable.Range(0, 6), 32);
        var encoder = new RlncEncoder(1, Known(placement, 1, data), new Random(3));
        var first = encoder.Encode([1, 2, 3]);
        var second = encoder.Encode([5, 7, 9]);

        Assert.Equal(RlncReceiveOutcome.Innovative, decoder.Receive(first).Outcome);
        Assert.Equal(RlncReceiveOutcome.NotInnovative, decoder.Receive(first).Outcome);
        Assert.Equal(RlncReceiveOutcome.Innovative, decoder.Receive(second).Outcome);
        // 2·first + 3·second is in their span.
        var dependent = encoder.Encode([GF256.Add(GF256.Mul(2, 1), GF256.Mul(3, 5)), GF256.Add(GF256.Mul(2, 2), GF256.Mul(3, 7)), GF256.Add(GF256.Mul(2, 3), GF256.Mul(3, 9))]);
        var result = decoder.Receive(dependent);
        Assert.Equal(RlncReceiveOutcome.NotInnovative, result.Outcome);
        Assert.Equal(2, result.Rank);
    }

    [Fact]
    public void Short_of_rank_the_decoder_names_what_it_lacks_and_a_top_up_completes_it()
    {
        var placement = new Placement(4, 2);
        var data = Configurations.RandomBatches(6, 48, seed: 12);
        var holders = Enumerable.Range(0, 6).Select(placement.HoldersOf).ToArray();
        var decoder = new RlncDecoder(Known(placement, 0, data), Enumerable.Range(0, 6), 48);
        var random = new Random(4);
        decoder.Receive(new RlncEncoder(1, Known(placement, 1, data), random).Next());
        decoder.Receive(new RlncEncoder(2, Known(placement, 2, data), random).Next());

        var partial = decoder.Decode();
        Assert.False(partial.IsComplete);
        Assert.Equal(1, decoder.Unknowns - decoder.Rank);
        Assert.NotEmpty(partial.Undetermined);
        Assert.All(partial.Batches, kv => Assert.Equal(data[kv.Key], kv.Value)); // whatever it gives is right

        uint helpers = RecoveryAllocation.Helpers(partial.Undetermined, holders, placement.AllNodes & ~1u);
        Assert.NotEqual(0u, helpers);
        foreach (var helper in Combinatorics.Members(helpers))
            decoder.Receive(new RlncEncoder(helper, Known(placement, helper, data), random).Next());

        var full = decoder.Decode();
        Assert.True(full.IsComplete);
        foreach (var b in new[] { 3, 4, 5 }) Assert.Equal(data[b], full.Batches[b]);
    }

    [Fact]
    public void Every_flipped_byte_and_a_truncation_are_caught_by_the_checksum()
    {
        var placement = new Placement(4, 2);
        var data = Configurations.RandomBatches(6, 20, seed: 13);
        var packet = new RlncEncoder(1, Known(placement, 1, data), new Random(5)).Next();
        var decoder = new RlncDecoder(Known(placement, 0, data), Enumerable.Range(0, 6), 20);

        for (int i = 0; i < packet.Payload.Length; i++)
        {
            var payload = (byte[])packet.Payload.Clone();
            payload[i] ^= 0x01;
            Assert.Equal(RlncReceiveOutcome.Corrupt, decoder.Receive(packet with { Payload = payload }).Outcome);
        }
        for (int i = 0; i < packet.Coefficients.Length; i++)
        {
            var coefficients = (byte[])packet.Coefficients.Clone();
            coefficients[i] ^= 0x80;
            Assert.Equal(RlncReceiveOutcome.Corrupt, decoder.Receive(packet with { Coefficients = coefficients }).Outcome);
        }
        Assert.Equal(RlncReceiveOutcome.Corrupt, decoder.Receive(packet with { Payload = packet.Payload[..^1] }).Outcome);
        Assert.Equal(RlncReceiveOutcome.Corrupt, decoder.Receive(packet with { Sender = 3 }).Outcome);
        Assert.Equal(0, decoder.Rank);
    }

    [Fact]
    public void Malformed_packets_are_refused_with_a_reason()
    {
        var placement = new Placement(4, 2);
        var data = Configurations.RandomBatches(6, 20, seed: 14);
        var decoder = new RlncDecoder(Known(placement, 0, data), [3, 4], 20); // wants only B4 and B5
        var wrongSize = CodedPacket.Create(1, 0, [3], [1], new byte[19]);
        var notWanted = CodedPacket.Create(3, 0, [5], [1], new byte[20]);

        var size = decoder.Receive(wrongSize);
        var batch = decoder.Receive(notWanted);

        Assert.Equal(RlncReceiveOutcome.Invalid, size.Outcome);
        Assert.Contains("19-byte", size.Reason);
        Assert.Equal(RlncReceiveOutcome.Invalid, batch.Outcome);
        Assert.Contains("B6", batch.Reason);
    }

    [Fact]
    public void Wrong_coefficients_with_a_valid_digest_fail_verification_instead_of_decoding_silently()
    {
        var placement = new Placement(4, 2);
        var records = Enumerable.Range(0, 60).Select(i => (ReadOnlyMemory<byte>)System.Text.Encoding.UTF8.GetBytes($"row {i}")).ToArray();
        var (batches, manifest) = BatchPacker.Pack(records, 6);
        var decoder = new RlncDecoder(Known(placement, 0, batches), Enumerable.Range(0, 6), (int)manifest.BatchSize, manifest);
        var random = new Random(6);
        // Node 2 lies: it claims coefficients it did not use, and signs the lie with a fresh digest.
        var honest = new RlncEncoder(1, Known(placement, 1, batches), random).Next();
        var lie = CodedPacket.Create(1, honest.Sequence, honest.BatchIds, honest.Coefficients.Select(c => GF256.Mul(c, 2)).ToArray(), honest.Payload);
        decoder.Receive(lie);
        for (int peer = 2; !decoder.IsFullRank; peer = peer == 2 ? 3 : 2)
            decoder.Receive(new RlncEncoder(peer, Known(placement, peer, batches), random).Next());

        var result = decoder.Decode();

        Assert.False(result.IsComplete);
        Assert.NotEmpty(result.FailedVerification);
        Assert.All(result.Batches, kv => Assert.Equal(batches[kv.Key], kv.Value));
    }

    private static Dictionary<int, byte[]> Known(Placement placement, int node, byte[][] data) =>
        placement.BatchesOf(node).ToDictionary(b => b, b => data[b]);

    private sealed record Outcome(bool[] Decoded, int TopUps);

    /// <summary>Each participant broadcasts its allocation; each decodes; short of rank it asks helpers for one more each.</summary>
    private static Outcome RunRecovery(int nodes, Func<int, uint> holdersOf, uint participants, RecoveryAllocation allocation, byte[][] data, int seed)
    {
        var random = new Random(seed);
        var holders = Enumerable.Range(0, data.Length).Select(holdersOf).ToArray();
        var members = Combinatorics.Members(participants);
        var encoders = members
            .Where(n => holders.Any(h => Combinatorics.Contains(h, n)))
            .ToDictionary(n => n, n => new RlncEncoder(n, Enumerable.Range(0, data.Length)
                .Where(b => Combinatorics.Contains(holders[b], n)).ToDictionary(b => b, b => data[b]), random));
        var broadcasts = members.SelectMany(n => Enumerable.Range(0, allocation.PacketsPerNode[n]).Select(_ => encoders[n].Next())).ToArray();

        var decoded = new bool[nodes];
        int topUps = 0;
        foreach (var node in members)
        {
            var known = Enumerable.Range(0, data.Length).Where(b => Combinatorics.Contains(holders[b], node)).ToDictionary(b => b, b => data[b]);
            var decoder = new RlncDecoder(known, Enumerable.Range(0, data.Length), data[0].Length);
            foreach (var packet in broadcasts.Where(p => p.Sender != node)) decoder.Receive(packet);
            for (int round = 0; !decoder.IsFullRank && round < 20; round++)
            {
                uint helpers = RecoveryAllocation.Helpers(decoder.UndeterminedBatches, holders, participants & ~(1u << node));
                foreach (var helper in Combinatorics.Members(helpers)) { decoder.Receive(encoders[helper].Next()); topUps++; }
            }
            var result = decoder.Decode();
            decoded[node] = result.IsComplete && result.Batches.All(kv => kv.Value.AsSpan().SequenceEqual(data[kv.Key]))
                && result.Batches.Count == decoder.Unknowns;
        }
        return new(decoded, topUps);
    }
}
