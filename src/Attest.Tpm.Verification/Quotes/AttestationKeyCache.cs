using System.Collections.Concurrent;
using Attest.Tpm.Verification.Enrollment;

namespace Attest.Tpm.Verification.Quotes;

/// <summary>
/// Imported AKs by Name, so quote verification pays the key import once per AK rather than per quote (importing
/// costs several times the verification itself; bench/figures/tpm-verify.md). Thread-safe. Keys belong to the
/// cache: callers must not dispose them. When full, the cache is cleared rather than evicting one by one; dropped
/// keys are not disposed (a concurrent verification may still hold one) and are released by their finalizers.
/// </summary>
public sealed class AttestationKeyCache : IDisposable
{
    private readonly ConcurrentDictionary<string, AttestationKey> _keys = new(StringComparer.Ordinal);
    private readonly int _capacity;

    /// <summary>Creates a cache holding at most <paramref name="capacity"/> keys.</summary>
    public AttestationKeyCache(int capacity = 100_000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
    }

    /// <summary>The number of cached keys.</summary>
    public int Count => _keys.Count;

    /// <summary>The imported key of an enrolled AK, importing it on first use.</summary>
    /// <exception cref="ArgumentException">The binding's AK public area cannot be imported.</exception>
    public AttestationKey GetOrCreate(AkBinding binding)
    {
        ArgumentNullException.ThrowIfNull(binding);
        string id = Convert.ToHexString(binding.AkName.Span);
        if (_keys.TryGetValue(id, out AttestationKey? cached))
        {
            return cached;
        }

        AttestationKey created = binding.CreateAttestationKey();
        if (!created.Name.Span.SequenceEqual(binding.AkName.Span))
        {
            created.Dispose();
            throw new ArgumentException("The binding's AK public area does not have the binding's AK name.", nameof(binding));
        }

        if (_keys.Count >= _capacity)
        {
            _keys.Clear();
        }

        AttestationKey winner = _keys.GetOrAdd(id, created);
        if (!ReferenceEquals(winner, created))
        {
            created.Dispose();
        }

        return winner;
    }

    /// <summary>Forgets the AK named <paramref name="akName"/> (e.g. after its binding was revoked).</summary>
    public bool Remove(ReadOnlySpan<byte> akName) => _keys.TryRemove(Convert.ToHexString(akName), out _);

    /// <summary>Disposes every cached key; call only when no verification is running.</summary>
    public void Dispose()
    {
        foreach (AttestationKey key in _keys.Values)
        {
            key.Dispose();
        }

        _keys.Clear();
    }
}
