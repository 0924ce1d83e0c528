using Attest.Nix;
using Attest.Nix.BinaryCache;
using Attest.Nix.Signing;
using Attest.Verifier.Gate.Internal;

namespace Attest.Verifier.Gate;

/// <summary>Settings of a <see cref="NixCacheGate"/>.</summary>
public sealed record NixCacheGateOptions
{
    /// <summary>Gets the store directory announced in <c>nix-cache-info</c> and expected in narinfos.</summary>
    public string StoreDir { get; init; } = StorePath.DefaultStoreDir;

    /// <summary>Gets the <c>Priority</c> announced in <c>nix-cache-info</c> (lower is preferred by Nix).</summary>
    public int Priority { get; init; } = 30;

    /// <summary>Gets the key narinfos are re-signed with, or <see langword="null"/> to serve upstream signatures unchanged.</summary>
    public NixSigningKey? SigningKey { get; init; }

    /// <summary>
    /// Gets whether the upstream's signatures are kept beside the gate's. By default they are replaced, so that a
    /// client trusting the upstream's key cannot be led to accept a path the gate did not approve through a copy of
    /// the narinfo served elsewhere, and the only signature on a served narinfo means "the policy held".
    /// </summary>
    public bool KeepUpstreamSignatures { get; init; }

    /// <summary>Gets the decision cache's capacity and expiry.</summary>
    public GateCacheOptions Cache { get; init; } = new();

    /// <summary>Gets the longest one decision may take before the path is refused as unverifiable.</summary>
    public TimeSpan DecisionTimeout { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>What the gate answers for a narinfo request.</summary>
public enum NarInfoStatus
{
    /// <summary>The policy holds: serve <see cref="NarInfoOutcome.NarInfo"/>.</summary>
    Served,

    /// <summary>The upstream has no narinfo for the hash part (or the name is not a narinfo name).</summary>
    NotFound,

    /// <summary>The upstream has it but the policy does not hold (or could not be checked): 404 with the reason.</summary>
    Refused,

    /// <summary>The upstream's narinfo is malformed, oversized or inconsistent, or the upstream failed: 502, never served.</summary>
    BadUpstream,
}

/// <summary>The gate's answer for one narinfo request.</summary>
/// <param name="Status">What to answer.</param>
/// <param name="NarInfo">The narinfo text to serve, when <see cref="NarInfoStatus.Served"/>.</param>
/// <param name="StorePath">The store path, when the upstream narinfo named one.</param>
/// <param name="Reason">Why it is not served (refusal reasons, the upstream problem).</param>
/// <param name="Decision">The decision, when one was made or cached.</param>
public sealed record NarInfoOutcome(NarInfoStatus Status, string? NarInfo, StorePath StorePath, string? Reason, GateDecision? Decision);

/// <summary>What the gate answers for a NAR request.</summary>
public enum NarStatus
{
    /// <summary>Stream <see cref="NarOutcome.Nar"/>.</summary>
    Served,

    /// <summary>The gate never approved a narinfo naming this URL, no longer trusts it, or the upstream lacks the file.</summary>
    NotFound,

    /// <summary>The upstream failed.</summary>
    BadUpstream,
}

/// <summary>The gate's answer for one NAR request.</summary>
/// <param name="Status">What to answer.</param>
/// <param name="Nar">The upstream NAR to stream (the caller disposes it), when served.</param>
/// <param name="Reason">Why it is not served.</param>
public sealed record NarOutcome(NarStatus Status, UpstreamNar? Nar, string? Reason);

/// <summary>
/// The substitution gate: a Nix binary cache in front of an upstream one that serves a narinfo only when an
/// <see cref="IPathDecider"/> trusts its store path and NAR hash, and a NAR only when it was named by a narinfo the
/// gate approved and still trusts.
/// </summary>
/// <remarks>
/// Warm requests touch neither the upstream nor the logs: an approved narinfo is kept with its decision and served
/// as long as the decision is cached (<see cref="GateCacheOptions.PositiveTtl"/>); a trusted decision near expiry is
/// re-verified in the background. Narinfos are parsed strictly with <see cref="NarInfo"/>, and their <c>URL</c> must
/// be a single file under <c>nar/</c> of the upstream, which is what the gate serves at <c>/nar/...</c>.
/// </remarks>
public sealed class NixCacheGate : IDisposable
{
    /// <summary>Most approved narinfos and NAR URLs remembered (least recently used are dropped; they are re-decided on demand).</summary>
    public const int MaxApprovedEntries = 100_000;

    private readonly UpstreamCache _upstream;
    private readonly IPathDecider _decider;
    private readonly NixCacheGateOptions _options;
    private readonly GateDecisionCache _decisions;
    private readonly LruMap<string, ApprovedNarInfo> _approvedNarInfos = new(MaxApprovedEntries, StringComparer.Ordinal);
    private readonly LruMap<string, DecisionKey> _approvedNars = new(MaxApprovedEntries, StringComparer.Ordinal);

    /// <summary>Creates a gate.</summary>
    /// <param name="upstream">The cache in front of which it sits.</param>
    /// <param name="decider">Decides whether a path may be substituted.</param>
    /// <param name="options">Settings.</param>
    /// <param name="time">The clock for decision expiry.</param>
    public NixCacheGate(UpstreamCache upstream, IPathDecider decider, NixCacheGateOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        ArgumentNullException.ThrowIfNull(decider);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Priority, 0, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.DecisionTimeout, TimeSpan.Zero, nameof(options));
        _upstream = upstream;
        _decider = decider;
        _options = options;
        _decisions = new GateDecisionCache(DecideAsync, options.Cache, time);
        CacheInfo = $"StoreDir: {options.StoreDir}\nWantMassQuery: 1\nPriority: {options.Priority}\n";
    }

    /// <summary>Gets the body of <c>/nix-cache-info</c>.</summary>
    public string CacheInfo { get; }

    /// <summary>Gets the decision cache (hit, miss and decision counts).</summary>
    public GateDecisionCache Decisions => _decisions;

    /// <summary>Gets whether <paramref name="name"/> is a store path hash part (32 nix32 characters).</summary>
    /// <param name="name">The text.</param>
    /// <returns>Whether it is.</returns>
    public static bool IsHashPart(ReadOnlySpan<char> name) => name.Length == StorePath.HashPartLength && Nix32.IsValid(name);

    /// <summary>Gets whether a narinfo <c>URL</c> is one the gate serves: <c>nar/</c> and one file name of safe characters.</summary>
    /// <param name="url">The URL.</param>
    /// <returns>Whether it is.</returns>
    public static bool IsNarUrl(ReadOnlySpan<char> url)
    {
        const string prefix = "nar/";
        if (!url.StartsWith(prefix, StringComparison.Ordinal) || url.Length == prefix.Length || url.Length > 512)
        {
            return false;
        }

        ReadOnlySpan<char> name = url[prefix.Length..];
        if (name[0] == '.')
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '+'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Answers <c>GET /&lt;hashPart&gt;.narinfo</c>.</summary>
    /// <param name="hashPart">The requested hash part.</param>
    /// <param name="cancellationToken">Cancels this request.</param>
    /// <returns>The outcome.</returns>
    public async Task<NarInfoOutcome> GetNarInfoAsync(string hashPart, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hashPart);
        if (!IsHashPart(hashPart))
        {
            return new NarInfoOutcome(NarInfoStatus.NotFound, null, default, $"\"{hashPart}\" is not a store path hash part", null);
        }

        if (_approvedNarInfos.TryGet(hashPart, out ApprovedNarInfo approved)
            && _decisions.TryGetCached(approved.Key, out GateDecision? cached)
            && cached!.Trusted)
        {
            // Counts as a hit and starts the background refresh when the decision nears expiry.
            GateDecision current = await _decisions.GetAsync(approved.Key, cancellationToken).ConfigureAwait(false);
            if (current.Trusted)
            {
                return new NarInfoOutcome(NarInfoStatus.Served, approved.Text, approved.Key.StorePath, null, current);
            }
        }

        string? text;
        try
        {
            text = await _upstream.GetNarInfoAsync(hashPart, cancellationToken).ConfigureAwait(false);
        }
        catch (UpstreamException e)
        {
            return new NarInfoOutcome(NarInfoStatus.BadUpstream, null, default, e.Message, null);
        }

        if (text is null)
        {
            _approvedNarInfos.Remove(hashPart);
            return new NarInfoOutcome(NarInfoStatus.NotFound, null, default, "the upstream has no narinfo for it", null);
        }

        if (!NarInfo.TryParse(text, _options.StoreDir, out NarInfo? info, out string? parseError))
        {
            return new NarInfoOutcome(NarInfoStatus.BadUpstream, null, default, $"the upstream narinfo is not valid: {parseError}", null);
        }

        if (!string.Equals(info.StorePath.HashPart, hashPart, StringComparison.Ordinal))
        {
            return new NarInfoOutcome(NarInfoStatus.BadUpstream, null, info.StorePath, $"the upstream narinfo for {hashPart} describes {info.StorePath}", null);
        }

        if (!IsNarUrl(info.Url))
        {
            return new NarInfoOutcome(NarInfoStatus.BadUpstream, null, info.StorePath, $"the upstream narinfo's URL \"{info.Url}\" is not a file under nar/", null);
        }

        if (info.NarHash.Algorithm != NixHashAlgorithm.Sha256)
        {
            return new NarInfoOutcome(NarInfoStatus.BadUpstream, null, info.StorePath, $"the upstream narinfo's NarHash is not sha256", null);
        }

        var key = new DecisionKey(info.StorePath, info.NarHash);
        GateDecision decision = await _decisions.GetAsync(key, cancellationToken).ConfigureAwait(false);
        if (!decision.Trusted)
        {
            _approvedNarInfos.Remove(hashPart);
            return new NarInfoOutcome(NarInfoStatus.Refused, null, info.StorePath, decision.ReasonText, decision);
        }

        string served = Render(info, text);
        _approvedNars.Set(info.Url, key);
        _approvedNarInfos.Set(hashPart, new ApprovedNarInfo(key, served));
        return new NarInfoOutcome(NarInfoStatus.Served, served, info.StorePath, null, decision);
    }

    /// <summary>Answers <c>GET /nar/...</c>: the upstream file, only for a URL an approved narinfo named and whose path is still trusted.</summary>
    /// <param name="relativeUrl">The request path without the leading slash (<c>nar/&lt;name&gt;</c>).</param>
    /// <param name="cancellationToken">Cancels this request.</param>
    /// <returns>The outcome; the caller disposes <see cref="NarOutcome.Nar"/>.</returns>
    public async Task<NarOutcome> OpenNarAsync(string relativeUrl, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(relativeUrl);
        if (!IsNarUrl(relativeUrl) || !_approvedNars.TryGet(relativeUrl, out DecisionKey key))
        {
            return new NarOutcome(NarStatus.NotFound, null, "no approved narinfo names this NAR");
        }

        GateDecision decision = await _decisions.GetAsync(key, cancellationToken).ConfigureAwait(false);
        if (!decision.Trusted)
        {
            _approvedNars.Remove(relativeUrl);
            return new NarOutcome(NarStatus.NotFound, null, $"{key.StorePath} is no longer trusted: {decision.ReasonText}");
        }

        try
        {
            UpstreamNar? nar = await _upstream.OpenNarAsync(relativeUrl, cancellationToken).ConfigureAwait(false);
            return nar is null
                ? new NarOutcome(NarStatus.NotFound, null, "the upstream does not have this NAR")
                : new NarOutcome(NarStatus.Served, nar, null);
        }
        catch (UpstreamException e)
        {
            return new NarOutcome(NarStatus.BadUpstream, null, e.Message);
        }
    }

    /// <summary>
    /// Tells the gate that a log has a newer verified checkpoint: refused paths are decided again on their next
    /// request (they may be attested now); trusted ones keep being served while they are re-verified in the background.
    /// </summary>
    public void LogsAdvanced() => _decisions.MarkStale();

    /// <summary>Forgets every decision, trusted ones included (a log could not be followed: a fork, a bad checkpoint).</summary>
    public void ForgetDecisions() => _decisions.Clear();

    /// <summary>Cancels decisions in flight.</summary>
    public void Dispose() => _decisions.Dispose();

    private string Render(NarInfo info, string upstreamText)
    {
        if (_options.SigningKey is not { } key)
        {
            return upstreamText;
        }

        NarInfo signed = (_options.KeepUpstreamSignatures ? info : info with { Signatures = [] }).Sign(key);
        return signed.Format();
    }

    private async Task<GateDecision> DecideAsync(DecisionKey key, CancellationToken lifetime)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(lifetime);
        timeout.CancelAfter(_options.DecisionTimeout);
        try
        {
            return GateDecision.FromVerdict(await _decider.DecideAsync(key.StorePath, key.NarHash, timeout.Token).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (!lifetime.IsCancellationRequested)
        {
            return GateDecision.Unverifiable($"verification did not finish within {_options.DecisionTimeout.TotalSeconds:0.#} s");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A dishonest or unreachable log, or a failing decider: refuse (cached only for the negative TTL).
            return GateDecision.Unverifiable($"the logs could not be checked: {e.Message}");
        }
    }

    private readonly record struct ApprovedNarInfo(DecisionKey Key, string Text);
}
