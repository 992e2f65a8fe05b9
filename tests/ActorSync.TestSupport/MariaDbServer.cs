using ActorSync.Data.MySql;
using ActorSync.Tooling;

namespace ActorSync.TestSupport;

/// <summary>A real mariadbd per test class or collection (see <see cref="LocalMariaDb"/>): it fails, never skips, when MariaDB is missing.</summary>
public class MariaDbServer : IAsyncLifetime
{
    private LocalMariaDb? _server;

    private LocalMariaDb Server => _server ?? throw new InvalidOperationException("the MariaDB fixture has not started.");

    public int Port => Server.Port;
    public string User => Server.User;
    public string Password => Server.Password;
    public string Socket => Server.Socket;

    public string ConnectionString(string database = "") => Server.ConnectionString(database);

    /// <summary>Whether the server writes a ROW binlog (change capture tests).</summary>
    protected virtual bool BinaryLog => false;

    public async Task InitializeAsync() => _server = await LocalMariaDb.StartNewAsync(BinaryLog);

    public Task StopAsync() => Server.StopAsync();

    public Task StartAsync() => Server.StartAsync();

    public Task<string> CreateDatabaseAsync(string name) => Server.CreateDatabaseAsync(name);

    public Task ExecuteAsync(string connectionString, string sql) => Server.ExecuteAsync(connectionString, sql);

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }
}

/// <summary>A real mariadbd with <c>--log-bin --binlog-format=ROW --binlog-row-image=FULL</c>, for change capture.</summary>
public sealed class BinlogMariaDbServer : MariaDbServer
{
    protected override bool BinaryLog => true;
}
