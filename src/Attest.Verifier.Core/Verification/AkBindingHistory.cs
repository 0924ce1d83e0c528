using Attest.Provenance.Registry;
using Attest.Tpm.Verification.Enrollment;

namespace Attest.Verifier.Verification;

/// <summary>A builder-registry change read from a log, proved included under the policy and signed by the log's admin key.</summary>
/// <param name="Origin">The log.</param>
/// <param name="Index">Its leaf index.</param>
/// <param name="Change">The change.</param>
public sealed record VerifiedRegistryChange(string Origin, ulong Index, RegistryChange Change);

/// <summary>The attestation key a quote was checked with, and the registry entry that bound it.</summary>
/// <param name="Binding">The binding (AK public area, EK name, builder key).</param>
/// <param name="Index">The leaf index of the <c>ak-binding</c> entry in the attestation's log.</param>
public sealed record BoundAttestationKey(AkBinding Binding, ulong Index);

/// <summary>
/// Which TPM attestation keys (AKs) one builder key had bound in one log, at every point of the log: its verified
/// registry changes replayed in log order with the rules of <see cref="BuilderRegistry"/> (docs/formats.md §6).
/// </summary>
/// <remarks>
/// An AK counts for an attestation at index <c>i</c> only if an <c>ak-binding</c> entry below <c>i</c> bound it to this
/// builder key while the key was active, and no revocation of the key came between that binding and <c>i</c>: a
/// revocation (a lost or compromised key) ends every binding of the key, and after a re-activation the agent enrolls
/// again. A later binding of the same AK replaces an earlier one. Bindings at or after <c>i</c> do not count: the
/// registrar had not vouched for the AK when the attestation was logged.
/// </remarks>
public sealed class AkBindingHistory
{
    private readonly List<VerifiedRegistryChange> _changes;

    private AkBindingHistory(string origin, string builderKeyId, List<VerifiedRegistryChange> changes)
    {
        Origin = origin;
        BuilderKeyId = builderKeyId;
        _changes = changes;
    }

    /// <summary>Gets the log.</summary>
    public string Origin { get; }

    /// <summary>Gets the builder key id.</summary>
    public string BuilderKeyId { get; }

    /// <summary>Gets the builder's registry changes in this log, in log order.</summary>
    public IReadOnlyList<VerifiedRegistryChange> Changes => _changes;

    /// <summary>Builds the history from verified changes (other logs' and other builders' changes are left out).</summary>
    /// <param name="origin">The log.</param>
    /// <param name="builderKeyId">The builder key id.</param>
    /// <param name="changes">Verified changes, in any order; duplicates by index are kept once.</param>
    /// <returns>The history.</returns>
    public static AkBindingHistory Create(string origin, string builderKeyId, IEnumerable<VerifiedRegistryChange> changes)
    {
        ArgumentException.ThrowIfNullOrEmpty(origin);
        ArgumentException.ThrowIfNullOrEmpty(builderKeyId);
        ArgumentNullException.ThrowIfNull(changes);
        var seen = new HashSet<ulong>();
        List<VerifiedRegistryChange> ordered =
        [
            .. changes
                .Where(c => string.Equals(c.Origin, origin, StringComparison.Ordinal)
                    && string.Equals(c.Change.Builder.KeyId, builderKeyId, StringComparison.Ordinal)
                    && seen.Add(c.Index))
                .OrderBy(c => c.Index),
        ];
        return new AkBindingHistory(origin, builderKeyId, ordered);
    }

    /// <summary>Finds the binding in force for the AK named <paramref name="akName"/> just before <paramref name="index"/>.</summary>
    /// <param name="akName">The AK's TPM Name, as the evidence gives it.</param>
    /// <param name="index">The attestation's leaf index in <see cref="Origin"/>.</param>
    /// <param name="bound">The binding, when there is one.</param>
    /// <param name="problem">Why there is none, when there is none.</param>
    /// <returns>Whether the AK was bound to the builder at that point.</returns>
    public bool TryFind(ReadOnlySpan<byte> akName, ulong index, out BoundAttestationKey? bound, out string? problem)
    {
        var registry = new BuilderRegistry();
        BoundAttestationKey? current = null;
        VerifiedRegistryChange? endedBy = null;
        BoundAttestationKey? ended = null;
        foreach (VerifiedRegistryChange entry in _changes)
        {
            if (entry.Index >= index)
            {
                break;
            }

            if (!registry.TryApply(entry.Change, out _))
            {
                // The log refused such a change too (docs/formats.md §6): it changes nothing.
                continue;
            }

            if (entry.Change.Action == RegistryAction.Revoke && current is not null)
            {
                (ended, endedBy, current) = (current, entry, null);
            }
            else if (entry.Change is { Action: RegistryAction.AkBinding, AkBinding: { } tpm } && tpm.AkName.Span.SequenceEqual(akName))
            {
                current = new BoundAttestationKey(
                    new AkBinding(tpm.AkName, tpm.AkPublic, tpm.EkName, tpm.EkCertificateSha256, BuilderKeyId, entry.Change.Time), entry.Index);
            }
        }

        if (current is not null)
        {
            bound = current;
            problem = null;
            return true;
        }

        bound = null;
        string ak = Convert.ToHexStringLower(akName);
        VerifiedRegistryChange? later = null;
        foreach (VerifiedRegistryChange c in _changes)
        {
            if (c.Index >= index && c.Change is { Action: RegistryAction.AkBinding, AkBinding: { } b } && b.AkName.Span.SequenceEqual(akName))
            {
                later = c;
                break;
            }
        }

        problem = ended is not null
            ? $"its TPM attestation key {ak} was bound to the builder at {Origin}#{ended.Index}, but the builder key was revoked at {Origin}#{endedBy!.Index}, before this attestation"
            : later is not null
                ? $"its TPM attestation key {ak} was bound to the builder only at {Origin}#{later.Index}, after this attestation (#{index})"
                : $"its TPM attestation key {ak} is not bound to this builder in {Origin}: no admin-signed ak-binding entry before #{index} names it";
        return false;
    }
}
