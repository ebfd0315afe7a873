using Microsoft.Data.Sqlite;

namespace PluggableSnapshotter.Host.Metadata;

/// <summary>
/// The snapshotter's metadata database (<c>&lt;root&gt;/metadata.db</c>, SQLite). Every operation runs in one transaction
/// under a single writer lock, as containerd's bolt store does: it commits whole or rolls back whole.
/// </summary>
internal sealed class MetaStore : IAsyncDisposable
{
    private const string Schema = """
        PRAGMA journal_mode = WAL;
        PRAGMA synchronous = FULL;
        PRAGMA foreign_keys = ON;
        CREATE TABLE IF NOT EXISTS snapshots (
            id      INTEGER PRIMARY KEY AUTOINCREMENT,
            name    TEXT    NOT NULL UNIQUE,
            kind    INTEGER NOT NULL,
            parent  INTEGER REFERENCES snapshots(id),
            labels  TEXT    NOT NULL,
            created INTEGER NOT NULL,
            updated INTEGER NOT NULL,
            size    INTEGER NOT NULL DEFAULT 0,
            inodes  INTEGER NOT NULL DEFAULT 0,
            lowers  TEXT
        );
        CREATE INDEX IF NOT EXISTS snapshots_parent ON snapshots(parent);
        """;

    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _lock = new(1, 1);

    private MetaStore(SqliteConnection connection) => _connection = connection;

    /// <summary>Opens (or creates) the database at <paramref name="path"/>.</summary>
    public static async Task<MetaStore> OpenAsync(string path, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString());
        try
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = Schema;
            await command.ExecuteNonQueryAsync(cancellationToken);
            return new MetaStore(connection);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Every snapshot in the database at <paramref name="path"/>, read in one read transaction without writing anything and
    /// without the daemon's lock: WAL lets this run beside a daemon that has the database open (<c>why</c> does).
    /// </summary>
    /// <exception cref="SqliteException">There is no database at the path, or it cannot be read.</exception>
    public static async Task<IReadOnlyList<SnapshotInfo>> ReadSnapshotsAsync(string path, CancellationToken cancellationToken)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            // Not ReadOnly: a read-only connection cannot create the WAL index a stopped daemon's database may lack.
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = false,
        }.ToString());
        await connection.OpenAsync(cancellationToken);
        using var transaction = connection.BeginTransaction(deferred: true);
        return new SnapshotTable(connection, transaction).All();
    }

    /// <summary>
    /// Loads SQLite's native library and this store's ADO.NET path (open, schema, a transaction) on an in-memory
    /// database, so the real open at startup finds them loaded. Start-up runs it on another CPU while the host is built.
    /// Failures are left to the real open, which reports them with the database's path.
    /// </summary>
    public static async Task WarmUpAsync()
    {
        try
        {
            await using var store = await OpenAsync(":memory:", CancellationToken.None);
            await store.TransactAsync(table => table.All().Count, CancellationToken.None);
        }
        catch (Exception e) when (e is SqliteException or InvalidOperationException or DllNotFoundException or IOException)
        {
            // The real open says what is wrong.
        }
    }

    /// <summary>Runs <paramref name="work"/> in a transaction that commits when it returns and rolls back when it throws.</summary>
    public async Task<T> TransactAsync<T>(Func<SnapshotTable, T> work, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            using var transaction = _connection.BeginTransaction();
            var result = work(new SnapshotTable(_connection, transaction));
            transaction.Commit();
            return result;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Like <see cref="TransactAsync{T}(Func{SnapshotTable, T}, CancellationToken)"/>, with async work done inside the transaction.</summary>
    public async Task<T> TransactAsync<T>(Func<SnapshotTable, Task<T>> work, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            using var transaction = _connection.BeginTransaction();
            var result = await work(new SnapshotTable(_connection, transaction));
            transaction.Commit();
            return result;
        }
        finally
        {
            _lock.Release();
        }
    }

    private bool _disposed;

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        await _lock.WaitAsync();
        try
        {
            await _connection.DisposeAsync();
        }
        finally
        {
            _lock.Release();
            _lock.Dispose();
        }
    }
}
