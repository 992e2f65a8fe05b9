using System.Reflection;
using Akka.Configuration;

namespace ActorSync.Cluster;

/// <summary>
/// The HOCON under hocon/ (embedded in this assembly) plus overrides from the environment. A variable such as
/// ACTORSYNC__AKKA__REMOTE__DOT_NETTY__TCP__PORT=4053 sets akka.remote.dot-netty.tcp.port: double underscores
/// separate path segments, single underscores become dashes, and names are lower-cased.
/// </summary>
public static class ClusterConfig
{
    public const string EnvironmentPrefix = "ACTORSYNC__";

    /// <summary>An embedded file from hocon/, e.g. "base.conf".</summary>
    public static Config Embedded(string file)
    {
        using var stream = typeof(ClusterConfig).Assembly.GetManifestResourceStream("hocon." + file)
            ?? throw new InvalidOperationException($"hocon/{file} is not embedded in {typeof(ClusterConfig).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }

    /// <summary>Settings from ACTORSYNC__ environment variables, highest priority.</summary>
    public static Config FromEnvironment(IDictionary<string, string?>? variables = null)
    {
        variables ??= Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value);
        var lines = variables
            .Where(v => v.Key.StartsWith(EnvironmentPrefix, StringComparison.Ordinal) && v.Value is not null)
            .OrderBy(v => v.Key, StringComparer.Ordinal)
            .Select(v => $"{ToPath(v.Key[EnvironmentPrefix.Length..])} = {Quote(v.Value!)}");
        return ConfigurationFactory.ParseString(string.Join("\n", lines));
    }

    /// <summary>The SQL journal and snapshot store of one node, in the SQLite file at <paramref name="journalPath"/>.</summary>
    public static Config ForNodeJournal(string journalPath)
    {
        var connection = Quote($"Data Source={Path.GetFullPath(journalPath)}");
        return ConfigurationFactory.ParseString($"""
            actorsync.node.journal-path = {Quote(Path.GetFullPath(journalPath))}
            akka.persistence.journal.sql.connection-string = {connection}
            akka.persistence.snapshot-store.sql.connection-string = {connection}
            """)
            .WithFallback(Embedded("persistence-sqlite.conf"))
            .WithFallback(Akka.Persistence.Sql.SqlPersistence.DefaultConfiguration);
    }

    public static readonly string[] Roles = ["orchestrator", "hub", "node"];

    /// <summary>
    /// A cluster member: cluster.conf, the role's file, its host name, port (0 picks a free one) and seed nodes
    /// (addresses such as akka.tcp://actorsync@127.0.0.1:4053).
    /// </summary>
    public static Config ForMember(string role, string hostname = "127.0.0.1", int port = 0, IReadOnlyList<string>? seeds = null)
    {
        if (!Roles.Contains(role))
            throw new ArgumentException($"role '{role}' is not one of: {string.Join(", ", Roles)}.", nameof(role));
        if (port is < 0 or > 65535)
            throw new ArgumentOutOfRangeException(nameof(port), port, $"port must be between 0 and 65535; got {port}.");
        var seedList = string.Join(", ", (seeds ?? []).Select(Quote));
        return ConfigurationFactory.ParseString($"""
                akka.remote.dot-netty.tcp.hostname = {Quote(hostname)}
                akka.remote.dot-netty.tcp.port = {port}
                akka.cluster.seed-nodes = [{seedList}]
                """)
            .WithFallback(Embedded($"role-{role}.conf"))
            .WithFallback(Embedded("cluster.conf"));
    }

    /// <summary>base.conf with the given configs layered above it, and environment overrides above all.</summary>
    public static Config Compose(params Config[] layers)
    {
        var config = FromEnvironment();
        foreach (var layer in layers) config = config.WithFallback(layer);
        return config.WithFallback(Embedded("base.conf"));
    }

    private static string ToPath(string variable) =>
        string.Join(".", variable.Split("__").Select(part => part.Replace('_', '-').ToLowerInvariant()));

    private static string Quote(string value) =>
        "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
