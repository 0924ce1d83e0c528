using Attest.Tpm.Verification.Quotes;
using Attest.Verifier.Policy;
using Attest.Verifier.Quorum;

namespace Attest.Verifier.Verification.Internal;

/// <summary>
/// Replay and rollback detection across one verification (a path, or every path of a batch): the verified quotes of
/// each AK are taken in log order, within each log, and each must follow the last accepted one by the rules of
/// <see cref="QuoteCounterTracker.Compare"/> (TPM 2.0 Part 1 §36: clock strictly later while safe, resetCount and
/// restartCount never backwards). A quote that fails loses its TPM verification and does not become the baseline.
/// </summary>
internal static class QuoteCounterCheck
{
    /// <summary>Returns the attestations of each path with the counter failures applied (same shape as the input).</summary>
    public static List<CheckedAttestation>[] Apply(IReadOnlyList<IReadOnlyList<CheckedAttestation>> perPath, TrustPolicy policy)
    {
        // One quote per log entry: an attestation naming several of the paths asked about is one observation.
        var quotes = new Dictionary<(string Origin, string Ak), SortedDictionary<ulong, QuoteCounterState>>();
        foreach (IReadOnlyList<CheckedAttestation> attestations in perPath)
        {
            foreach (CheckedAttestation a in attestations)
            {
                if (a is { TpmVerified: true, TpmCounters: { } state })
                {
                    var key = (a.LogOrigin, Convert.ToHexStringLower(a.TpmAkName.Span));
                    if (!quotes.TryGetValue(key, out SortedDictionary<ulong, QuoteCounterState>? byIndex))
                    {
                        quotes[key] = byIndex = [];
                    }

                    byIndex[a.Index] = state;
                }
            }
        }

        var failed = new Dictionary<(string Origin, ulong Index), string>();
        foreach (((string origin, string ak), SortedDictionary<ulong, QuoteCounterState> byIndex) in quotes)
        {
            QuoteCounterState? last = null;
            ulong lastIndex = 0;
            foreach ((ulong index, QuoteCounterState state) in byIndex)
            {
                IReadOnlyList<QuoteFailure> failures = QuoteCounterTracker.Compare(last, state);
                if (failures.Count == 0)
                {
                    (last, lastIndex) = (state, index);
                    continue;
                }

                failed[(origin, index)] =
                    $"its TPM quote does not follow the quote of the same attestation key {ak} at {origin}#{lastIndex}: {string.Join("; ", failures)}";
            }
        }

        var result = new List<CheckedAttestation>[perPath.Count];
        for (int i = 0; i < perPath.Count; i++)
        {
            result[i] = [.. perPath[i].Select(a => failed.TryGetValue((a.LogOrigin, a.Index), out string? why) ? Fail(a, why, policy) : a)];
        }

        return result;
    }

    private static CheckedAttestation Fail(CheckedAttestation attestation, string why, TrustPolicy policy)
    {
        bool required = policy.BuildersByKeyId.TryGetValue(attestation.BuilderKeyId, out BuilderPolicy? builder) && builder.RequireTpm;
        return attestation with
        {
            TpmVerified = false,
            Failures = required ? [.. attestation.Failures, why] : attestation.Failures,
            TpmNotes = required ? attestation.TpmNotes : [.. attestation.TpmNotes, why],
            TpmCounters = null,
        };
    }
}
