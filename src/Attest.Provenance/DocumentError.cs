namespace Attest.Provenance;

/// <summary>Why a document (attestation, DSSE envelope, statement or registry change) was refused.</summary>
/// <remarks>Each code maps to one HTTP status (<see cref="DocumentError.Status"/>) and one stable slug for problem
/// details (<see cref="DocumentError.Slug"/>); see docs/formats.md.</remarks>
public enum DocumentErrorCode
{
    /// <summary>The document exceeds the entry limit (413).</summary>
    TooLarge = 1,

    /// <summary>Not well-formed, acceptable JSON: syntax, duplicate names, bad strings or numbers, depth (400).</summary>
    MalformedJson,

    /// <summary>The outer document is not an attestation <c>{"dsse": ..., "tpm": ...}</c> (400).</summary>
    NotAttestationDocument,

    /// <summary>The <c>dsse</c> value is not a DSSE envelope: missing or mistyped fields, bad base64 (400).</summary>
    NotDsseEnvelope,

    /// <summary>The envelope's <c>payloadType</c> is not the one expected here (400).</summary>
    UnsupportedPayloadType,

    /// <summary>The payload is not an in-toto Statement v1 (400).</summary>
    NotInTotoStatement,

    /// <summary>The statement's <c>predicateType</c> is not SLSA Provenance v1 (400).</summary>
    UnsupportedPredicateType,

    /// <summary>A subject is not a valid Nix store path with a sha256 digest of 64 hex digits (400).</summary>
    InvalidSubject,

    /// <summary>The SLSA predicate does not follow the Nix build type's schema (400).</summary>
    InvalidPredicate,

    /// <summary>The document is not a valid builder-registry change (400).</summary>
    InvalidRegistryChange,

    /// <summary>The signing key is not registered (403).</summary>
    UnknownKey,

    /// <summary>The signing key was registered but has been revoked (403).</summary>
    RevokedKey,

    /// <summary>The signature does not verify over the DSSE pre-authentication encoding (401).</summary>
    BadSignature,
}

/// <summary>A refused document: what was wrong, where, and how to report it.</summary>
/// <param name="Code">The kind of failure.</param>
/// <param name="Path">JSONPath-style location of the offending field (<c>$.dsse.signatures[0].sig</c>); paths inside
/// the DSSE payload start at <c>$.dsse.payload</c> (for example <c>$.dsse.payload.subject[1].digest.sha256</c>).</param>
/// <param name="Message">A readable description naming the field and the rule.</param>
public sealed record DocumentError(DocumentErrorCode Code, string Path, string Message)
{
    /// <summary>Gets the HTTP status that reports this error: 413, 400, 401 or 403.</summary>
    public int Status => Code switch
    {
        DocumentErrorCode.TooLarge => 413,
        DocumentErrorCode.BadSignature => 401,
        DocumentErrorCode.UnknownKey or DocumentErrorCode.RevokedKey => 403,
        _ => 400,
    };

    /// <summary>Gets a stable kebab-case name for the code, such as <c>bad-signature</c>.</summary>
    public string Slug => Code switch
    {
        DocumentErrorCode.TooLarge => "too-large",
        DocumentErrorCode.MalformedJson => "malformed-json",
        DocumentErrorCode.NotAttestationDocument => "not-attestation-document",
        DocumentErrorCode.NotDsseEnvelope => "not-dsse-envelope",
        DocumentErrorCode.UnsupportedPayloadType => "unsupported-payload-type",
        DocumentErrorCode.NotInTotoStatement => "not-in-toto-statement",
        DocumentErrorCode.UnsupportedPredicateType => "unsupported-predicate-type",
        DocumentErrorCode.InvalidSubject => "invalid-subject",
        DocumentErrorCode.InvalidPredicate => "invalid-predicate",
        DocumentErrorCode.InvalidRegistryChange => "invalid-registry-change",
        DocumentErrorCode.UnknownKey => "unknown-key",
        DocumentErrorCode.RevokedKey => "revoked-key",
        DocumentErrorCode.BadSignature => "bad-signature",
        _ => "invalid-document",
    };

    /// <inheritdoc/>
    public override string ToString() => $"{Slug} at {Path}: {Message}";
}

/// <summary>Thrown by the throwing parse and verify methods; the Try forms return the <see cref="DocumentError"/>.</summary>
public sealed class DocumentException : FormatException
{
    /// <summary>Initializes a new instance from an error.</summary>
    /// <param name="error">What was wrong and where.</param>
    public DocumentException(DocumentError error)
        : base((error ?? throw new ArgumentNullException(nameof(error))).ToString())
    {
        Error = error;
    }

    /// <summary>Gets what was wrong and where.</summary>
    public DocumentError Error { get; }
}
