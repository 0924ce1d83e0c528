using Attest.Nix;
using Attest.Transparency.Checkpoints;
using Attest.Verifier.Logs;
using Attest.Verifier.Policy;
using Attest.Verifier.Quorum;
using Attest.Verifier.Verification;

namespace Attest.Verifier.Gate;

/// <summary>
/// The gate's decider over the policy's logs, following their checkpoints. A <see cref="PathVerifier"/> judges every
/// path against one verified checkpoint per log (fetched once, so its decisions agree with each other and cost no
/// checkpoint round trip); <see cref="RefreshAsync"/> fetches the logs' checkpoints again and, when one is newer,
/// switches to a verifier bound to the new ones, so attestations logged after the gate started count. Each new
/// checkpoint is proved consistent with the newest one seen before through the <see cref="VerifierState"/>; a log that
/// forks or serves a checkpoint that does not verify makes every decision a refusal until a refresh succeeds.
/// </summary>
/// <remarks>Thread-safe. Refreshes are serialised; decisions never wait for one.</remarks>
public sealed class FollowingPathDecider : IPathDecider
{
    private readonly TrustPolicy _policy;
    private readonly HttpClient _http;
    private readonly VerifierState? _state;
    private readonly TimeSpan _retireAfter;
    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private volatile Epoch? _current;
    private volatile string? _failure;

    /// <summary>Creates a decider; the first decision or <see cref="RefreshAsync"/> fetches the checkpoints.</summary>
    /// <param name="policy">The trust policy (its logs are followed).</param>
    /// <param name="http">The HTTP client for the logs.</param>
    /// <param name="state">Where the newest verified checkpoint of each log is kept (fork detection across runs).</param>
    /// <param name="retireAfter">How long a replaced verifier is kept for decisions still using it (at least the gate's decision timeout).</param>
    public FollowingPathDecider(TrustPolicy policy, HttpClient http, VerifierState? state, TimeSpan retireAfter)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(http);
        ArgumentOutOfRangeException.ThrowIfLessThan(retireAfter, TimeSpan.Zero);
        _policy = policy;
        _http = http;
        _state = state;
        _retireAfter = retireAfter;
    }

    /// <summary>Gets the checkpoints the current verifier judges against (empty before the first refresh).</summary>
    public IReadOnlyList<SignedCheckpoint> Checkpoints => _current?.Checkpoints ?? [];

    /// <inheritdoc/>
    /// <exception cref="LogIntegrityException">A log was caught misbehaving at the last refresh.</exception>
    public async ValueTask<QuorumVerdict> DecideAsync(StorePath storePath, NixHash narHash, CancellationToken cancellationToken)
    {
        if (_failure is { } failure)
        {
            throw new LogIntegrityException(failure);
        }

        var epoch = _current;
        if (epoch is null)
        {
            await RefreshAsync(cancellationToken).ConfigureAwait(false);
            epoch = _current!;
        }

        var verification = await epoch.Verifier.VerifyAsync(new PathQuery(storePath, narHash), cancellationToken).ConfigureAwait(false);
        return verification.Verdict;
    }

    /// <summary>Fetches and verifies every log's checkpoint; switches to a new verifier when one is newer.</summary>
    /// <param name="cancellationToken">Cancels the fetches.</param>
    /// <returns>Whether the decider switched to newer checkpoints (the gate's cached decisions are then stale).</returns>
    /// <exception cref="LogIntegrityException">A log misbehaved (fork, bad checkpoint): decisions refuse until a refresh succeeds.</exception>
    /// <exception cref="HttpRequestException">A log cannot be reached: the current checkpoints stay in use.</exception>
    public async Task<bool> RefreshAsync(CancellationToken cancellationToken)
    {
        await _refreshing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var clients = _policy.Logs.Select(l => new LogClient(l, _http, _state)).ToArray();
            SignedCheckpoint[] checkpoints;
            try
            {
                var verified = await Task.WhenAll(clients.Select(c => c.GetCheckpointAsync(cancellationToken))).ConfigureAwait(false);
                checkpoints = [.. verified.Select(v => v.Checkpoint)];
            }
            catch (LogIntegrityException e)
            {
                _failure = e.Message;
                throw;
            }

            _failure = null;
            var previous = _current;
            if (previous is not null && Same(previous.Checkpoints, checkpoints))
            {
                return false;
            }

            _current = new Epoch(new PathVerifier(_policy, clients), checkpoints);
            if (previous is not null)
            {
                Retire(previous.Verifier);
            }

            return true;
        }
        finally
        {
            _refreshing.Release();
        }
    }

    private static bool Same(IReadOnlyList<SignedCheckpoint> a, IReadOnlyList<SignedCheckpoint> b)
    {
        for (var i = 0; i < a.Count; i++)
        {
            if (a[i].Checkpoint.TreeSize != b[i].Checkpoint.TreeSize || a[i].Checkpoint.RootHash != b[i].Checkpoint.RootHash)
            {
                return false;
            }
        }

        return a.Count == b.Count;
    }

    // Decisions started on the old verifier may still run (bounded by the gate's decision timeout): release it later.
    private void Retire(object verifier)
    {
        if (verifier is IDisposable disposable)
        {
            _ = Task.Delay(_retireAfter).ContinueWith(_ => disposable.Dispose(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        }
    }

    private sealed record Epoch(PathVerifier Verifier, IReadOnlyList<SignedCheckpoint> Checkpoints);
}
