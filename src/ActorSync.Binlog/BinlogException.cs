namespace ActorSync.Binlog;

/// <summary>The binlog could not be read; the message says what the server or the stream did.</summary>
public class BinlogException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The server's error number when it sent one (1236: the position is no longer in the binlog).</summary>
    public int ServerError { get; init; }
}

/// <summary>The position asked for has been purged from the server's binlog (or never existed): re-snapshot.</summary>
public sealed class BinlogPurgedException(string message) : BinlogException(message)
{
}
