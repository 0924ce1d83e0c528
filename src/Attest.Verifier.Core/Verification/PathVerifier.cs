using Attest.Nix;
using Attest.Verifier.Logs;
using Attest.Verifier.Policy;
using Attest.Verifier.Quorum;

namespace Attest.Verifier.Verification;

/// <summary>A store path and the NAR hash to check for it.</summary>
/// <param name="StorePath">The store path.</param>
/// <param name="NarHash">Its NAR hash (from the local store, a narinfo, or given).</param>
public readonly record struct PathQuery(StorePath StorePath, NixHash NarHash);

/// <summary>The outcome for one path: the quorum verdict, the evidence it rests on, and entries that said nothing about it.</summary>
/// <param name="Verdict">The quorum verdict.</param>
/// <param name="Evidence">Every entry found for the path, with its proof (what <c>--save-bundle</c> writes).</param>
/// <param name="Ignored">Entries a log returned that are not attestations of the path, with why.</param>
public sealed record PathVerification(QuorumVerdict Verdict, IReadOnlyList<LogEvidence> Evidence, IReadOnlyList<string> Ignored);

/// <summary>
/// Verifies store paths under a <see cref="TrustPolicy"/>: gathers every entry about the path from every source (one
/// per policy log), checks each with <see cref="AttestationChecker"/>, and applies the <see cref="QuorumEvaluator"/>.
/// </summary>
public sealed class PathVerifier
{
    private readonly IReadOnlyList<IEvidenceSource> _sources;
    private readonly AttestationChecker _checker;
    private readonly QuorumEvaluator _quorum;

    /// <summary>Creates a verifier.</summary>
    /// <param name="policy">The trust policy.</param>
    /// <param name="sources">Where entries come from: a <see cref="LogClient"/> per policy log, or an offline bundle.</param>
    public PathVerifier(TrustPolicy policy, IEnumerable<IEvidenceSource> sources)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(sources);
        _sources = [.. sources];
        _checker = new AttestationChecker(policy);
        _quorum = new QuorumEvaluator(policy);
    }

    /// <summary>Creates a verifier that reads every log of the policy over HTTP.</summary>
    /// <param name="policy">The trust policy.</param>
    /// <param name="http">The HTTP client.</param>
    /// <param name="state">The verifier state (newest checkpoint per log), or <see langword="null"/> for none.</param>
    /// <returns>The verifier.</returns>
    public static PathVerifier ForLogs(TrustPolicy policy, HttpClient http, VerifierState? state)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return new PathVerifier(policy, policy.Logs.Select(l => new LogClient(l, http, state)));
    }

    /// <summary>Verifies one path.</summary>
    /// <param name="query">The path and its NAR hash.</param>
    /// <param name="cancellationToken">Cancels the lookups.</param>
    /// <returns>The verification.</returns>
    /// <exception cref="LogIntegrityException">A log is dishonest (fork, rewritten tile or entry) or unusable.</exception>
    /// <exception cref="HttpRequestException">A log cannot be reached.</exception>
    public async Task<PathVerification> VerifyAsync(PathQuery query, CancellationToken cancellationToken)
    {
        var found = await Task.WhenAll(_sources.Select(s => s.FindAsync(query.StorePath, cancellationToken))).ConfigureAwait(false);
        LogEvidence[] evidence = [.. found.SelectMany(f => f)];
        return Evaluate(query, evidence);
    }

    /// <summary>Checks already gathered evidence for one path (no I/O).</summary>
    /// <param name="query">The path and its NAR hash.</param>
    /// <param name="evidence">The entries found for it.</param>
    /// <returns>The verification.</returns>
    public PathVerification Evaluate(PathQuery query, IReadOnlyList<LogEvidence> evidence)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        var checkedAttestations = new List<CheckedAttestation>(evidence.Count);
        var ignored = new List<string>();
        foreach (LogEvidence item in evidence)
        {
            CheckedAttestation? attestation = _checker.Check(item, query.StorePath, out string? problem);
            if (attestation is null)
            {
                ignored.Add(problem!);
            }
            else
            {
                checkedAttestations.Add(attestation);
            }
        }

        return new PathVerification(_quorum.Evaluate(query.StorePath, query.NarHash, checkedAttestations), evidence, ignored);
    }

    /// <summary>
    /// Verifies many paths with at most <paramref name="maxParallelism"/> in flight; results keep the input order.
    /// A path whose logs fail gets the exception in its slot rather than failing the batch.
    /// </summary>
    /// <param name="queries">The paths.</param>
    /// <param name="maxParallelism">How many paths are verified at once (at least 1).</param>
    /// <param name="cancellationToken">Cancels the batch.</param>
    /// <returns>One outcome per query, in order.</returns>
    public async Task<IReadOnlyList<PathOutcome>> VerifyManyAsync(IReadOnlyList<PathQuery> queries, int maxParallelism, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxParallelism, 1);
        var results = new PathOutcome[queries.Count];
        await Parallel.ForAsync(0, queries.Count, new ParallelOptions { MaxDegreeOfParallelism = maxParallelism, CancellationToken = cancellationToken }, async (i, token) =>
        {
            try
            {
                results[i] = new PathOutcome(queries[i], await VerifyAsync(queries[i], token).ConfigureAwait(false), null);
            }
            catch (Exception e) when (e is LogIntegrityException or HttpRequestException or IOException or TaskCanceledException && !token.IsCancellationRequested)
            {
                results[i] = new PathOutcome(queries[i], null, e);
            }
        }).ConfigureAwait(false);
        return results;
    }
}

/// <summary>One path of a batch: its verification, or the error that prevented it.</summary>
/// <param name="Query">The path and NAR hash asked about.</param>
/// <param name="Verification">The verification, when it completed.</param>
/// <param name="Error">Why it could not be verified (a dishonest or unreachable log), otherwise <see langword="null"/>.</param>
public sealed record PathOutcome(PathQuery Query, PathVerification? Verification, Exception? Error);
