using System.Collections.Concurrent;
using Attest.Provenance;
using Attest.Provenance.Attestations;
using Attest.Provenance.Registry;
using Attest.Provenance.Signing;
using Attest.Transparency.Merkle;
using Attest.Tpm.Verification.Evidence;
using Attest.Tpm.Verification.Quotes;
using Attest.Verifier.Logs;
using Attest.Verifier.Policy;

namespace Attest.Verifier.Verification.Internal;

/// <summary>What the TPM check of one attestation found.</summary>
/// <param name="Verified">Whether the evidence verified against the AK bound in the log (counters still to be checked).</param>
/// <param name="Failures">Why it did not (empty when it did, or when there was no evidence).</param>
/// <param name="Counters">The quote's clock state, for the replay/rollback check across the verification.</param>
/// <param name="AkName">The AK that signed the quote, when verified.</param>
internal sealed record TpmCheck(bool Verified, IReadOnlyList<string> Failures, QuoteCounterState? Counters, ReadOnlyMemory<byte> AkName)
{
    public static TpmCheck None { get; } = new(false, [], null, default);

    public static TpmCheck Failed(string failure) => new(false, [failure], null, default);
}

/// <summary>
/// Verifies the <c>tpm</c> evidence of an attestation (docs/tpm-evidence.md) against the attestation key the log's
/// admin-signed <c>ak-binding</c> entries bound to the signing builder before the attestation's index, with the
/// builder's required PCRs (<see cref="TrustPolicy.QuotePolicyFor"/>) and golden values. Registry entries are
/// verified like attestations (inclusion under a checkpoint the policy accepts) and by the admin key the policy pins
/// for their log; each is verified once per verifier. Thread-safe.
/// </summary>
internal sealed class TpmEvidenceChecker : IDisposable
{
    private const int MaxCachedRegistryEntries = 100_000;

    private readonly TrustPolicy _policy;
    private readonly ProofChecker _proofs;
    // One imported copy of each AK per thread: concurrent verifications with one shared key contend inside the
    // crypto library (a batch on two cores ran slower per path than on one; bench/figures/verifier.md).
    private readonly ThreadLocal<AttestationKeyCache> _keys = new(() => new AttestationKeyCache(10_000), trackAllValues: true);
    private readonly ConcurrentDictionary<(string Origin, ulong Index, MerkleHash Leaf), RegistryResult> _registry = new();

    public TpmEvidenceChecker(TrustPolicy policy, ProofChecker proofs)
    {
        _policy = policy;
        _proofs = proofs;
    }

    /// <summary>Whether TPM evidence in this log can be checked at all: the policy pins the log's admin key.</summary>
    public bool CanCheck(string origin) => _policy.FindLog(origin)?.AdminKey is not null;

    public TpmCheck Check(AttestationDocument document, LogEvidence evidence, BuilderPolicy builder, IReadOnlyList<LogEvidence> registry)
    {
        if (document.TpmEvidence is not { } json)
        {
            return TpmCheck.None;
        }

        if (!TpmEvidence.TryParse(json.Span, out TpmEvidence? tpm, out string? error))
        {
            return TpmCheck.Failed($"its TPM evidence is malformed: {error}");
        }

        if (_policy.FindLog(evidence.Origin)?.AdminKey is not { } adminKey)
        {
            return TpmCheck.Failed(
                $"its TPM evidence cannot be verified: the policy pins no adminKey for log {evidence.Origin}, so the log's ak-binding entries cannot be authenticated");
        }

        var changes = new List<VerifiedRegistryChange>();
        foreach (LogEvidence entry in registry)
        {
            if (!string.Equals(entry.Origin, evidence.Origin, StringComparison.Ordinal))
            {
                continue;
            }

            RegistryResult result = VerifyRegistryEntry(entry, adminKey);
            if (result.Problem is not null)
            {
                // A registry entry that cannot be trusted may be the revocation that ends a binding: judge nothing on a partial history.
                return TpmCheck.Failed($"its TPM evidence cannot be verified: registry entry {entry.Origin}#{entry.Index} {result.Problem}");
            }

            changes.Add(result.Change!);
        }

        AkBindingHistory history = AkBindingHistory.Create(evidence.Origin, builder.Key.KeyId, changes);
        if (!history.TryFind(tpm.AkName.Span, evidence.Index, out BoundAttestationKey? bound, out string? problem))
        {
            return TpmCheck.Failed(problem!);
        }

        AttestationKey key;
        try
        {
            key = _keys.Value!.GetOrCreate(bound!.Binding);
        }
        catch (ArgumentException e)
        {
            return TpmCheck.Failed($"the TPM attestation key bound at {evidence.Origin}#{bound!.Index} cannot be used: {e.Message}");
        }

        TpmEvidenceVerdict verdict = TpmEvidenceVerifier.Verify(
            tpm, key, document.ComputeTpmQualifyingData(), _policy.QuotePolicyFor(builder), _policy.GoldenValuesFor(builder));
        if (!verdict.IsValid || verdict.Quote.Attest is null)
        {
            return TpmCheck.Failed(
                $"its TPM evidence does not verify with the attestation key bound at {evidence.Origin}#{bound.Index}: {string.Join("; ", verdict.AllFailures)}");
        }

        return new TpmCheck(true, [], QuoteCounterState.From(verdict.Quote.Attest.ClockInfo), tpm.AkName);
    }

    public void Dispose()
    {
        foreach (AttestationKeyCache keys in _keys.Values)
        {
            keys.Dispose();
        }

        _keys.Dispose();
    }

    private RegistryResult VerifyRegistryEntry(LogEvidence entry, IdentityPublicKey adminKey)
    {
        var key = (entry.Origin, entry.Index, TreeHasher.HashLeaf(entry.Entry.Span));
        if (_registry.TryGetValue(key, out RegistryResult? cached))
        {
            return cached;
        }

        RegistryResult result;
        if (_proofs.Check(entry) is { } notProved)
        {
            result = new RegistryResult(null, $"does not verify: {notProved}");
        }
        else if (!RegistryChange.TryParseLogEntry(entry.Entry.Span, adminKey, out RegistryChange? change, out var parseError))
        {
            result = new RegistryResult(null, parseError.Code == DocumentErrorCode.BadSignature
                ? $"is not signed by the admin key the policy pins for log {entry.Origin} ({adminKey.KeyId})"
                : $"is not a valid registry change: {parseError}");
        }
        else
        {
            result = new RegistryResult(new VerifiedRegistryChange(entry.Origin, entry.Index, change), null);
        }

        if (_registry.Count >= MaxCachedRegistryEntries)
        {
            _registry.Clear();
        }

        _registry.TryAdd(key, result);
        return result;
    }

    private sealed record RegistryResult(VerifiedRegistryChange? Change, string? Problem);
}
