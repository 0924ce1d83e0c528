using System.Diagnostics.CodeAnalysis;
using Attest.Agent.Core.Internal;
using Attest.Nix;

namespace Attest.Agent.Core.NixTools;

/// <summary>
/// Nix's store database (<c>&lt;state&gt;/db/db.sqlite</c>, schema 10 as written by Nix 2.x), opened read-only:
/// the same facts <c>nix path-info --json</c> prints (registered NAR hash and size, references, deriver,
/// registration time) without starting a Nix process. The post-build hook runs after Nix committed the outputs'
/// registration, and Nix keeps the database in WAL mode, so a reader sees a consistent snapshot while Nix writes.
/// </summary>
/// <remarks>
/// Anything unexpected (no library, no file, another schema, a locked or corrupt database) is reported, and the
/// caller asks the Nix CLI instead; the database is never written.
/// </remarks>
public sealed class NixStoreDatabase : IDisposable
{
    /// <summary>The store database schema this reader understands (Nix 2.0 and later: <c>nixSchemaVersion = 10</c>).</summary>
    public const string SupportedSchema = "10";

    /// <summary>Most references read for one path.</summary>
    public const int MaxReferences = 1 << 20;

    /// <summary>How long a query waits for Nix's write lock before giving up.</summary>
    public const int BusyTimeoutMilliseconds = 5_000;

    private const int MaxTextBytes = 4096;
    private const string PathQuery = "SELECT id, hash, registrationTime, deriver, narSize FROM ValidPaths WHERE path = ?1";
    private const string ReferencesQuery =
        "SELECT p.path FROM Refs r JOIN ValidPaths p ON p.id = r.reference WHERE r.referrer = ?1";

    private IntPtr _db;
    private IntPtr _pathStatement;
    private IntPtr _referencesStatement;

    private NixStoreDatabase(string file, IntPtr db, IntPtr pathStatement, IntPtr referencesStatement)
    {
        FilePath = file;
        _db = db;
        _pathStatement = pathStatement;
        _referencesStatement = referencesStatement;
    }

    /// <summary>The database file.</summary>
    public string FilePath { get; }

    /// <summary>Where a store keeps its database: <c>$NIX_STATE_DIR</c> (default <c>/nix/var/nix</c>) under the store's root.</summary>
    /// <param name="store">The store.</param>
    /// <returns>The state directory.</returns>
    public static string StateDirectory(NixStoreLocation store)
    {
        ArgumentNullException.ThrowIfNull(store);
        // Nix's settings.nixStateDir comes from NIX_STATE_DIR; a chroot store keeps it under its root.
        return store.Root.Length == 0 && Environment.GetEnvironmentVariable("NIX_STATE_DIR") is { Length: > 0 } state
            ? Path.TrimEndingDirectorySeparator(state)
            : store.Root + "/nix/var/nix";
    }

    /// <summary>Opens a store's database read-only.</summary>
    /// <param name="store">The store (the default store or a chroot store).</param>
    /// <param name="database">The open database.</param>
    /// <param name="reason">Why it cannot be used, when it cannot.</param>
    /// <returns>Whether the database is open.</returns>
    public static bool TryOpen(NixStoreLocation store, [NotNullWhen(true)] out NixStoreDatabase? database, [NotNullWhen(false)] out string? reason)
    {
        ArgumentNullException.ThrowIfNull(store);
        database = null;
        var state = StateDirectory(store);
        var file = state + "/db/db.sqlite";
        string schema;
        try
        {
            var schemaFile = new FileInfo(state + "/db/schema");
            if (!schemaFile.Exists || schemaFile.Length > 16 || !File.Exists(file))
            {
                reason = $"'{file}' or its schema file does not exist";
                return false;
            }

            schema = File.ReadAllText(schemaFile.FullName).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            reason = $"cannot read '{state}/db/schema': {e.Message}";
            return false;
        }

        if (!string.Equals(schema, SupportedSchema, StringComparison.Ordinal))
        {
            reason = $"'{file}' has schema {schema}; this reader understands schema {SupportedSchema}";
            return false;
        }

        try
        {
            return OpenCore(file, out database, out reason);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            reason = $"the SQLite library is not available: {e.Message}";
            return false;
        }
    }

    /// <summary>What the database records about a path, or null when the path is not valid in this store.</summary>
    /// <param name="path">The path.</param>
    /// <returns>The metadata, or null.</returns>
    /// <exception cref="IOException">SQLite reported an error (e.g. the database stayed locked).</exception>
    /// <exception cref="InvalidDataException">A row holds something Nix does not write.</exception>
    public PathInfo? QueryPathInfo(StorePath path)
    {
        ObjectDisposedException.ThrowIf(_db == IntPtr.Zero, this);
        long id;
        NixHash narHash;
        long narSize;
        StorePath? deriver;
        DateTimeOffset? registeredAt;
        try
        {
            Check(Sqlite.BindText(_pathStatement, 1, path.FullPath, -1, Sqlite.Transient), "bind");
            var step = Sqlite.Step(_pathStatement);
            if (step == Sqlite.Done)
            {
                return null;
            }

            Check(step == Sqlite.Row ? Sqlite.Ok : step, "query ValidPaths");
            id = Sqlite.ColumnInt64(_pathStatement, 0);
            var hashText = Sqlite.ColumnString(_pathStatement, 1, MaxTextBytes);
            // The column holds "sha256:<base16>" (Nix 2.x); older rows may carry nix32, which NixHash also reads.
            if (hashText is null || !NixHash.TryParse(hashText, out narHash))
            {
                throw new InvalidDataException($"'{FilePath}': the hash '{hashText}' of {path} is not a Nix hash");
            }

            if (Sqlite.ColumnType(_pathStatement, 4) == Sqlite.Null)
            {
                throw new InvalidDataException($"'{FilePath}': {path} has no registered NAR size");
            }

            narSize = Sqlite.ColumnInt64(_pathStatement, 4);
            var seconds = Sqlite.ColumnInt64(_pathStatement, 2);
            registeredAt = seconds is > 0 and < 253402300799 ? DateTimeOffset.FromUnixTimeSeconds(seconds) : null;
            var deriverText = Sqlite.ColumnString(_pathStatement, 3, MaxTextBytes);
            deriver = string.IsNullOrEmpty(deriverText) ? null
                : StorePath.TryParse(deriverText, path.StoreDir, out var d) ? d
                : throw new InvalidDataException($"'{FilePath}': the deriver '{deriverText}' of {path} is not a store path");
        }
        finally
        {
            _ = Sqlite.Reset(_pathStatement);
        }

        if (narSize < 0)
        {
            throw new InvalidDataException($"'{FilePath}': {path} has a negative NAR size");
        }

        return new PathInfo(path, narHash, narSize, ReadReferences(path, id), deriver, registeredAt);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_db == IntPtr.Zero)
        {
            return;
        }

        _ = Sqlite.Finalize(_pathStatement);
        _ = Sqlite.Finalize(_referencesStatement);
        _ = Sqlite.Close(_db);
        _pathStatement = _referencesStatement = _db = IntPtr.Zero;
    }

    private static bool OpenCore(string file, [NotNullWhen(true)] out NixStoreDatabase? database, [NotNullWhen(false)] out string? reason)
    {
        database = null;
        // mode=ro: never write Nix's database, not even a journal; readers in WAL mode still share the -shm index.
        var uri = "file:" + Uri.EscapeDataString(file).Replace("%2F", "/", StringComparison.Ordinal) + "?mode=ro";
        var result = Sqlite.Open(uri, out var db, Sqlite.OpenReadOnly | Sqlite.OpenUri | Sqlite.OpenNoMutex, IntPtr.Zero);
        if (result != Sqlite.Ok)
        {
            reason = $"cannot open '{file}': {(db == IntPtr.Zero ? $"SQLite error {result}" : Sqlite.LastError(db))}";
            _ = Sqlite.Close(db);
            return false;
        }

        _ = Sqlite.BusyTimeout(db, BusyTimeoutMilliseconds);
        if (Sqlite.Prepare(db, PathQuery, -1, out var pathStatement, IntPtr.Zero) != Sqlite.Ok)
        {
            reason = $"'{file}' is not a Nix store database: {Sqlite.LastError(db)}";
            _ = Sqlite.Close(db);
            return false;
        }

        if (Sqlite.Prepare(db, ReferencesQuery, -1, out var referencesStatement, IntPtr.Zero) != Sqlite.Ok)
        {
            reason = $"'{file}' is not a Nix store database: {Sqlite.LastError(db)}";
            _ = Sqlite.Finalize(pathStatement);
            _ = Sqlite.Close(db);
            return false;
        }

        database = new NixStoreDatabase(file, db, pathStatement, referencesStatement);
        reason = null;
        return true;
    }

    private List<StorePath> ReadReferences(StorePath path, long id)
    {
        var references = new List<StorePath>();
        try
        {
            Check(Sqlite.BindInt64(_referencesStatement, 1, id), "bind");
            int step;
            while ((step = Sqlite.Step(_referencesStatement)) == Sqlite.Row)
            {
                if (references.Count == MaxReferences)
                {
                    throw new InvalidDataException($"'{FilePath}': {path} has more than {MaxReferences} references");
                }

                var text = Sqlite.ColumnString(_referencesStatement, 0, MaxTextBytes);
                references.Add(text is not null && StorePath.TryParse(text, path.StoreDir, out var reference)
                    ? reference
                    : throw new InvalidDataException($"'{FilePath}': a reference of {path} ('{text}') is not a store path"));
            }

            Check(step == Sqlite.Done ? Sqlite.Ok : step, "query Refs");
        }
        finally
        {
            _ = Sqlite.Reset(_referencesStatement);
        }

        references.Sort();
        return references;
    }

    private void Check(int result, string what)
    {
        if (result != Sqlite.Ok)
        {
            throw new IOException($"'{FilePath}': {what} failed: {Sqlite.LastError(_db)} (SQLite error {result})");
        }
    }
}
