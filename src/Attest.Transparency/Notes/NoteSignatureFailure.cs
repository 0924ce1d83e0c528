namespace Attest.Transparency.Notes;

/// <summary>Why a signature by a known key did not verify.</summary>
public enum NoteSignatureFailure
{
    /// <summary>The signature verified.</summary>
    None = 0,

    /// <summary>The signature bytes have the wrong length for the key's signature type.</summary>
    WrongLength,

    /// <summary>The cryptographic check failed: the text or the signature was changed, or another key signed.</summary>
    InvalidSignature,

    /// <summary>A cosignature timestamp above 2^63-1 (c2sp.org/tlog-cosignature).</summary>
    TimestampOutOfRange,

    /// <summary>A second signature line with the same key name and key ID as one already checked.</summary>
    Duplicate,

    /// <summary>Two configured verifier keys share this key name and key ID, so the signer is ambiguous.</summary>
    AmbiguousKey,
}
