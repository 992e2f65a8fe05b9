using System.Globalization;
using Akka.Actor;
using Akka.Dispatch;
using Akka.Event;

namespace ActorSync.Host;

/// <summary>
/// Akka's logger for the host: one logfmt line per event on stdout (time, level, member, source, message), which
/// log shippers parse without configuration, and a copy kept for `log peek`.
/// </summary>
public sealed class StructuredLogger : ReceiveActor, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    private readonly string _member;

    public StructuredLogger()
    {
        var config = Context.System.Settings.Config;
        var role = config.GetString("actorsync.member.role", "");
        _member = role == "node" ? $"node-{config.GetInt("actorsync.member.node")}" : role.Length > 0 ? role : "member";
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(Write);
    }

    private void Write(LogEvent e)
    {
        var level = e.LogLevel() switch
        {
            LogLevel.DebugLevel => "debug",
            LogLevel.InfoLevel => "info",
            LogLevel.WarningLevel => "warn",
            _ => "error",
        };
        var line = $"ts={e.Timestamp.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture)} level={level} " +
                   $"member={_member} source={Quote(e.LogSource)} msg={Quote(e.Message?.ToString() ?? "")}" +
                   (e.Cause is null ? "" : $" error={Quote(e.Cause.GetType().Name + ": " + e.Cause.Message)}");
        RecentLog.Add(line);
        Console.Out.WriteLine(line);
    }

    public static string Quote(string value) =>
        "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)
            .Replace("\n", "\\n", StringComparison.Ordinal) + "\"";
}
