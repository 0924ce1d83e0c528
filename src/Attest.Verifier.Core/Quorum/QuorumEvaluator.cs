using Attest.Nix;
using Attest.Tpm.Verification.Quotes;
using Attest.Verifier.Policy;

namespace Attest.Verifier.Quorum;

/// <summary>
/// One attestation about a store path after its evidence was checked: who signed it, which NAR hash it recorded, where
/// it sits in which log, and every reason it does not count (none when it verified).
/// </summary>
/// <param name="LogOrigin">The log that holds it.</param>
/// <param name="Index">Its leaf index in that log.</param>
/// <param name="BuilderKeyId">The DSSE key id of the signature that verified (or was claimed, when it did not).</param>
/// <param name="NarHash">The NAR hash the attestation records for the store path.</param>
/// <param name="TpmVerified">Whether TPM evidence came with it and verified (quote, AK enrolment, golden values).</param>
/// <param name="Failures">Why it does not count: bad signature, no inclusion proof, too few witnesses, bad TPM evidence.</param>
public sealed record CheckedAttestation(
    string LogOrigin,
    ulong Index,
    string BuilderKeyId,
    NixHash NarHash,
    bool TpmVerified,
    IReadOnlyList<string> Failures)
{
    /// <summary>Gets whether every check passed.</summary>
    public bool Verified => Failures.Count == 0;

    /// <summary>
    /// Gets why TPM evidence that came with the attestation did not verify, when the builder does not require TPM
    /// evidence (the attestation still counts, without <see cref="TpmVerified"/>); for a <c>requireTpm</c> builder
    /// these reasons are <see cref="Failures"/> instead.
    /// </summary>
    public IReadOnlyList<string> TpmNotes { get; init; } = [];

    /// <summary>Gets the clock state of a verified quote, for the replay/rollback check across one verification.</summary>
    internal QuoteCounterState? TpmCounters { get; init; }

    /// <summary>Gets the Name of the AK whose verified quote <see cref="TpmCounters"/> came from.</summary>
    internal ReadOnlyMemory<byte> TpmAkName { get; init; }
}

/// <summary>A builder's standing in a verdict.</summary>
/// <param name="Builder">The builder, as the policy names it.</param>
/// <param name="NarHash">The NAR hash it attested.</param>
/// <param name="TpmVerified">Whether at least one of its matching attestations carried verified TPM evidence.</param>
/// <param name="Entries">The log entries (<c>origin#index</c>) that carry its attestations.</param>
public sealed record BuilderVote(BuilderPolicy Builder, NixHash NarHash, bool TpmVerified, IReadOnlyList<string> Entries);

/// <summary>An attestation that did not count, and why.</summary>
/// <param name="Attestation">The attestation.</param>
/// <param name="BuilderName">The builder's name when the policy knows its key.</param>
/// <param name="Reasons">Why it was set aside.</param>
public sealed record RejectedAttestation(CheckedAttestation Attestation, string? BuilderName, IReadOnlyList<string> Reasons);

/// <summary>Whether a store path's NAR hash is trusted under a policy, with everything a person needs to see why.</summary>
/// <param name="StorePath">The store path.</param>
/// <param name="ExpectedNarHash">The NAR hash being checked (from the local store or a narinfo).</param>
/// <param name="Trusted">Whether the quorum rule holds.</param>
/// <param name="Agreeing">Builders whose verified attestations record <paramref name="ExpectedNarHash"/>.</param>
/// <param name="Dissenting">Builders whose verified attestations record another hash.</param>
/// <param name="Rejected">Attestations that did not count, with reasons.</param>
/// <param name="Reasons">Why the path is not trusted (empty when it is).</param>
public sealed record QuorumVerdict(
    StorePath StorePath,
    NixHash ExpectedNarHash,
    bool Trusted,
    IReadOnlyList<BuilderVote> Agreeing,
    IReadOnlyList<BuilderVote> Dissenting,
    IReadOnlyList<RejectedAttestation> Rejected,
    IReadOnlyList<string> Reasons)
{
    /// <summary>
    /// Gets, for counted attestations of builders that do not require TPM evidence, why the evidence they carried did
    /// not verify (<c>origin#index: reason</c>); they count, but not toward <see cref="QuorumRule.MinTpmAttested"/>.
    /// </summary>
    public IReadOnlyList<string> TpmNotes { get; init; } = [];
}

/// <summary>Applies a <see cref="TrustPolicy"/>'s quorum rule to the checked attestations of one store path.</summary>
/// <remarks>
/// Only attestations whose evidence verified and whose key the policy names count. Builders, not attestations, are
/// counted: a builder that attested the same output twice is one vote. A builder that attested both the expected hash
/// and another one counts as agreeing and as dissenting, because it has itself recorded that the build does not
/// reproduce. Operators are counted among agreeing builders only.
/// </remarks>
public sealed class QuorumEvaluator
{
    private readonly TrustPolicy _policy;

    /// <summary>Creates an evaluator for <paramref name="policy"/>.</summary>
    /// <param name="policy">The trust policy.</param>
    public QuorumEvaluator(TrustPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        _policy = policy;
    }

    /// <summary>Decides whether <paramref name="expected"/> is trusted for <paramref name="storePath"/>.</summary>
    /// <param name="storePath">The store path.</param>
    /// <param name="expected">The NAR hash to check.</param>
    /// <param name="attestations">Every attestation found for the path, checked.</param>
    /// <returns>The verdict.</returns>
    public QuorumVerdict Evaluate(StorePath storePath, NixHash expected, IEnumerable<CheckedAttestation> attestations)
    {
        ArgumentNullException.ThrowIfNull(attestations);
        var rejected = new List<RejectedAttestation>();
        var notes = new List<string>();
        var agreeing = new Dictionary<string, List<CheckedAttestation>>(StringComparer.Ordinal);
        var dissenting = new Dictionary<string, List<CheckedAttestation>>(StringComparer.Ordinal);

        foreach (CheckedAttestation attestation in attestations)
        {
            _policy.BuildersByKeyId.TryGetValue(attestation.BuilderKeyId, out BuilderPolicy? builder);
            var reasons = new List<string>(attestation.Failures);
            if (builder is null)
            {
                reasons.Add($"signed by key {attestation.BuilderKeyId}, which the policy does not name");
            }
            else if (builder.RequireTpm && !attestation.TpmVerified && attestation.Failures.Count == 0)
            {
                reasons.Add($"builder {builder.Name} must carry verified TPM evidence and this attestation has none");
            }

            if (reasons.Count > 0 || builder is null)
            {
                rejected.Add(new RejectedAttestation(attestation, builder?.Name, reasons));
                continue;
            }

            notes.AddRange(attestation.TpmNotes.Select(n => $"{attestation.LogOrigin}#{attestation.Index}: {n}"));
            var bucket = attestation.NarHash == expected ? agreeing : dissenting;
            if (!bucket.TryGetValue(builder.Key.KeyId, out List<CheckedAttestation>? list))
            {
                bucket[builder.Key.KeyId] = list = [];
            }

            list.Add(attestation);
        }

        var agreeingVotes = agreeing.Select(kv => ToVote(kv.Key, kv.Value)).OrderBy(v => v.Builder.Name, StringComparer.Ordinal).ToList();
        var dissentingVotes = dissenting
            .SelectMany(kv => kv.Value.GroupBy(a => a.NarHash).Select(g => ToVote(kv.Key, [.. g])))
            .OrderBy(v => v.Builder.Name, StringComparer.Ordinal)
            .ToList();

        QuorumRule rule = _policy.Quorum;
        var reasonsNotTrusted = new List<string>();
        int operators = agreeingVotes.Select(v => v.Builder.Operator).Distinct(StringComparer.Ordinal).Count();
        int dissenters = dissenting.Count;
        int tpm = agreeingVotes.Count(v => v.TpmVerified);
        if (agreeingVotes.Count < rule.MinAgreeing)
        {
            reasonsNotTrusted.Add($"{agreeingVotes.Count} builder(s) attested {expected}; the policy needs at least {rule.MinAgreeing}");
        }

        if (operators < rule.MinOperators)
        {
            reasonsNotTrusted.Add($"the agreeing builders belong to {operators} operator(s); the policy needs at least {rule.MinOperators}");
        }

        if (dissenters > rule.MaxDissenting)
        {
            var hashes = string.Join(", ", dissentingVotes.Select(v => $"{v.Builder.Name}: {v.NarHash}"));
            reasonsNotTrusted.Add($"{dissenters} builder(s) attested a different NAR hash ({hashes}); the policy allows at most {rule.MaxDissenting}");
        }

        if (tpm < rule.MinTpmAttested)
        {
            reasonsNotTrusted.Add($"{tpm} agreeing builder(s) carried verified TPM evidence; the policy needs at least {rule.MinTpmAttested}");
        }

        return new QuorumVerdict(storePath, expected, reasonsNotTrusted.Count == 0, agreeingVotes, dissentingVotes, rejected, reasonsNotTrusted)
        {
            TpmNotes = notes,
        };
    }

    private BuilderVote ToVote(string keyId, List<CheckedAttestation> attestations)
    {
        BuilderPolicy builder = _policy.BuildersByKeyId[keyId];
        return new BuilderVote(
            builder,
            attestations[0].NarHash,
            attestations.Exists(a => a.TpmVerified),
            [.. attestations.Select(a => $"{a.LogOrigin}#{a.Index}")]);
    }
}
