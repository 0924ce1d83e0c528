using Attest.Transparency.Cosignatures;
using Attest.Transparency.Notes;

namespace Attest.Transparency.Checkpoints;

/// <summary>
/// What a client trusts for one log: its origin, the log's verifier key(s), the witnesses' cosignature keys, and how
/// many distinct witnesses must have cosigned (k of n) before a checkpoint counts.
/// </summary>
public sealed class CheckpointPolicy
{
    private readonly NoteVerifier[] _logKeys;
    private readonly NoteVerifier[] _witnesses;
    private readonly NoteVerifier[] _all;

    /// <summary>Creates a policy.</summary>
    /// <param name="origin">The log's origin line.</param>
    /// <param name="logKeys">The log's verifier keys (at least one; more during a key rotation).</param>
    /// <param name="witnesses">The witnesses' verifier keys (usually <see cref="CosignatureVerifier"/>).</param>
    /// <param name="witnessThreshold">How many distinct witnesses must have cosigned; 0 disables the requirement.</param>
    /// <exception cref="ArgumentException">No log key, a threshold above the number of witnesses, or a key that is
    /// both a log key and a witness key.</exception>
    public CheckpointPolicy(string origin, IEnumerable<NoteVerifier> logKeys, IEnumerable<NoteVerifier>? witnesses = null, int witnessThreshold = 0)
    {
        ArgumentNullException.ThrowIfNull(origin);
        ArgumentNullException.ThrowIfNull(logKeys);
        _logKeys = [.. logKeys];
        _witnesses = witnesses is null ? [] : [.. witnesses];
        if (origin.Length == 0 || _logKeys.Length == 0 || Array.Exists(_logKeys, k => k is null) || Array.Exists(_witnesses, k => k is null))
        {
            throw CheckpointError.Argument(CheckpointError.PolicyNeedsKeys, nameof(logKeys));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(witnessThreshold);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(witnessThreshold, _witnesses.Length);
        foreach (var w in _witnesses)
        {
            if (Array.Exists(_logKeys, l => l.KeyId == w.KeyId && l.Name == w.Name))
            {
                throw CheckpointError.Argument(CheckpointError.KeyInBothRoles(w.Name, w.KeyId.ToString()), nameof(witnesses));
            }
        }

        Origin = origin;
        WitnessThreshold = witnessThreshold;
        _all = [.. _logKeys, .. _witnesses];
    }

    /// <summary>The log's origin line.</summary>
    public string Origin { get; }

    /// <summary>The log's verifier keys.</summary>
    public IReadOnlyList<NoteVerifier> LogKeys => _logKeys;

    /// <summary>The witnesses' verifier keys.</summary>
    public IReadOnlyList<NoteVerifier> Witnesses => _witnesses;

    /// <summary>How many distinct witnesses must have cosigned.</summary>
    public int WitnessThreshold { get; }

    /// <summary>Verifies a signed checkpoint against this policy.</summary>
    public CheckpointVerdict Verify(SignedCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        if (!string.Equals(checkpoint.Checkpoint.Origin, Origin, StringComparison.Ordinal))
        {
            return CheckpointVerdict.Fail(CheckpointFailure.OriginMismatch, CheckpointError.OriginMismatch(Origin, checkpoint.Checkpoint.Origin), null);
        }

        var result = checkpoint.Note.Verify(_all);
        if (result.Failed.Count > 0)
        {
            bool logFailed = result.Failed.Any(f => IsLogKey(f.Verifier));
            return CheckpointVerdict.Fail(
                logFailed ? CheckpointFailure.LogSignatureInvalid : CheckpointFailure.CosignatureInvalid,
                string.Join("; ", result.Failed.Select(f => f.ToString())),
                result);
        }

        if (!result.Verified.Any(v => IsLogKey(v.Verifier)))
        {
            return CheckpointVerdict.Fail(CheckpointFailure.LogSignatureMissing, CheckpointError.NoLogSignature(Origin), result);
        }

        var cosignatures = new List<VerifiedCosignature>();
        foreach (var v in result.Verified)
        {
            if (!IsLogKey(v.Verifier))
            {
                Cosignature.TryDecode(v.Signature, out var cosignature);
                cosignatures.Add(new VerifiedCosignature(v.Verifier, cosignature.Timestamp));
            }
        }

        if (cosignatures.Count < WitnessThreshold)
        {
            return CheckpointVerdict.Fail(
                CheckpointFailure.TooFewCosignatures,
                CheckpointError.TooFewCosignatures(cosignatures.Count, _witnesses.Length, WitnessThreshold),
                result);
        }

        return new CheckpointVerdict(CheckpointFailure.None, null, result, checkpoint.Checkpoint, cosignatures);
    }

    private bool IsLogKey(NoteVerifier key) => Array.IndexOf(_logKeys, key) >= 0;
}
