namespace Attest.Transparency.Notes;

/// <summary>A signature by a known key that verified.</summary>
/// <param name="Signature">The signature line.</param>
/// <param name="Verifier">The known key that verified it.</param>
public readonly record struct VerifiedNoteSignature(NoteSignature Signature, NoteVerifier Verifier);

/// <summary>A signature by a known key that did not verify, and why.</summary>
/// <param name="Signature">The signature line.</param>
/// <param name="Verifier">The known key it claims.</param>
/// <param name="Reason">Why it failed.</param>
public readonly record struct FailedNoteSignature(NoteSignature Signature, NoteVerifier Verifier, NoteSignatureFailure Reason)
{
    /// <summary>A sentence naming the key and the reason.</summary>
    public override string ToString() => Reason switch
    {
        NoteSignatureFailure.WrongLength => $"signature by {Verifier.Name}+{Verifier.KeyId} has {Signature.Signature.Length} bytes, the wrong length for signature type 0x{(byte)Verifier.SignatureType:x2}",
        NoteSignatureFailure.InvalidSignature => $"signature by {Verifier.Name}+{Verifier.KeyId} does not verify over the note text",
        NoteSignatureFailure.TimestampOutOfRange => $"cosignature by {Verifier.Name}+{Verifier.KeyId} has a timestamp above 2^63-1",
        NoteSignatureFailure.Duplicate => $"more than one signature line by {Verifier.Name}+{Verifier.KeyId}",
        NoteSignatureFailure.AmbiguousKey => $"more than one configured verifier key is named {Verifier.Name} with key ID {Verifier.KeyId}",
        _ => $"signature by {Verifier.Name}+{Verifier.KeyId}: {Reason}",
    };
}

/// <summary>
/// The verdict of checking a note against a set of known verifier keys (c2sp.org/signed-note, "Signatures"):
/// signatures by unknown keys are ignored, every signature by a known key must verify, and at least one must.
/// </summary>
public sealed class NoteVerificationResult
{
    internal NoteVerificationResult(
        IReadOnlyList<VerifiedNoteSignature> verified,
        IReadOnlyList<FailedNoteSignature> failed,
        IReadOnlyList<NoteSignature> unknown)
    {
        Verified = verified;
        Failed = failed;
        Unknown = unknown;
    }

    /// <summary>True when at least one known key verified and no signature by a known key failed.</summary>
    public bool IsValid => Verified.Count > 0 && Failed.Count == 0;

    /// <summary>Signatures by known keys that verified, in note order.</summary>
    public IReadOnlyList<VerifiedNoteSignature> Verified { get; }

    /// <summary>Signatures by known keys that failed, with reasons, in note order.</summary>
    public IReadOnlyList<FailedNoteSignature> Failed { get; }

    /// <summary>Signatures whose name and key ID match no known key; they are ignored.</summary>
    public IReadOnlyList<NoteSignature> Unknown { get; }

    /// <summary>True when a signature by <paramref name="verifier"/> verified.</summary>
    public bool IsVerifiedBy(NoteVerifier verifier)
    {
        ArgumentNullException.ThrowIfNull(verifier);
        foreach (var v in Verified)
        {
            if (ReferenceEquals(v.Verifier, verifier) || (v.Verifier.KeyId == verifier.KeyId && v.Verifier.Name == verifier.Name
                && v.Verifier.PublicKey.SequenceEqual(verifier.PublicKey)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Null when valid, otherwise one sentence per problem.</summary>
    public string? Error => IsValid
        ? null
        : Failed.Count > 0
            ? string.Join("; ", Failed.Select(f => f.ToString()))
            : Unknown.Count > 0
                ? $"no signature by a known key; ignored {Unknown.Count} signature(s) by unknown keys ({string.Join(", ", Unknown.Select(u => $"{u.Name}+{u.KeyId}"))})"
                : "no signature by a known key";

    /// <summary>Throws when the note did not verify.</summary>
    /// <exception cref="NoteVerificationException">The note did not verify; the exception carries this result.</exception>
    public void ThrowIfInvalid()
    {
        if (!IsValid)
        {
            throw new NoteVerificationException(this);
        }
    }
}

/// <summary>A note failed verification against the known keys.</summary>
public sealed class NoteVerificationException : Exception
{
    /// <summary>Creates the exception from a failed verification.</summary>
    public NoteVerificationException(NoteVerificationResult result)
        : base(result?.Error ?? "note did not verify")
    {
        Result = result ?? throw new ArgumentNullException(nameof(result));
    }

    /// <summary>The verification verdict with its reasons.</summary>
    public NoteVerificationResult Result { get; }
}
