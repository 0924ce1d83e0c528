using System.Collections.Concurrent;
using Attest.Nix;
using Attest.Verifier.Logs;
using Attest.Verifier.Policy;
using Attest.Verifier.Quorum;
using Attest.Verifier.Verification.Internal;

namespace Attest.Verifier.Verification;

/// <summary>A store path and the NAR hash to check for it.</summary>
/// <param name="StorePath">The store path.</param>
/// <param name="NarHash">Its NAR hash (from the local store, a narinfo, or given).</param>
public readonly record struct PathQuery(StorePath StorePath, NixHash NarHash);

/// <summary>The outcome for one path: the quorum verdict, the evidence it rests on, and entries that said nothing about it.</summary>
/// <param name="Verdict">The quorum verdict.</param>
/// <param name="Evidence">Every entry found for the path, with its proof (what <c>--save-bundle</c> writes).</param>
/// <param name="Ignored">Entries a log returned that are not attestations of the path, with why.</param>
public sealed record PathVerification(QuorumVerdict Verdict, IReadOnlyList<LogEvidence> Evidence, IReadOnlyList<string> Ignored)
{
    /// <summary>Gets the registry entries (with proofs) the TPM evidence was judged by; <c>--save-bundle</c> writes them too.</summary>
    public IReadOnlyList<LogEvidence> Registry { get; init; } = [];
}

/// <summary>
/// Verifies store paths under a <see cref="TrustPolicy"/>: gathers every entry about the path from every source (one
/// per policy log), checks each with <see cref="AttestationChecker"/> (TPM evidence against the AK bindings the sources'
/// registry entries prove), checks the quotes of each AK for replay and rollback across the verification, and applies
/// the <see cref="QuorumEvaluator"/>.
/// </summary>
/// <remarks>
/// Thread-safe. Costs paid once per verifier rather than per path: each checkpoint's signatures (online there is one
/// checkpoint per log for the verifier's lifetime), each AK import, each registry entry, and the registry lookup of
/// each (log, builder).
/// </remarks>
public sealed class PathVerifier : IDisposable
{
    private readonly IReadOnlyList<IEvidenceSource> _sources;
    private readonly IReadOnlyList<IRegistrySource> _registrySources;
    private readonly TrustPolicy _policy;
    private readonly AttestationChecker _checker;
    private readonly QuorumEvaluator _quorum;
    private readonly ConcurrentDictionary<(string Origin, string KeyId), Lazy<Task<IReadOnlyList<LogEvidence>>>> _registry = new();

    /// <summary>Creates a verifier.</summary>
    /// <param name="policy">The trust policy.</param>
    /// <param name="sources">Where entries come from: a <see cref="LogClient"/> per policy log, or an offline bundle; those
    /// that are also <see cref="IRegistrySource"/>s supply the registry entries TPM evidence is judged by.</param>
    public PathVerifier(TrustPolicy policy, IEnumerable<IEvidenceSource> sources)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(sources);
        _policy = policy;
        _sources = [.. sources];
        _registrySources = [.. _sources.OfType<IRegistrySource>()];
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
        PathCheck check = await CheckPathAsync(query, cancellationToken).ConfigureAwait(false);
        return Finish([check])[0];
    }

    /// <summary>Checks already gathered evidence for one path (no I/O), without registry entries: TPM evidence cannot verify.</summary>
    /// <param name="query">The path and its NAR hash.</param>
    /// <param name="evidence">The entries found for it.</param>
    /// <returns>The verification.</returns>
    public PathVerification Evaluate(PathQuery query, IReadOnlyList<LogEvidence> evidence) => Evaluate(query, evidence, []);

    /// <summary>Checks already gathered evidence for one path (no I/O).</summary>
    /// <param name="query">The path and its NAR hash.</param>
    /// <param name="evidence">The entries found for it.</param>
    /// <param name="registry">Registry entries (with proofs) of the logs involved, for the TPM evidence.</param>
    /// <returns>The verification.</returns>
    public PathVerification Evaluate(PathQuery query, IReadOnlyList<LogEvidence> evidence, IReadOnlyList<LogEvidence> registry)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        ArgumentNullException.ThrowIfNull(registry);
        var (parsed, ignored) = Parse(query, evidence);
        List<CheckedAttestation> checkedAttestations = [.. parsed.Select(p => _checker.Check(p, registry))];
        return Finish([new PathCheck(query, checkedAttestations, evidence, ignored, registry)])[0];
    }

    /// <summary>
    /// Verifies many paths with at most <paramref name="maxParallelism"/> in flight; results keep the input order.
    /// A path whose logs fail gets the exception in its slot rather than failing the batch. TPM quotes are checked for
    /// replay and rollback across the whole batch.
    /// </summary>
    /// <param name="queries">The paths.</param>
    /// <param name="maxParallelism">How many paths are verified at once (at least 1).</param>
    /// <param name="cancellationToken">Cancels the batch.</param>
    /// <returns>One outcome per query, in order.</returns>
    public async Task<IReadOnlyList<PathOutcome>> VerifyManyAsync(IReadOnlyList<PathQuery> queries, int maxParallelism, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxParallelism, 1);
        var checks = new PathCheck?[queries.Count];
        var errors = new Exception?[queries.Count];
        await Parallel.ForAsync(0, queries.Count, new ParallelOptions { MaxDegreeOfParallelism = maxParallelism, CancellationToken = cancellationToken }, async (i, token) =>
        {
            try
            {
                checks[i] = await CheckPathAsync(queries[i], token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is LogIntegrityException or HttpRequestException or IOException or TaskCanceledException && !token.IsCancellationRequested)
            {
                errors[i] = e;
            }
        }).ConfigureAwait(false);

        List<PathCheck> completed = [.. checks.OfType<PathCheck>()];
        PathVerification[] verified = Finish(completed);
        var results = new PathOutcome[queries.Count];
        for (int i = 0, next = 0; i < queries.Count; i++)
        {
            results[i] = checks[i] is null ? new PathOutcome(queries[i], null, errors[i]) : new PathOutcome(queries[i], verified[next++], null);
        }

        return results;
    }

    /// <inheritdoc/>
    public void Dispose() => _checker.Dispose();

    private async Task<PathCheck> CheckPathAsync(PathQuery query, CancellationToken cancellationToken)
    {
        var found = await Task.WhenAll(_sources.Select(s => s.FindAsync(query.StorePath, cancellationToken))).ConfigureAwait(false);
        LogEvidence[] evidence = [.. found.SelectMany(f => f)];
        var (parsed, ignored) = Parse(query, evidence);
        var registry = new Dictionary<(string, string), IReadOnlyList<LogEvidence>>();
        foreach (ParsedAttestation attestation in parsed)
        {
            var key = (attestation.Evidence.Origin, attestation.Document.SignerKeyId);
            if (_checker.NeedsRegistry(attestation) && !registry.ContainsKey(key))
            {
                registry[key] = await RegistryAsync(key, cancellationToken).ConfigureAwait(false);
            }
        }

        List<CheckedAttestation> checkedAttestations =
            [.. parsed.Select(p => _checker.Check(p, registry.GetValueOrDefault((p.Evidence.Origin, p.Document.SignerKeyId)) ?? []))];
        return new PathCheck(query, checkedAttestations, evidence, ignored, [.. registry.Values.SelectMany(r => r)]);
    }

    private Task<IReadOnlyList<LogEvidence>> RegistryAsync((string Origin, string KeyId) key, CancellationToken cancellationToken)
    {
        Lazy<Task<IReadOnlyList<LogEvidence>>> lookup = _registry.GetOrAdd(key, k => new(async () =>
        {
            var found = await Task.WhenAll(_registrySources.Select(s => s.FindRegistryChangesAsync(k.Origin, k.KeyId, cancellationToken))).ConfigureAwait(false);
            return (IReadOnlyList<LogEvidence>)[.. found.SelectMany(f => f)];
        }));
        Task<IReadOnlyList<LogEvidence>> task = lookup.Value;
        if (task.IsFaulted || task.IsCanceled)
        {
            // A failed lookup fails the paths that waited for it; the next path asks the log again.
            _registry.TryRemove(new KeyValuePair<(string, string), Lazy<Task<IReadOnlyList<LogEvidence>>>>(key, lookup));
        }

        return task;
    }

    private static (List<ParsedAttestation> Parsed, List<string> Ignored) Parse(PathQuery query, IReadOnlyList<LogEvidence> evidence)
    {
        var parsed = new List<ParsedAttestation>(evidence.Count);
        var ignored = new List<string>();
        foreach (LogEvidence item in evidence)
        {
            if (AttestationChecker.TryParse(item, query.StorePath, out ParsedAttestation? attestation, out string? problem))
            {
                parsed.Add(attestation);
            }
            else
            {
                ignored.Add(problem!);
            }
        }

        return (parsed, ignored);
    }

    private PathVerification[] Finish(List<PathCheck> checks)
    {
        List<CheckedAttestation>[] counted = QuoteCounterCheck.Apply([.. checks.Select(c => c.Attestations)], _policy);
        var results = new PathVerification[checks.Count];
        for (int i = 0; i < checks.Count; i++)
        {
            PathCheck check = checks[i];
            QuorumVerdict verdict = _quorum.Evaluate(check.Query.StorePath, check.Query.NarHash, counted[i]);
            results[i] = new PathVerification(verdict, check.Evidence, check.Ignored) { Registry = check.Registry };
        }

        return results;
    }

    private sealed record PathCheck(
        PathQuery Query, List<CheckedAttestation> Attestations, IReadOnlyList<LogEvidence> Evidence, List<string> Ignored, IReadOnlyList<LogEvidence> Registry);
}

/// <summary>One path of a batch: its verification, or the error that prevented it.</summary>
/// <param name="Query">The path and NAR hash asked about.</param>
/// <param name="Verification">The verification, when it completed.</param>
/// <param name="Error">Why it could not be verified (a dishonest or unreachable log), otherwise <see langword="null"/>.</param>
public sealed record PathOutcome(PathQuery Query, PathVerification? Verification, Exception? Error);
