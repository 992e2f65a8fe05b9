using System.Text;
using FsCheck.Xunit;

namespace ActorSync.Coding.Tests;

public class BatchContentTests
{
    private static readonly SegmentLayout Plain = new(4096);
    private static readonly SegmentLayout Deflated = new(4096, ContentCodec.Deflate);

    [Property(MaxTest = 100)]
    public bool Records_come_back_whole_from_a_compressing_spool_read_segment_by_segment(byte[][] records, byte batchCountSeed, bool compress)
    {
        int batchCount = batchCountSeed % 5 + 1;
        var layout = compress ? Deflated : Plain;
        var input = records.Select(r => r ?? []).ToArray();
        using var spool = new SegmentSpool(batchCount, layout);
        for (int i = 0; i < input.Length; i++) spool.Add(i % batchCount, input[i]);
        var manifest = spool.Finish();

        var output = new List<byte[]>[batchCount];
        for (int b = 0; b < batchCount; b++)
        {
            output[b] = [];
            var reader = new BatchContentReader(manifest.Layout.Codec);
            var segment = new byte[layout.Size];
            for (int s = 0; s < manifest.Batches[b].SegmentDigests.Count; s++)
            {
                int length = spool.ReadContent(b, s, segment);
                var into = output[b];
                reader.Feed(segment.AsSpan(0, length), record => into.Add(record.ToArray()));
            }
            reader.Finish();
        }
        return manifest.Layout == layout
            && Enumerable.Range(0, input.Length).All(i => output[i % batchCount][i / batchCount].AsSpan().SequenceEqual(input[i]))
            && output.Sum(o => o.Count) == input.Length
            && Enumerable.Range(0, batchCount).All(b => manifest.Verify(b, spool.ReadBatch(b)));
    }

    [Fact]
    public void Bank_shaped_rows_take_a_fraction_of_the_bytes_when_deflated()
    {
        using var plain = Spool(Plain, 20_000);
        using var deflated = Spool(Deflated, 20_000);

        long plainBytes = plain.ContentLength(0) + plain.ContentLength(1);
        long deflatedBytes = deflated.ContentLength(0) + deflated.ContentLength(1);
        Assert.True(deflatedBytes * 2 < plainBytes, $"deflated {deflatedBytes} B against {plainBytes} B plain");
        Assert.Equal(ContentCodec.Deflate, deflated.Manifest.Layout.Codec);
    }

    [Fact]
    public void A_damaged_compressed_block_is_reported_not_misread()
    {
        using var spool = Spool(Deflated, 2_000);
        var content = spool.ReadBatch(0).AsSpan(0, (int)spool.ContentLength(0)).ToArray();
        content[content.Length / 2] ^= 0x5A;
        var reader = new BatchContentReader(ContentCodec.Deflate);

        var error = Assert.Throws<InvalidDataException>(() =>
        {
            reader.Feed(content, _ => { });
            reader.Finish();
        });
        Assert.Contains("block", error.Message);
    }

    [Fact]
    public void A_manifest_keeps_its_codec_and_a_version_2_manifest_reads_as_plain_records()
    {
        using var spool = Spool(Deflated, 500);
        var v3 = spool.Manifest.Encode();
        var plain = BatchManifest.Of(Plain, [new byte[10_000], new byte[3]]).Encode();
        byte[] v2 = [2, .. plain[1..9], .. plain[10..]]; // the earlier header had no codec byte

        Assert.Equal(Deflated, BatchManifest.Decode(v3).Layout);
        var old = BatchManifest.Decode(v2);
        Assert.Equal(Plain, old.Layout);
        Assert.Equal(2, old.BatchCount);
        Assert.Contains("content codec", Assert.Throws<InvalidDataException>(() => BatchManifest.Decode([3, .. v3[1..9], 7, .. v3[10..]])).Message);
    }

    [Fact]
    public void Codec_settings_parse_by_name_and_anything_else_names_the_setting()
    {
        Assert.Equal(ContentCodec.Deflate, BatchContent.Parse(" Deflate ", "actorsync.data.compression"));
        Assert.Equal(ContentCodec.None, BatchContent.Parse("none", "actorsync.data.compression"));
        Assert.Equal("deflate", ContentCodec.Deflate.Name());
        Assert.Contains("actorsync.data.compression", Assert.Throws<ArgumentException>(() => BatchContent.Parse("zstd", "actorsync.data.compression")).Message);
    }

    private static SegmentSpool Spool(SegmentLayout layout, int rows)
    {
        var spool = new SegmentSpool(2, layout);
        for (int i = 0; i < rows; i++)
            spool.Add(i % 2, Encoding.UTF8.GetBytes($"{i};{30 + i % 40};technician;married;secondary;no;{i * 7 % 5000};yes;no;cellular;{i % 31};may;{i % 900}"));
        spool.Finish();
        return spool;
    }
}
