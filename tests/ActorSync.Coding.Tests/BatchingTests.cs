using System.Text;
using FsCheck.Xunit;

namespace ActorSync.Coding.Tests;

public class BatchingTests
{
    [Property(MaxTest = 200)]
    public bool Records_round_trip_through_equal_size_batches(byte[][] records, byte batchCountSeed)
    {
        int batchCount = batchCountSeed % 24 + 1;
        var input = records.Select(r => (ReadOnlyMemory<byte>)(r ?? [])).ToArray();
        var (batches, manifest) = BatchPacker.Pack(input, batchCount);

        var output = batches.SelectMany(b => BatchFrame.Records(b)).ToArray();
        return batches.Length == batchCount
            && batches.All(b => b.Length == manifest.BatchSize)
            && output.Length == input.Length
            && output.Zip(input).All(p => p.First.Span.SequenceEqual(p.Second.Span))
            && Enumerable.Range(0, batchCount).All(i => manifest.Verify(i, batches[i]));
    }

    [Fact]
    public void Batches_are_balanced_by_bytes_and_never_split_a_record()
    {
        var records = Enumerable.Range(0, 4521).Select(i => Row(i, "blue-collar")).ToArray();
        var (batches, _) = BatchPacker.Pack(records, 6);

        var sizes = batches.Select(b => BatchFrame.Content(b).Length).ToArray();
        Assert.True(sizes.Max() - sizes.Min() <= 2 * records.Max(r => r.Length), string.Join(",", sizes));
        Assert.Equal(4521, batches.Sum(b => BatchFrame.Records(b).Count));
    }

    [Fact]
    public void Changing_one_row_changes_one_batch_digest_and_the_dataset_digest()
    {
        var rows = Enumerable.Range(0, 1000).Select(i => Row(i, "admin.")).ToArray();
        var changed = (ReadOnlyMemory<byte>[])rows.Clone();
        changed[512] = Row(512, "admin?"); // same length, different content
        var (_, before) = BatchPacker.Pack(rows, 12);
        var (_, after) = BatchPacker.Pack(changed, 12);

        Assert.Single(before.Diff(after));
        Assert.False(before.DatasetDigest.AsSpan().SequenceEqual(after.DatasetDigest));
        Assert.Empty(before.Diff(BatchPacker.Pack(rows, 12).Manifest));
    }

    [Fact]
    public void A_flipped_byte_anywhere_in_a_batch_fails_verification()
    {
        var (batches, manifest) = BatchPacker.Pack(Enumerable.Range(0, 50).Select(i => Row(i, "x")).ToArray(), 3);
        for (int i = 0; i < batches[1].Length; i++)
        {
            var damaged = (byte[])batches[1].Clone();
            damaged[i] ^= 0x10;
            Assert.False(manifest.Verify(1, damaged), $"flip at byte {i} went unnoticed");
        }
    }

    [Fact]
    public void Every_flipped_byte_of_an_XOR_packet_is_caught_by_its_checksum()
    {
        var placement = new Placement(4, 2);
        var (batches, manifest) = BatchPacker.Pack(Enumerable.Range(0, 300).Select(i => Row(i, "retired")).ToArray(), 6);
        var packet = XorDeliveryPlan.Encode(XorDeliveryPlan.ThesisMan(placement).Packets[0], batches);
        var decoder = NodeDecoder(placement, 0, batches, manifest);

        for (int i = 0; i < packet.Payload.Length; i++)
        {
            var payload = (byte[])packet.Payload.Clone();
            payload[i] ^= 0x04;
            Assert.Equal(XorAcceptOutcome.Rejected, decoder.Accept(packet with { Payload = payload }).Outcome);
        }
        Assert.Equal(XorAcceptOutcome.Rejected, decoder.Accept(packet with { Payload = packet.Payload[..^1] }).Outcome);
        Assert.Equal(XorAcceptOutcome.Rejected, decoder.Accept(packet with { Batches = [0, 1, 4] }).Outcome);
        Assert.Equal(3, decoder.MissingCount);
        Assert.Equal(XorAcceptOutcome.Decoded, decoder.Accept(packet).Outcome);
    }

    [Fact]
    public void A_wrong_XOR_packet_with_a_valid_checksum_fails_verification_and_does_not_spread()
    {
        var placement = new Placement(4, 2);
        var (batches, manifest) = BatchPacker.Pack(Enumerable.Range(0, 300).Select(i => Row(i, "services")).ToArray(), 6);
        var plan = XorDeliveryPlan.LeaderBased(placement, leader: 0);
        var node4 = NodeDecoder(placement, 3, batches, manifest);
        var p1 = XorDeliveryPlan.Encode(plan.Packets[0], batches);
        var p2 = XorDeliveryPlan.Encode(plan.Packets[1], batches);
        var wrongPayload = (byte[])p2.Payload.Clone();
        wrongPayload[20] ^= 0xFF; // a sender bug, checksummed after the damage
        var wrong = XorPacket.Create(p2.Index, p2.Batches, wrongPayload);

        Assert.Equal(XorAcceptOutcome.Held, node4.Accept(p1).Outcome);
        var result = node4.Accept(wrong);

        Assert.Equal(XorAcceptOutcome.Rejected, result.Outcome);
        Assert.Equal([0], result.FailedVerification);
        Assert.Null(node4.Batch(0));
        Assert.Equal(XorAcceptOutcome.Decoded, node4.Accept(p2).Outcome); // the resent packet is accepted
    }

    private static XorPeelingDecoder NodeDecoder(Placement placement, int node, byte[][] batches, BatchManifest manifest)
    {
        var decoder = new XorPeelingDecoder(batches.Length, manifest.BatchSize, manifest);
        foreach (var b in placement.BatchesOf(node)) decoder.AddKnown(b, batches[b]);
        return decoder;
    }

    [Fact]
    public void Damaged_framing_is_reported_not_misread()
    {
        var (batches, _) = BatchPacker.Pack([Row(1, "a"), Row(2, "b")], 1);
        var damaged = (byte[])batches[0].Clone();
        damaged[0] = 0xFF; // content length beyond the batch

        Assert.Throws<InvalidDataException>(() => BatchFrame.Records(damaged));
    }

    private static ReadOnlyMemory<byte> Row(int id, string job) =>
        Encoding.UTF8.GetBytes($"{id};{30 + id % 40};{job};married;secondary;no;{id * 7 % 5000};yes;no;cellular");
}
