using Attest.Log.Engine;
using Attest.Log.Sequencing;
using Attest.Log.Storage;
using Attest.Provenance;
using Attest.Provenance.Registry;
using Attest.Provenance.Signing;

namespace Attest.Log.Admission;

/// <summary>
/// The builder registry of a running log: replayed from the log's own registry-change entries at start-up, changed
/// only by appending new admin-signed changes (so the history of who could write is public), and consulted by
/// admission. Changes are serialised so each one is checked against the state it will actually follow.
/// </summary>
public sealed class BuilderAdministration : IDisposable
{
    private readonly LogEngine _engine;
    private readonly IdentityKey _adminKey;
    private readonly SemaphoreSlim _changes = new(1, 1);

    private BuilderAdministration(LogEngine engine, IdentityKey adminKey, BuilderRegistry registry)
    {
        _engine = engine;
        _adminKey = adminKey;
        Registry = registry;
    }

    /// <summary>The current registry (lock-free snapshots; used as the admission key resolver).</summary>
    public BuilderRegistry Registry { get; }

    /// <summary>The admin verifier key that registry changes in this log are signed with.</summary>
    public IdentityPublicKey AdminKey => _adminKey.PublicKey;

    /// <summary>Replays every registry change in the log, in order, checking each admin signature.</summary>
    /// <exception cref="LogStoreException">A registry entry does not parse or is not signed by the admin key.</exception>
    public static BuilderAdministration Load(LogEngine engine, IdentityKey adminKey)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(adminKey);
        var registry = new BuilderRegistry();
        long after = -1;
        while (true)
        {
            var page = engine.Store.Search(SearchKind.Registry, "", after, 1024);
            foreach (var index in page)
            {
                var entry = engine.Store.GetEntry(index)
                    ?? throw new LogStoreException($"Registry entry {index} is indexed but missing. Refusing to start.");
                if (!RegistryChange.TryParseLogEntry(entry, adminKey.PublicKey, out var change, out var error))
                {
                    throw new LogStoreException($"Registry entry {index} does not verify with the admin key {adminKey.PublicKey} ({error}); is this the right admin key file? Refusing to start.");
                }

                // A change the rules refuse was never applied when it was logged either; replay skips it the same way.
                registry.TryApply(change, out _);
            }

            if (page.Count < 1024)
            {
                return new BuilderAdministration(engine, adminKey, registry);
            }

            after = page[^1];
        }
    }

    /// <summary>Registers (or re-activates) a builder key by appending an admin-signed change; returns its log index.</summary>
    /// <exception cref="InvalidOperationException">The key is already active.</exception>
    public Task<long> AddAsync(IdentityPublicKey builder, string operatorName, string? group, string reason, CancellationToken cancellationToken) =>
        ChangeAsync(new RegistryChange(RegistryAction.Add, builder, operatorName, group, DateTimeOffset.UtcNow, reason), cancellationToken);

    /// <summary>Revokes an active builder key by appending an admin-signed change; returns its log index.</summary>
    /// <exception cref="InvalidOperationException">The key is unknown or not active.</exception>
    public Task<long> RevokeAsync(string keyId, string operatorName, string reason, CancellationToken cancellationToken)
    {
        if (!Registry.TryResolve(keyId, out var builder))
        {
            throw new InvalidOperationException($"No builder key with id {keyId} was ever registered.");
        }

        return ChangeAsync(new RegistryChange(RegistryAction.Revoke, builder.Key, operatorName, builder.Group, DateTimeOffset.UtcNow, reason), cancellationToken);
    }

    private async Task<long> ChangeAsync(RegistryChange change, CancellationToken cancellationToken)
    {
        await _changes.WaitAsync(cancellationToken);
        try
        {
            if (!Registry.CanApply(change, out var refusal))
            {
                throw new InvalidOperationException(refusal);
            }

            var document = change.ToLogEntry(_adminKey);
            var entry = new LogEntry(
                document,
                [new SearchTerm(SearchKind.Registry, ""), new SearchTerm(SearchKind.Builder, change.Builder.KeyId)],
                new BuilderChange(change.Builder.KeyId, change.Builder.ToString(), change.Builder.Name, change.Action == RegistryAction.Revoke));
            var result = await _engine.SubmitAsync(entry);
            Registry.Apply(change);
            return result.Index;
        }
        catch (DocumentException ex)
        {
            throw new InvalidOperationException(ex.Message, ex);
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _changes.Dispose();
}
