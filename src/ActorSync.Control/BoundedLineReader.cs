using System.Text;

namespace ActorSync.Control;

/// <summary>A request line passed the limit before its newline; the connection should be cut.</summary>
public sealed class LineTooLongException(int limit) : IOException($"a request line is longer than {limit} bytes.");

/// <summary>
/// Reads newline-terminated UTF-8 lines from a stream, never holding more than one limit of bytes: a line that passes
/// the limit before its newline throws <see cref="LineTooLongException"/> at once, so a peer cannot make the reader
/// buffer gigabytes. Bytes after a line stay buffered for the next call. One reader at a time.
/// </summary>
public sealed class BoundedLineReader(Stream stream, int maxLineBytes)
{
    private readonly byte[] _buffer = new byte[maxLineBytes + 2]; // the line, and its \r\n
    private int _start, _end;

    /// <returns>The next line without its line end, or null once the stream has ended (a partial last line is dropped).</returns>
    public async Task<string?> ReadLineAsync(CancellationToken cancellation)
    {
        int searched = _start;
        while (true)
        {
            int newline = Array.IndexOf(_buffer, (byte)'\n', searched, _end - searched);
            if (newline >= 0)
            {
                int length = newline - _start;
                if (length > 0 && _buffer[newline - 1] == '\r') length--;
                if (length > maxLineBytes) throw new LineTooLongException(maxLineBytes);
                var line = Encoding.UTF8.GetString(_buffer, _start, length);
                _start = newline + 1;
                return line;
            }
            if (_end - _start > maxLineBytes + 1) throw new LineTooLongException(maxLineBytes);
            if (_end == _buffer.Length)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            searched = _end;
            int read = await stream.ReadAsync(_buffer.AsMemory(_end), cancellation);
            if (read == 0) return null;
            _end += read;
        }
    }
}
