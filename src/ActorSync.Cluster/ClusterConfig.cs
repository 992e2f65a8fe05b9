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
        variables ??= CurrentEnvironment();
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

    public static readonly string[] Roles = ["orchestrator", "hub", "node", "seed"];

    /// <summary>
    /// The short environment variables an operator sets (docker/cluster.env, docker/.env, the launcher), each mapped to
    /// one setting. ACTORSYNC__ variables still override any setting, these included.
    /// </summary>
    public static readonly IReadOnlyList<EnvironmentSetting> Variables =
    [
        new("ACTORSYNC_ROLE", "actorsync.member.role", SettingKind.Text, "seed, orchestrator, hub-b, hub-c or node"),
        new("ACTORSYNC_NODE", "actorsync.member.node", SettingKind.Number, "the node's index, 1 to K (role node)"),
        new("ACTORSYNC_SEEDS", "akka.cluster.seed-nodes", SettingKind.List, "comma-separated seed addresses, akka.tcp://actorsync@host:port"),
        new("ACTORSYNC_HOSTNAME", "akka.remote.dot-netty.tcp.hostname", SettingKind.Text, "the address to bind"),
        new("ACTORSYNC_PUBLIC_HOSTNAME", "akka.remote.dot-netty.tcp.public-hostname", SettingKind.Text, "the address other members reach this one at"),
        new("ACTORSYNC_PORT", "akka.remote.dot-netty.tcp.port", SettingKind.Number, "the cluster port (0 picks a free one)"),
        new("ACTORSYNC_K", "actorsync.orchestrator.nodes", SettingKind.Number, "K, the number of nodes"),
        new("ACTORSYNC_R", "actorsync.orchestrator.redundancy", SettingKind.Number, "r, the nodes each batch is placed on"),
        new("ACTORSYNC_ETA", "actorsync.orchestrator.eta", SettingKind.Number, "η: N = η·C(K, r) batches"),
        new("ACTORSYNC_SCHEME", "actorsync.orchestrator.scheme", SettingKind.Text, "delivery: leader or thesis-man (coded), partial or direct (uncoded baselines)"),
        new("ACTORSYNC_TABLES", "actorsync.orchestrator.tables", SettingKind.List, "comma-separated source tables or patterns such as sales_* (empty: all)"),
        new("ACTORSYNC_EXCLUDE_TABLES", "actorsync.orchestrator.exclude-tables", SettingKind.List, "comma-separated tables or patterns left out"),
        new("ACTORSYNC_EXCLUDE_COLUMNS", "actorsync.orchestrator.exclude-columns", SettingKind.List, "comma-separated table.column entries left out (not key columns)"),
        new("ACTORSYNC_MYSQL", "actorsync.member.source.mysql", SettingKind.Text, "hub-b: the MySQL/MariaDB connection string"),
        new("ACTORSYNC_SOURCE_SQLITE", "actorsync.member.source.sqlite", SettingKind.Text, "hub-b: a SQLite file standing in for MySQL (instead of ACTORSYNC_MYSQL)"),
        new("ACTORSYNC_SQLITE", "actorsync.member.destination", SettingKind.Text, "hub-c: the SQLite destination file"),
        new("ACTORSYNC_DATA_DIR", "actorsync.member.data-dir", SettingKind.Text, "where nodes keep their journals and hub-b its spool"),
        new("ACTORSYNC_JOURNAL", "actorsync.member.journal.kind", SettingKind.Text, "node journal: sqlite (default) or mariadb"),
        new("ACTORSYNC_JOURNAL_MYSQL", "actorsync.member.journal.mysql", SettingKind.Text, "node journal in MariaDB: its connection string"),
        new("ACTORSYNC_SOURCE_LATENCY", "actorsync.hub.source-link.latency", SettingKind.Text, "eval only: the shaped source link's latency, e.g. 20ms"),
        new("ACTORSYNC_SOURCE_BANDWIDTH", "actorsync.hub.source-link.bytes-per-second", SettingKind.Number, "eval only: the shaped source link's bytes per second (0: unshaped)"),
        new("ACTORSYNC_CHAOS", "actorsync.chaos.enabled", SettingKind.Text, "chaos tests only: on lets nodes take `fault inject` (default off)"),
        new("ACTORSYNC_CHAOS_ARM", "actorsync.chaos.arm-on-start", SettingKind.Text, "chaos tests only: a node damages packets from its start, FAULT:COUNT:KIND"),
        new("ACTORSYNC_TOKEN", "actorsync.member.commands.token", SettingKind.Text, "the command endpoint's admin token, for every command (required for it to listen; 32 characters or more)"),
        new("ACTORSYNC_READ_TOKEN", "actorsync.member.commands.read-token", SettingKind.Text, "the command endpoint's read-only token: show, list and status commands only (optional; 32 characters or more)"),
        new("ACTORSYNC_COMMAND_HOST", "actorsync.member.commands.host", SettingKind.Text, "the command endpoint's bind address"),
        new("ACTORSYNC_COMMAND_PORT", "actorsync.member.commands.port", SettingKind.Number, "the command endpoint's port (0: off)"),
        new("ACTORSYNC_METRICS_HOST", "actorsync.member.metrics.host", SettingKind.Text, "the Prometheus endpoint's bind address"),
        new("ACTORSYNC_METRICS_PORT", "actorsync.member.metrics.port", SettingKind.Number, "the Prometheus endpoint's port (0: off)"),
        new("ACTORSYNC_TLS_CERT", "actorsync.member.tls.certificate", SettingKind.Text, "this member's PKCS#12 (.pfx) file, {member} standing for its name: turns mutual TLS on between members"),
        new("ACTORSYNC_TLS_PASSWORD", "actorsync.member.tls.password", SettingKind.Text, "the certificate's password"),
        new("ACTORSYNC_TLS_CA", "actorsync.member.tls.ca", SettingKind.Text, "the CA (PEM) whose member certificates are trusted, and no other"),
        new("ACTORSYNC_TLS_PEERS", "actorsync.member.tls.pinned-thumbprints", SettingKind.List, "comma-separated SHA-256 thumbprints of the only member certificates trusted (instead of, or with, the CA)"),
    ];

    /// <summary>Settings from the short ACTORSYNC_* variables of <see cref="Variables"/>.</summary>
    public static Config FromOperatorEnvironment(IDictionary<string, string?>? variables = null)
    {
        variables ??= CurrentEnvironment();
        var lines = new List<string>();
        foreach (var setting in Variables)
        {
            if (!variables.TryGetValue(setting.Variable, out var value) || value is null) continue;
            lines.Add(setting.Kind switch
            {
                SettingKind.Number when !long.TryParse(value, out _) =>
                    throw new ConfigurationException($"{setting.Variable} = '{value}' is not a whole number ({setting.Meaning})."),
                SettingKind.Number => $"{setting.Path} = {value}",
                SettingKind.List => $"{setting.Path} = [{string.Join(", ", value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Quote))}]",
                _ => $"{setting.Path} = {Quote(value)}",
            });
        }
        return ConfigurationFactory.ParseString(string.Join("\n", lines));
    }

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
        var config = FromEnvironment().WithFallback(FromOperatorEnvironment());
        foreach (var layer in layers) config = config.WithFallback(layer);
        // Akka.Streams' defaults, its StreamRefs serializer among them: a member must know it before the first stream reference arrives.
        return config.WithFallback(Embedded("base.conf")).WithFallback(Akka.Streams.ActorMaterializer.DefaultConfig());
    }

    private static Dictionary<string, string?> CurrentEnvironment() =>
        Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>().ToDictionary(e => (string)e.Key, e => (string?)e.Value);

    private static string ToPath(string variable) =>
        string.Join(".", variable.Split("__").Select(part => part.Replace('_', '-').ToLowerInvariant()));

    private static string Quote(string value) =>
        "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}

public enum SettingKind
{
    Text,
    Number,
    List,
}

/// <summary>A short environment variable, the setting it sets, and what it means (for the docs and errors).</summary>
public sealed record EnvironmentSetting(string Variable, string Path, SettingKind Kind, string Meaning);
