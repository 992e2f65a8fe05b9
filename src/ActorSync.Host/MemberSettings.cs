using ActorSync.Cluster;
using Akka.Configuration;

namespace ActorSync.Host;

/// <summary>This process's part in the cluster (actorsync.member in hocon/base.conf), checked before anything starts.</summary>
public sealed record MemberSettings(
    string Role,
    int Node,
    string DataDirectory,
    string SourceMySql,
    string SourceSqlite,
    string Destination,
    string JournalKind,
    string JournalMySql,
    string CommandHost,
    int CommandPort,
    string Token,
    string ReadToken,
    CommandLimits CommandLimits,
    string MetricsHost,
    int MetricsPort,
    TimeSpan ShutdownTimeout)
{
    public static readonly string[] MemberRoles = ["seed", "orchestrator", "hub-b", "hub-c", "node"];

    /// <summary>The Akka cluster role behind the member role (hub-b and hub-c are both hubs).</summary>
    public string ClusterRole => Role.StartsWith("hub-", StringComparison.Ordinal) ? "hub" : Role;

    /// <summary>The name in logs and metrics: node-2, hub-b, orchestrator.</summary>
    public string Name => Role == "node" ? $"node-{Node}" : Role;

    public static MemberSettings From(Config config)
    {
        var m = config.GetConfig("actorsync.member")
            ?? throw new ConfigurationException("the setting actorsync.member is missing; hocon/base.conf holds its defaults.");
        var role = m.GetString("role", "");
        if (!MemberRoles.Contains(role))
            throw new ConfigurationException($"actorsync.member.role (ACTORSYNC_ROLE) = '{role}' is not one of: {string.Join(", ", MemberRoles)}.");
        int nodes = config.GetInt("actorsync.orchestrator.nodes");
        int node = m.GetInt("node");
        if (role == "node" && (node < 1 || node > nodes))
            throw new ConfigurationException($"actorsync.member.node (ACTORSYNC_NODE) = {node}: a node's index must be 1 to K = {nodes} (ACTORSYNC_K).");
        CheckSeeds(config.GetStringList("akka.cluster.seed-nodes") ?? []);
        var settings = new MemberSettings(role, node,
            m.GetString("data-dir", "data"),
            m.GetString("source.mysql", ""),
            m.GetString("source.sqlite", ""),
            m.GetString("destination", ""),
            m.GetString("journal.kind", "sqlite"),
            m.GetString("journal.mysql", ""),
            m.GetString("commands.host", "127.0.0.1"),
            Port(m, "commands.port"),
            Secret(m, "commands.token", "ACTORSYNC_TOKEN"),
            Secret(m, "commands.read-token", "ACTORSYNC_READ_TOKEN"),
            new CommandLimits(Positive(m, "commands.max-connections"), m.GetTimeSpan("commands.idle-timeout", CommandLimits.Default.IdleTimeout)),
            m.GetString("metrics.host", "127.0.0.1"),
            Port(m, "metrics.port"),
            m.GetTimeSpan("shutdown-timeout", TimeSpan.FromSeconds(20)));
        if (settings.ReadToken.Length > 0 && settings.ReadToken == settings.Token)
            throw new ConfigurationException("actorsync.member.commands.read-token (ACTORSYNC_READ_TOKEN) equals the admin token (ACTORSYNC_TOKEN); give it its own value.");
        if (role == "hub-b" && settings.SourceMySql.Length == 0 && settings.SourceSqlite.Length == 0)
            throw new ConfigurationException("hub-b needs its source: set actorsync.member.source.mysql (ACTORSYNC_MYSQL) to a MySQL/MariaDB connection string, " +
                                             "or actorsync.member.source.sqlite (ACTORSYNC_SOURCE_SQLITE) to a SQLite file standing in for it.");
        if (role == "hub-b" && settings.SourceMySql.Length > 0 && settings.SourceSqlite.Length > 0)
            throw new ConfigurationException("hub-b has two sources: set only one of actorsync.member.source.mysql (ACTORSYNC_MYSQL) and actorsync.member.source.sqlite (ACTORSYNC_SOURCE_SQLITE).");
        if (role == "hub-c" && settings.Destination.Length == 0)
            throw new ConfigurationException("hub-c needs its destination: set actorsync.member.destination (ACTORSYNC_SQLITE) to a SQLite file path.");
        if (role == "node" && settings.JournalKind is not ("sqlite" or "mariadb"))
            throw new ConfigurationException($"actorsync.member.journal.kind (ACTORSYNC_JOURNAL) = '{settings.JournalKind}' is not sqlite or mariadb.");
        if (role == "node" && settings.JournalKind == "mariadb" && settings.JournalMySql.Length == 0)
            throw new ConfigurationException("a MariaDB journal needs actorsync.member.journal.mysql (ACTORSYNC_JOURNAL_MYSQL), a connection string.");
        return settings;
    }

    public const int MinTokenLength = 32;

    /// <summary>A token: empty (off), or long and not a placeholder copied from an example file.</summary>
    private static string Secret(Config m, string path, string variable)
    {
        var value = m.GetString(path, "");
        if (value.Length == 0) return value;
        if (value.StartsWith("change-me", StringComparison.OrdinalIgnoreCase))
            throw new ConfigurationException($"actorsync.member.{path} ({variable}) is still the example's placeholder; set it to a random string (e.g. openssl rand -hex 24).");
        if (value.Length < MinTokenLength)
            throw new ConfigurationException($"actorsync.member.{path} ({variable}) has {value.Length} characters; it needs {MinTokenLength} or more (e.g. openssl rand -hex 24).");
        return value;
    }

    private static int Positive(Config m, string path)
    {
        int value = m.GetInt(path, CommandLimits.Default.MaxConnections);
        return value >= 1 ? value : throw new ConfigurationException($"actorsync.member.{path} = {value} must be at least 1.");
    }

    /// <summary>A seed with another system name or no port is never joined, silently: refuse it up front.</summary>
    private static void CheckSeeds(IList<string> seeds)
    {
        foreach (var seed in seeds)
        {
            Akka.Actor.Address address;
            try
            {
                address = Akka.Actor.Address.Parse(seed);
            }
            catch (Exception error) when (error is UriFormatException or ArgumentException or FormatException)
            {
                throw new ConfigurationException($"akka.cluster.seed-nodes (ACTORSYNC_SEEDS): '{seed}' is not a member address like akka.tcp://actorsync@host:4053 ({error.Message}).");
            }
            if (address.System != "actorsync" || address.Host is not { Length: > 0 } || address.Port is not (> 0 and <= 65535))
                throw new ConfigurationException($"akka.cluster.seed-nodes (ACTORSYNC_SEEDS): '{seed}' must name the system actorsync, a host and a port, " +
                                                 "like akka.tcp://actorsync@host:4053.");
        }
    }

    private static int Port(Config section, string key)
    {
        int port = section.GetInt(key);
        return port is >= 0 and <= 65535 ? port : throw new ConfigurationException($"actorsync.member.{key} = {port} is not a port (0 to 65535).");
    }
}
