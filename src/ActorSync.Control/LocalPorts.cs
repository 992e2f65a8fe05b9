using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace ActorSync.Control;

/// <summary>Ports for processes started on this machine: the launcher's members, a throwaway mariadbd.</summary>
public static class LocalPorts
{
    private static readonly HashSet<int> Handed = [];

    /// <summary>
    /// A port that binds now, below the kernel's ephemeral range: a port from that range, free when picked, can be
    /// taken by an outgoing connection before the member binds it (seen when many clusters start one after another).
    /// </summary>
    public static int Free()
    {
        int ceiling = 32768;
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            ceiling = int.Parse(range[0], CultureInfo.InvariantCulture);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            // not Linux, or hidden: keep the usual floor of the ephemeral range
        }
        int floor = Math.Min(20000, ceiling / 2);
        for (int attempt = 0; attempt < 200; attempt++)
        {
            int port = Random.Shared.Next(floor, ceiling);
            lock (Handed) if (Handed.Contains(port)) continue;
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                lock (Handed) Handed.Add(port);
                return port;
            }
            catch (SocketException)
            {
                // taken: try another
            }
        }
        throw new InvalidOperationException($"no free port between {floor} and {ceiling} after 200 tries.");
    }
}
