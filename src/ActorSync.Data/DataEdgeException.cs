namespace ActorSync.Data;

/// <summary>An expected failure at the database edge, with a message that names the host, database, table or column.</summary>
public sealed class DataEdgeException(string message, Exception? inner = null) : Exception(message, inner);
