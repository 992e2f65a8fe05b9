using System.Text;
using ActorSync.Control;

namespace ActorSync.Cli.Tests;

public class BoundedLineReaderTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(4096)]
    public async Task Lines_come_back_whole_however_the_bytes_are_cut(int chunk)
    {
        var random = new Random(chunk);
        var lines = Enumerable.Range(0, 200).Select(i => new string((char)('a' + i % 26), random.Next(0, 300)) + "é").ToArray();
        var bytes = Encoding.UTF8.GetBytes(string.Join("", lines.Select((l, i) => l + (i % 2 == 0 ? "\n" : "\r\n"))));
        var reader = new BoundedLineReader(new ChunkedStream(bytes, chunk), 1024);

        var read = new List<string>();
        while (await reader.ReadLineAsync(CancellationToken.None) is { } line) read.Add(line);

        Assert.Equal(lines, read);
    }

    [Fact]
    public async Task A_line_at_the_limit_passes_and_one_byte_more_is_refused_before_its_end_arrives()
    {
        var atLimit = new BoundedLineReader(new ChunkedStream(Encoding.ASCII.GetBytes(new string('x', 100) + "\r\n"), 13), 100);
        Assert.Equal(100, (await atLimit.ReadLineAsync(CancellationToken.None))!.Length);

        var endless = new EndlessStream();
        var over = new BoundedLineReader(endless, 100);
        await Assert.ThrowsAsync<LineTooLongException>(() => over.ReadLineAsync(CancellationToken.None));
        Assert.True(endless.Served <= 200, $"{endless.Served} bytes read for a 100-byte limit");
    }

    private sealed class ChunkedStream(byte[] bytes, int chunk) : MemoryStream(bytes)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);
    }

    /// <summary>A peer that sends 'a' forever, never a newline.</summary>
    private sealed class EndlessStream : Stream
    {
        public long Served { get; private set; }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => Served; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = Math.Min(count, 7);
            buffer.AsSpan(offset, n).Fill((byte)'a');
            Served += n;
            return n;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
