using ActorSync.Data.MySql;

namespace ActorSync.TestSupport;

/// <summary>A real mariadbd per test class or collection (see <see cref="LocalMariaDb"/>): it fails, never skips, when MariaDB is missing.</summary>
public sealed class MariaDbServer : IAsyncLifetime
{
    private LocalMariaDb? _server;

    private LocalMariaDb Server => _server ?? throw new InvalidOperationException("the MariaDB fixture has not started.");

    public int Port => Server.Port;
    public string User => Server.User;
    public string Password => Server.Password;
    public string Socket => Server.Socket;

    public string ConnectionString(string database = "") => Server.ConnectionString(database);

    public async Task InitializeAsync() => _server = await LocalMariaDb.StartNewAsync();

    public Task StopAsync() => Server.StopAsync();

    public Task StartAsync() => Server.StartAsync();

    public Task<string> CreateDatabaseAsync(string name) => Server.CreateDatabaseAsync(name);

    public Task ExecuteAsync(string connectionString, string sql) => Server.ExecuteAsync(connectionString, sql);

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }
}
