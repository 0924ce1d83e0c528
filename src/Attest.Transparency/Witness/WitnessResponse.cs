namespace Attest.Transparency.Witness;

/// <summary>The outcome of an add-checkpoint request, each with the HTTP status c2sp.org/tlog-witness gives it.</summary>
public enum WitnessOutcome
{
    /// <summary>200: the checkpoint was cosigned and recorded.</summary>
    Cosigned,

    /// <summary>400: the body is malformed.</summary>
    Malformed,

    /// <summary>400: the old size is larger than the checkpoint size.</summary>
    OldSizeTooLarge,

    /// <summary>403: no signature by a trusted key for the origin verifies (or one fails).</summary>
    BadSignature,

    /// <summary>404: the witness does not know the checkpoint's origin.</summary>
    UnknownOrigin,

    /// <summary>409: the old size is not the latest cosigned size; the body carries that size.</summary>
    Conflict,

    /// <summary>409: same size as the latest cosigned checkpoint but a different root hash.</summary>
    RootMismatch,

    /// <summary>422: the consistency proof does not verify.</summary>
    BadProof,
}

/// <summary>An add-checkpoint response ready to be written as HTTP.</summary>
/// <param name="Outcome">What happened.</param>
/// <param name="StatusCode">The HTTP status code.</param>
/// <param name="ContentType">The Content-Type of <paramref name="Body"/>.</param>
/// <param name="Body">The response body: cosignature lines, the current size (409), or an error sentence.</param>
/// <param name="Message">A sentence for logs.</param>
public readonly record struct WitnessResponse(WitnessOutcome Outcome, int StatusCode, string ContentType, ReadOnlyMemory<byte> Body, string Message)
{
    /// <summary>The Content-Type of a 409 response body (c2sp.org/tlog-witness).</summary>
    public const string TreeSizeContentType = "text/x.tlog.size";

    /// <summary>The Content-Type of cosignature lines and error sentences.</summary>
    public const string TextContentType = "text/plain; charset=utf-8";
}
