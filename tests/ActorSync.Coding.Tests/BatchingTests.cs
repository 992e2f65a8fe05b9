using System.Text;
using FsCheck.Xunit;

namespace ActorSync.Coding.Tests;

public class BatchingTests
{
    private static readonly SegmentLayout Small = new(4096);

    [Property(MaxTest = 200)]
    public bool Records_round_trip_through_equal_size_batches(byte[][] records, byte batchCountSeed)
    {
        int batchCount = batchCountSeed % 24 + 1;
        var input = records.Select(r => (ReadOnlyMemory<byte>)(r ?? [])).ToArray();
        var (batches, manifest) = BatchPacker.Pack(input, batchCount, Small);

        var output = batches.SelectMany((b, i) => BatchFrame.Records(b.AsMemory(0, (int)manifest.Batches[i].ContentLength))).ToArray();
        return batches.Length == batchCount
            && batches.All(b => b.Length == manifest.BatchSize)
            && output.Length == input.Length
            && output.Zip(input).All(p => p.First.Span.SequenceEqual(p.Second.Span))
            && Enumerable.Range(0, batchCount).All(i => manifest.Verify(i, batches[i]));
    }

    [Property(MaxTest = 200)]
    public bool Records_come_back_whole_however_the_content_is_cut_into_segments(byte[][] records, byte[] cuts)
    {
        var framed = new List<byte>();
        var input = records.Select(r => r ?? []).ToArray();
        foreach (var record in input)
        {
            var prefix = new byte[BatchFrame.MaxVarintSize];
            framed.AddRange(prefix[..BatchFrame.WriteVarint(prefix, record.Length)]);
            framed.AddRange(record);
        }
        var content = framed.ToArray();
        var assembler = new RecordAssembler();
        var output = new List<byte[]>();
        int at = 0, c = 0;
        while (at < content.Length)
        {
            int take = Math.Min(content.Length - at, cuts.Length == 0 ? 7 : cuts[c++ % cuts.Length] % 9 + 1);
            assembler.Feed(content.AsSpan(at, take), record => output.Add(record.ToArray()));
            at += take;
        }
        assembler.Finish();
        return output.Count == input.Length && output.Zip(input).All(p => p.First.AsSpan().SequenceEqual(p.Second));
    }

    [Fact]
    public void Content_that_ends_inside_a_record_is_refused()
    {
        var assembler = new RecordAssembler();
        assembler.Feed(new byte[] { 5, 1, 2 }, _ => { });

        Assert.Throws<InvalidDataException>(assembler.Finish);
    }

    [Fact]
    public void Batches_are_balanced_by_bytes_and_never_split_a_record()
    {
        var records = Enumerable.Range(0, 4521).Select(i => Row(i, "blue-collar")).ToArray();
        var (_, manifest) = BatchPacker.Pack(records, 6);

        var sizes = manifest.Batches.Select(b => b.ContentLength).ToArray();
        Assert.True(sizes.Max() - sizes.Min() <= 2 * records.Max(r => r.Length), string.Join(",", sizes));
        Assert.Equal(manifest.BatchSize, sizes.Max());
    }

    [Fact]
    public void Changing_one_row_changes_one_segment_digest_one_root_and_the_dataset_digest()
    {
        var rows = Enumerable.Range(0, 3000).Select(i => Row(i, "admin.")).ToArray();
        var changed = (ReadOnlyMemory<byte>[])rows.Clone();
        changed[1512] = Row(1512, "admin?"); // same length, different content
        var (_, before) = BatchPacker.Pack(rows, 4, Small);
        var (_, after) = BatchPacker.Pack(changed, 4, Small);

        var batch = Assert.Single(before.Diff(after));
        var differing = Enumerable.Range(0, before.Batches[batch].SegmentDigests.Count)
            .Where(i => !before.SegmentDigest(batch, i)!.AsSpan().SequenceEqual(after.SegmentDigest(batch, i))).ToArray();
        Assert.Single(differing);
        Assert.True(before.Batches[batch].SegmentDigests.Count > 2); // the change hit one segment of many
        Assert.False(before.DatasetDigest.AsSpan().SequenceEqual(after.DatasetDigest));
        Assert.Empty(before.Diff(BatchPacker.Pack(rows, 4, Small).Manifest));
    }

    [Fact]
    public void A_batch_keeps_its_root_when_only_the_padding_grows()
    {
        var layout = Small;
        var a = new byte[5000];
        var b = new byte[9000];
        new Random(1).NextBytes(a);
        new Random(2).NextBytes(b);
        var alone = BatchManifest.Of(layout, [a, new byte[100]]);
        var beside = BatchManifest.Of(layout, [a, b]); // the other batch grew: the padded size is now 9000

        Assert.Equal(alone.BatchDigests[0], beside.BatchDigests[0]);
        Assert.NotEqual(alone.BatchSize, beside.BatchSize);
        Assert.Equal(3, beside.SegmentCount);
        Assert.Null(beside.SegmentDigest(0, 2)); // batch 0's third segment is padding only
    }

    [Fact]
    public void A_flipped_byte_anywhere_in_a_batch_fails_verification_and_names_its_segment()
    {
        var (batches, manifest) = BatchPacker.Pack(Enumerable.Range(0, 400).Select(i => Row(i, "x")).ToArray(), 3, Small);
        for (int i = 0; i < batches[1].Length; i++)
        {
            var damaged = (byte[])batches[1].Clone();
            damaged[i] ^= 0x10;
            Assert.False(manifest.Verify(1, damaged), $"flip at byte {i} went unnoticed");
            int segment = i / Small.Size;
            var padded = damaged.AsSpan(segment * Small.Size, manifest.PaddedLength(segment));
            Assert.False(manifest.VerifyPadded(1, segment, padded));
            if (segment > 0) Assert.True(manifest.VerifyPadded(1, 0, damaged.AsSpan(0, manifest.PaddedLength(0)))); // the others still check out
        }
    }

    [Property(MaxTest = 100)]
    public bool A_manifest_round_trips_through_its_encoding(byte[][] contents)
    {
        var manifest = BatchManifest.Of(Small, contents.Select(c => (ReadOnlyMemory<byte>)(c ?? [])).ToArray());
        var decoded = BatchManifest.Decode(manifest.Encode());
        return decoded.DatasetDigest.AsSpan().SequenceEqual(manifest.DatasetDigest) && decoded.BatchSize == manifest.BatchSize
            && decoded.Layout == manifest.Layout && decoded.BatchCount == manifest.BatchCount;
    }

    [Fact]
    public void A_damaged_or_foreign_manifest_is_refused_by_name()
    {
        var encoded = BatchManifest.Of(Small, [new byte[10_000]]).Encode();

        Assert.Contains("format", Assert.Throws<InvalidDataException>(() => BatchManifest.Decode([1, .. encoded[1..]])).Message);
        Assert.Throws<InvalidDataException>(() => BatchManifest.Decode(encoded[..^3]));
        Assert.Contains("segment size", Assert.Throws<InvalidDataException>(() => BatchManifest.Decode([2, 1, 0, 0, 0, 0, 0, 0, 0])).Message);
    }

    [Fact]
    public void The_spool_seals_each_segment_as_its_batch_fills_and_the_manifest_agrees()
    {
        using var spool = new SegmentSpool(3, Small);
        var sealedSegments = new List<SealedSegment>();
        for (int i = 0; i < 900; i++)
        {
            spool.Add(i % 3, Row(i, "technician").Span);
            while (spool.TryTakeSealed(out var s)) sealedSegments.Add(s);
        }
        var manifest = spool.Finish();

        Assert.All(sealedSegments, s => Assert.Equal(Small.Size, s.Length)); // only full segments seal while rows arrive
        Assert.All(sealedSegments, s => Assert.Equal(manifest.SegmentDigest(s.Batch, s.Index), s.Digest));
        foreach (var group in sealedSegments.GroupBy(s => s.Batch)) Assert.Equal(Enumerable.Range(0, group.Count()), group.Select(s => s.Index));
        for (int b = 0; b < 3; b++) Assert.True(manifest.Verify(b, spool.ReadBatch(b)));
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

    [Fact]
    public void Held_packets_past_the_memory_cap_are_dropped_oldest_first()
    {
        var known = new Dictionary<int, byte[]>();
        var peeler = new XorPeeler<int>(k => known.TryGetValue(k, out var v) ? (ReadOnlyMemory<byte>?)v : null, (_, _) => true, (k, v) => known[k] = v, maxHeldBytes: 100);

        Assert.Equal(0, peeler.Accept([new(1, 60), new(2, 60)], new byte[60]).Dropped);
        var second = peeler.Accept([new(3, 60), new(4, 60)], new byte[60]);

        Assert.Equal(1, second.Dropped);
        Assert.Equal(1, peeler.HeldPackets);
        known[3] = new byte[60];
        Assert.Equal([4], peeler.Learned(3).Decoded); // the kept one still decodes
        Assert.Equal(XorAcceptOutcome.Redundant, peeler.Learned(1).Outcome); // the dropped one is gone
    }

    private static WholeBatchDecoder NodeDecoder(Placement placement, int node, byte[][] batches, BatchManifest manifest)
    {
        var decoder = new WholeBatchDecoder(batches.Length, (int)manifest.BatchSize, manifest);
        foreach (var b in placement.BatchesOf(node)) decoder.AddKnown(b, batches[b]);
        return decoder;
    }

    [Fact]
    public void Damaged_framing_is_reported_not_misread()
    {
        var (batches, manifest) = BatchPacker.Pack([Row(1, "a"), Row(2, "b")], 1);
        var content = batches[0][..(int)manifest.Batches[0].ContentLength];
        content[0] = 0xFF; // a record length beyond the content

        Assert.Throws<InvalidDataException>(() => BatchFrame.Records(content));
    }

    private static ReadOnlyMemory<byte> Row(int id, string job) =>
        Encoding.UTF8.GetBytes($"{id};{30 + id % 40};{job};married;secondary;no;{id * 7 % 5000};yes;no;cellular");
}
