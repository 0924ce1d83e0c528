using Attest.Transparency.Notes;

namespace Attest.Transparency.Checkpoints;

/// <summary>Why a signed checkpoint was rejected by a <see cref="CheckpointPolicy"/>.</summary>
public enum CheckpointFailure
{
    /// <summary>The checkpoint satisfies the policy.</summary>
    None = 0,

    /// <summary>The checkpoint names another log.</summary>
    OriginMismatch,

    /// <summary>No signature by the log's key.</summary>
    LogSignatureMissing,

    /// <summary>A signature line claiming the log's key does not verify.</summary>
    LogSignatureInvalid,

    /// <summary>A signature line claiming a configured witness's key does not verify.</summary>
    CosignatureInvalid,

    /// <summary>Fewer distinct witnesses cosigned than the policy requires.</summary>
    TooFewCosignatures,
}

/// <summary>A cosignature by a configured witness that verified.</summary>
/// <param name="Witness">The witness key.</param>
/// <param name="Timestamp">The cosignature's POSIX timestamp (0 for a witness key that is not a cosignature key).</param>
public readonly record struct VerifiedCosignature(NoteVerifier Witness, ulong Timestamp);

/// <summary>The verdict of checking a signed checkpoint against a <see cref="CheckpointPolicy"/>.</summary>
public sealed class CheckpointVerdict
{
    internal CheckpointVerdict(
        CheckpointFailure failure,
        string? message,
        NoteVerificationResult? signatures,
        Checkpoint? checkpoint,
        IReadOnlyList<VerifiedCosignature> cosignatures)
    {
        Failure = failure;
        Message = message;
        Signatures = signatures;
        Checkpoint = checkpoint;
        Cosignatures = cosignatures;
    }

    /// <summary>True when the checkpoint satisfies the policy.</summary>
    public bool IsValid => Failure == CheckpointFailure.None;

    /// <summary>What failed, or <see cref="CheckpointFailure.None"/>.</summary>
    public CheckpointFailure Failure { get; }

    /// <summary>A sentence saying what failed; null when valid.</summary>
    public string? Message { get; }

    /// <summary>The note signature verdict, when the signatures were checked.</summary>
    public NoteVerificationResult? Signatures { get; }

    /// <summary>The verified checkpoint; null unless valid.</summary>
    public Checkpoint? Checkpoint { get; }

    /// <summary>The witnesses whose cosignatures verified, with their timestamps.</summary>
    public IReadOnlyList<VerifiedCosignature> Cosignatures { get; }

    internal static CheckpointVerdict Fail(CheckpointFailure failure, string message, NoteVerificationResult? signatures) =>
        new(failure, message, signatures, null, []);

    /// <summary>The failure message, or "valid".</summary>
    public override string ToString() => Message ?? "valid";
}
