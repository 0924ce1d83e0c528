using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using Attest.Provenance.Attestations;

namespace Attest.Provenance.Registry;

/// <summary>
/// The set of builder keys, built by applying <see cref="RegistryChange"/>s in log order. Reads are lock-free
/// snapshots; changes are applied copy-on-write, so one registry can serve concurrent admission.
/// </summary>
/// <remarks>Rules: adding a key that is active is refused; adding a revoked key re-activates it (under the name and
/// group in the new change); revoking a key that is not active is refused; binding a TPM AK to a key that is not active
/// is refused, and a binding changes nothing here (the log's registrar keeps the bindings). The verifier replays the log's registry
/// changes through the same rules to learn which keys could write at each point.</remarks>
public sealed class BuilderRegistry : IBuilderKeyResolver
{
    private ImmutableDictionary<string, RegisteredBuilder> _builders =
        ImmutableDictionary.Create<string, RegisteredBuilder>(StringComparer.Ordinal);

    /// <summary>Gets a snapshot of every key ever registered, revoked or not, by key id.</summary>
    public IReadOnlyDictionary<string, RegisteredBuilder> Builders => Volatile.Read(ref _builders);

    /// <inheritdoc/>
    public bool TryResolve(string keyId, [NotNullWhen(true)] out RegisteredBuilder? builder) =>
        Volatile.Read(ref _builders).TryGetValue(keyId, out builder);

    /// <summary>Checks whether a change could be applied now, without applying it.</summary>
    /// <param name="change">The change.</param>
    /// <param name="error">Why it cannot, if it cannot.</param>
    /// <returns>Whether the change is consistent with the current registry.</returns>
    public bool CanApply(RegistryChange change, [NotNullWhen(false)] out string? error) =>
        Check(Volatile.Read(ref _builders), change, out error);

    /// <summary>Applies a change if it is consistent with the registry.</summary>
    /// <param name="change">The change.</param>
    /// <param name="error">Why it was refused, if it was.</param>
    /// <returns>Whether the change was applied.</returns>
    public bool TryApply(RegistryChange change, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(change);
        while (true)
        {
            var current = Volatile.Read(ref _builders);
            if (!Check(current, change, out error))
            {
                return false;
            }

            // An AK binding is recorded by the log but leaves the set of writing keys as it is.
            if (change.Action == RegistryAction.AkBinding)
            {
                return true;
            }

            var next = current.SetItem(
                change.Builder.KeyId,
                new RegisteredBuilder(change.Builder, change.Action == RegistryAction.Revoke, change.Group));
            if (ReferenceEquals(Interlocked.CompareExchange(ref _builders, next, current), current))
            {
                return true;
            }
        }
    }

    /// <summary>Applies a change or throws.</summary>
    /// <param name="change">The change.</param>
    /// <exception cref="InvalidOperationException">The change is inconsistent with the registry.</exception>
    public void Apply(RegistryChange change)
    {
        if (!TryApply(change, out var error))
        {
            throw new InvalidOperationException(error);
        }
    }

    private static bool Check(
        ImmutableDictionary<string, RegisteredBuilder> builders, RegistryChange change, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(change);
        builders.TryGetValue(change.Builder.KeyId, out var existing);
        error = change.Action switch
        {
            RegistryAction.Add when existing is { IsRevoked: false } =>
                $"The key {change.Builder.KeyId} is already registered to \"{existing.Name}\".",
            RegistryAction.Revoke when existing is null => $"The key {change.Builder.KeyId} is not registered.",
            RegistryAction.Revoke when existing.IsRevoked => $"The key {change.Builder.KeyId} is already revoked.",
            RegistryAction.AkBinding when existing is null => $"The key {change.Builder.KeyId} is not registered.",
            RegistryAction.AkBinding when existing.IsRevoked => $"The key {change.Builder.KeyId} is revoked.",
            RegistryAction.AkBinding when change.AkBinding is null => "An ak-binding change needs the bound AK.",
            RegistryAction.Add or RegistryAction.Revoke or RegistryAction.AkBinding => null,
            _ => $"Unknown action {change.Action}.",
        };
        return error is null;
    }
}
