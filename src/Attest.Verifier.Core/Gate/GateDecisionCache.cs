namespace Attest.Verifier.Gate;

/// <summary>
/// A bounded least-recently-used cache of gate decisions with expiry, where concurrent requests for the same key share
/// one decision (single flight), and a positive decision close to expiry is refreshed in the background while the
/// cached one keeps being served.
/// </summary>
/// <remarks>
/// The shared decision runs under the cache's own lifetime token, not the first caller's: a client that hangs up must
/// not cancel the verification other clients are waiting for. Each caller's token only cancels its own wait. Deciding
/// happens outside the cache's lock, so a slow (cold) decision never delays lookups of other keys. When the logs move
/// on (<see cref="MarkStale"/>), refusals are forgotten; trusted decisions keep their TTL and background refresh.
/// </remarks>
public sealed class GateDecisionCache : IDisposable
{
    private readonly Func<DecisionKey, CancellationToken, Task<GateDecision>> _decide;
    private readonly GateCacheOptions _options;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly Dictionary<DecisionKey, LinkedListNode<CachedDecision>> _entries = [];
    private readonly LinkedList<CachedDecision> _recency = new();
    private readonly Dictionary<DecisionKey, Task<GateDecision>> _inFlight = [];
    private readonly CancellationTokenSource _lifetime = new();
    private long _hits;
    private long _misses;
    private long _decisions;
    private long _staleGeneration;
    private long _clearGeneration;

    /// <summary>Creates a cache.</summary>
    /// <param name="decide">Makes a decision; it should not throw (turn failures into refusals).</param>
    /// <param name="options">Capacity and expiry.</param>
    /// <param name="time">The clock (tests step it).</param>
    public GateDecisionCache(Func<DecisionKey, CancellationToken, Task<GateDecision>> decide, GateCacheOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(decide);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _decide = decide;
        _options = options;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Gets how many lookups were answered from the cache.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Gets how many lookups had to wait for a decision (their own or a shared one).</summary>
    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>Gets how many decisions were actually made (single flight and the cache keep this low).</summary>
    public long Decisions => Interlocked.Read(ref _decisions);

    /// <summary>Gets the number of cached decisions.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Returns the cached decision for <paramref name="key"/>, or makes it (once for all concurrent callers).</summary>
    /// <param name="key">The path and NAR hash.</param>
    /// <param name="cancellationToken">Cancels this caller's wait only.</param>
    /// <returns>The decision.</returns>
    public async ValueTask<GateDecision> GetAsync(DecisionKey key, CancellationToken cancellationToken)
    {
        Task<GateDecision> pending;
        lock (_lock)
        {
            long now = _time.GetTimestamp();
            if (_entries.TryGetValue(key, out LinkedListNode<CachedDecision>? node))
            {
                if (now < node.Value.ExpiresAt)
                {
                    _recency.Remove(node);
                    _recency.AddFirst(node);
                    Interlocked.Increment(ref _hits);
                    if (node.Value.Decision.Trusted && now >= node.Value.RefreshAt && !_inFlight.ContainsKey(key))
                    {
                        _ = StartLocked(key);
                    }

                    return node.Value.Decision;
                }

                _recency.Remove(node);
                _entries.Remove(key);
            }

            Interlocked.Increment(ref _misses);
            pending = _inFlight.TryGetValue(key, out Task<GateDecision>? shared) ? shared : StartLocked(key);
        }

        return await pending.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Returns the cached decision for <paramref name="key"/> if there is an unexpired one, without deciding.</summary>
    /// <param name="key">The path and NAR hash.</param>
    /// <param name="decision">The cached decision.</param>
    /// <returns>Whether one was cached.</returns>
    public bool TryGetCached(DecisionKey key, out GateDecision? decision)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out LinkedListNode<CachedDecision>? node) && _time.GetTimestamp() < node.Value.ExpiresAt)
            {
                decision = node.Value.Decision;
                return true;
            }
        }

        decision = null;
        return false;
    }

    /// <summary>Drops every cached decision; decisions in flight answer their waiters but are not stored.</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _clearGeneration++;
            _entries.Clear();
            _recency.Clear();
        }
    }

    /// <summary>
    /// Tells the cache that the evidence moved on (a log has a newer checkpoint): refusals are dropped, since the path
    /// may be attested now; a refusal in flight answers its waiters but is not stored. Trusted decisions are kept:
    /// re-verifying every one at each checkpoint would cost a busy log's gate all its CPU, and their TTL (with the
    /// refresh-ahead before it) already bounds how long a dissent logged later goes unseen.
    /// </summary>
    public void MarkStale()
    {
        lock (_lock)
        {
            _staleGeneration++;
            LinkedListNode<CachedDecision>? node = _recency.First;
            while (node is not null)
            {
                LinkedListNode<CachedDecision>? next = node.Next;
                if (!node.Value.Decision.Trusted)
                {
                    _recency.Remove(node);
                    _entries.Remove(node.Value.Key);
                }

                node = next;
            }
        }
    }

    /// <summary>Cancels decisions in flight.</summary>
    public void Dispose()
    {
        _lifetime.Cancel();
        _lifetime.Dispose();
    }

    private Task<GateDecision> StartLocked(DecisionKey key)
    {
        Interlocked.Increment(ref _decisions);
        Task<GateDecision> task = DecideAndStoreAsync(key, _staleGeneration, _clearGeneration);
        _inFlight[key] = task;
        return task;
    }

    private async Task<GateDecision> DecideAndStoreAsync(DecisionKey key, long staleGeneration, long clearGeneration)
    {
        // Leave the caller's lock before running the decider, which may complete synchronously.
        await Task.Yield();
        GateDecision decision;
        try
        {
            decision = await _decide(key, _lifetime.Token).ConfigureAwait(false);
        }
        catch
        {
            lock (_lock)
            {
                _inFlight.Remove(key);
            }

            throw;
        }

        TimeSpan ttl = decision.Trusted ? _options.PositiveTtl : _options.NegativeTtl;
        long now = _time.GetTimestamp();
        long expiresAt = now + ToTicks(ttl);
        long refreshAt = now + ToTicks(ttl * _options.RefreshAfterFraction);

        // Stored and taken out of flight under one lock, so no request sees neither and decides again.
        lock (_lock)
        {
            _inFlight.Remove(key);
            if (clearGeneration != _clearGeneration || (staleGeneration != _staleGeneration && !decision.Trusted))
            {
                // Decided on evidence that has since been dropped (Clear) or moved on (MarkStale, for a refusal):
                // it answers its waiters, and the next request decides again.
                return decision;
            }

            if (_entries.Remove(key, out LinkedListNode<CachedDecision>? old))
            {
                _recency.Remove(old);
            }

            _entries[key] = _recency.AddFirst(new CachedDecision(key, decision, expiresAt, refreshAt));
            while (_entries.Count > _options.Capacity)
            {
                LinkedListNode<CachedDecision> last = _recency.Last!;
                _recency.RemoveLast();
                _entries.Remove(last.Value.Key);
            }
        }

        return decision;
    }

    private long ToTicks(TimeSpan span) => checked((long)(span.TotalSeconds * _time.TimestampFrequency));

    private sealed record CachedDecision(DecisionKey Key, GateDecision Decision, long ExpiresAt, long RefreshAt);
}

/// <summary>Capacity and expiry of the <see cref="GateDecisionCache"/>.</summary>
public sealed record GateCacheOptions
{
    /// <summary>Gets the most decisions kept (least recently used are dropped first).</summary>
    public int Capacity { get; init; } = 100_000;

    /// <summary>Gets how long a trusted decision is served before the logs are asked again.</summary>
    public TimeSpan PositiveTtl { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Gets how long a refusal is kept: shorter, so a path attested a moment later becomes available soon.</summary>
    public TimeSpan NegativeTtl { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets the fraction of <see cref="PositiveTtl"/> after which a hit starts a background re-verification while the
    /// cached decision is still served (1 disables refresh-ahead).
    /// </summary>
    public double RefreshAfterFraction { get; init; } = 0.8;

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Capacity, 1, nameof(Capacity));
        ArgumentOutOfRangeException.ThrowIfLessThan(PositiveTtl, TimeSpan.Zero, nameof(PositiveTtl));
        ArgumentOutOfRangeException.ThrowIfLessThan(NegativeTtl, TimeSpan.Zero, nameof(NegativeTtl));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(PositiveTtl, TimeSpan.FromDays(365), nameof(PositiveTtl));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(NegativeTtl, TimeSpan.FromDays(365), nameof(NegativeTtl));
        if (RefreshAfterFraction is not (> 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(RefreshAfterFraction), RefreshAfterFraction, "Must be in (0, 1].");
        }
    }
}
