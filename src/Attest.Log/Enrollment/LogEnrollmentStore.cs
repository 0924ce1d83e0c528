using System.Collections.Concurrent;
using Attest.Log.Admission;
using Attest.Log.Engine;
using Attest.Log.Sequencing;
using Attest.Log.Storage;
using Attest.Provenance;
using Attest.Provenance.Registry;
using Attest.Provenance.Signing;
using Attest.Tpm.Verification.Enrollment;

namespace Attest.Log.Enrollment;

/// <summary>
/// The registrar's state in a running log. AK bindings live in the log itself: each one is an admin-signed registry
/// change of action <c>ak-binding</c> (docs/formats.md), replayed at start-up like the builder registry, so the
/// history of which AK belongs to which builder is public and needs no second store. Pending enrollments are kept in
/// memory only: they live for minutes, hold nothing but a hash of the credential, and a restart merely makes the agent
/// enroll again.
/// </summary>
public sealed class LogEnrollmentStore : IEnrollmentStore
{
    /// <summary>Most pending enrollments held at once; expired ones are dropped first.</summary>
    public const int MaxPending = 4096;

    private readonly LogEngine _engine;
    private readonly BuilderAdministration _builders;
    private readonly IdentityKey _adminKey;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, PendingEnrollment> _pending = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, AkBinding> _bindings = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _indexes = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _appends = new(1, 1);

    private LogEnrollmentStore(LogEngine engine, BuilderAdministration builders, IdentityKey adminKey, TimeProvider time)
    {
        _engine = engine;
        _builders = builders;
        _adminKey = adminKey;
        _time = time;
    }

    /// <summary>Every AK binding, by AK Name (lowercase hex).</summary>
    public IReadOnlyDictionary<string, AkBinding> Bindings => _bindings;

    /// <summary>Replays the <c>ak-binding</c> registry changes of the log, in order (a later binding of an AK replaces an earlier one).</summary>
    /// <exception cref="LogStoreException">A registry entry does not verify with the admin key.</exception>
    public static LogEnrollmentStore Load(LogEngine engine, BuilderAdministration builders, IdentityKey adminKey, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(builders);
        ArgumentNullException.ThrowIfNull(adminKey);
        var store = new LogEnrollmentStore(engine, builders, adminKey, time ?? TimeProvider.System);
        const int Page = 1024;
        long after = -1;
        while (true)
        {
            var page = engine.Store.Search(SearchKind.Registry, "", after, Page);
            foreach (var index in page)
            {
                var entry = engine.Store.GetEntry(index)
                    ?? throw new LogStoreException($"Registry entry {index} is indexed but missing. Refusing to start.");
                if (!RegistryChange.TryParseLogEntry(entry, adminKey.PublicKey, out var change, out var error))
                {
                    throw new LogStoreException($"Registry entry {index} does not verify with the admin key ({error}). Refusing to start.");
                }

                if (change is { Action: RegistryAction.AkBinding, AkBinding: { } ak })
                {
                    var binding = ToBinding(change, ak);
                    var name = Convert.ToHexStringLower(binding.AkName.Span);
                    store._bindings[name] = binding;
                    store._indexes[name] = index;
                }
            }

            if (page.Count < Page)
            {
                return store;
            }

            after = page[^1];
        }
    }

    /// <summary>The log index of the registry entry that bound the AK named <paramref name="akName"/> (latest binding).</summary>
    public bool TryGetBindingIndex(ReadOnlySpan<byte> akName, out long index) =>
        _indexes.TryGetValue(Convert.ToHexStringLower(akName), out index);

    /// <summary>The AK bindings of one builder key.</summary>
    public IReadOnlyList<AkBinding> BindingsOf(string builderKeyId) =>
        [.. _bindings.Values.Where(b => string.Equals(b.BuilderKeyId, builderKeyId, StringComparison.Ordinal)).OrderBy(b => b.EnrolledAt)];

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">Too many enrollments are pending.</exception>
    public ValueTask SavePendingAsync(PendingEnrollment pending, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pending);
        if (_pending.Count >= MaxPending)
        {
            var now = _time.GetUtcNow();
            foreach (var (id, old) in _pending)
            {
                if (old.ExpiresAt < now)
                {
                    _pending.TryRemove(id, out _);
                }
            }

            if (_pending.Count >= MaxPending)
            {
                throw new InvalidOperationException($"{MaxPending} enrollments are pending; try again when some have expired.");
            }
        }

        _pending[pending.EnrollmentId] = pending;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask<PendingEnrollment?> TakePendingAsync(string enrollmentId, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_pending.TryRemove(enrollmentId, out var pending) ? pending : null);

    /// <inheritdoc/>
    public ValueTask<AkBinding?> GetBindingAsync(ReadOnlyMemory<byte> akName, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_bindings.TryGetValue(Convert.ToHexStringLower(akName.Span), out var binding) ? binding : null);

    /// <summary>Appends the binding to the log as an admin-signed <c>ak-binding</c> registry change, then records it.</summary>
    /// <exception cref="InvalidOperationException">The builder key is not registered or is revoked, or the AK is bound to another builder.</exception>
    public async ValueTask SaveBindingAsync(AkBinding binding, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(binding);
        if (!_builders.Registry.TryResolve(binding.BuilderKeyId, out var builder))
        {
            throw new InvalidOperationException($"The builder key {binding.BuilderKeyId} is not registered.");
        }

        var change = new RegistryChange(RegistryAction.AkBinding, builder.Key, "registrar", builder.Group, binding.EnrolledAt,
            "TPM enrollment: EK certificate checked, credential activated")
        {
            AkBinding = new TpmAkBinding(binding.AkName, binding.AkPublic, binding.EkName, binding.EkCertificateSha256),
        };
        string akName = Convert.ToHexStringLower(binding.AkName.Span);
        await _appends.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Checked again under the lock: two enrollments of one AK may have raced past the registrar's check.
            if (_bindings.TryGetValue(akName, out var existing) && existing.BuilderKeyId != binding.BuilderKeyId)
            {
                throw new InvalidOperationException($"AK {akName} is bound to builder key {existing.BuilderKeyId}.");
            }

            if (!_builders.Registry.CanApply(change, out var refusal))
            {
                throw new InvalidOperationException(refusal);
            }

            byte[] document;
            try
            {
                document = change.ToLogEntry(_adminKey);
            }
            catch (DocumentException ex)
            {
                throw new InvalidOperationException(ex.Message, ex);
            }

            var entry = new LogEntry(
                document,
                [new SearchTerm(SearchKind.Registry, ""), new SearchTerm(SearchKind.Builder, builder.KeyId)]);
            var result = await _engine.SubmitAsync(entry).ConfigureAwait(false);
            _bindings[akName] = binding;
            _indexes[akName] = result.Index;
        }
        finally
        {
            _appends.Release();
        }
    }

    private static AkBinding ToBinding(RegistryChange change, TpmAkBinding ak) =>
        new(ak.AkName.ToArray(), ak.AkPublic.ToArray(), ak.EkName.ToArray(), ak.EkCertificateSha256, change.Builder.KeyId, change.Time);
}
