using Attest.Transparency.Notes;

namespace Attest.Transparency.Witness;

/// <summary>A log a witness accepts checkpoints from: its origin and the verifier key(s) trusted for it.</summary>
public sealed class WitnessLog
{
    private readonly NoteVerifier[] _keys;

    /// <summary>Creates a log entry.</summary>
    /// <exception cref="ArgumentException">The origin is empty or no key is given.</exception>
    public WitnessLog(string origin, params IEnumerable<NoteVerifier> keys)
    {
        ArgumentException.ThrowIfNullOrEmpty(origin);
        ArgumentNullException.ThrowIfNull(keys);
        _keys = [.. keys];
        if (_keys.Length == 0 || Array.Exists(_keys, k => k is null))
        {
            throw WitnessError.Argument(WitnessError.NoLogKey, nameof(keys));
        }

        Origin = origin;
    }

    /// <summary>The log's origin line.</summary>
    public string Origin { get; }

    /// <summary>The verifier keys trusted for this origin.</summary>
    public IReadOnlyList<NoteVerifier> Keys => _keys;
}
