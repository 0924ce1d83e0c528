namespace Attest.Tpm.Verification.Quotes;

/// <summary>Why a quote was rejected.</summary>
public enum QuoteFailureCode
{
    /// <summary>The TPMS_ATTEST bytes are not a well-formed quote.</summary>
    MalformedAttest = 1,

    /// <summary>The TPMT_SIGNATURE bytes are malformed, or not an RSA or ECC signature.</summary>
    MalformedSignature,

    /// <summary>The signature scheme or hash is not the AK's (only RSASSA for RSA AKs and ECDSA for ECC AKs, with SHA-256, are accepted).</summary>
    UnsupportedSignatureScheme,

    /// <summary>The signature does not verify with the enrolled AK over SHA-256(TPMS_ATTEST).</summary>
    SignatureInvalid,

    /// <summary>extraData is not the expected digest (wrong nonce or statement).</summary>
    ExtraDataMismatch,

    /// <summary>A selected PCR has no supplied value.</summary>
    PcrValueMissing,

    /// <summary>A supplied PCR value is not covered by the quote's selection.</summary>
    PcrValueNotQuoted,

    /// <summary>pcrDigest is not the SHA-256 of the supplied values in selection order.</summary>
    PcrDigestMismatch,

    /// <summary>The selection does not cover a PCR the policy requires.</summary>
    RequiredPcrNotQuoted,

    /// <summary>qualifiedSigner is not a qualified name of the enrolled AK.</summary>
    QualifiedSignerMismatch,

    /// <summary>clockInfo.safe is 0: the clock may have been reported before.</summary>
    ClockNotSafe,

    /// <summary>Same resetCount and restartCount as an earlier quote with a clock that is not later: a replayed quote.</summary>
    Replay,

    /// <summary>resetCount, or restartCount within one reset, went backwards: TPM state was rolled back.</summary>
    CounterRollback,

    /// <summary>The counters advanced but the clock is not later than an earlier quote's.</summary>
    ClockWentBack,
}

/// <summary>One reason a quote was rejected.</summary>
/// <param name="Code">The kind of failure.</param>
/// <param name="Detail">What exactly was wrong, for logs and problem details.</param>
public readonly record struct QuoteFailure(QuoteFailureCode Code, string Detail)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Code}: {Detail}";
}
