namespace Attest.Provenance.Json;

/// <summary>Why a JSON text could not be canonicalized.</summary>
public enum JsonCanonicalizationErrorCode
{
    /// <summary>The input or the canonical output exceeds its byte limit.</summary>
    TooLarge = 1,

    /// <summary>The text is not well-formed JSON (RFC 8259), or holds more than one value.</summary>
    Malformed,

    /// <summary>Objects and arrays nest deeper than allowed.</summary>
    TooDeep,

    /// <summary>A container holds too many elements, or the document too many values.</summary>
    TooManyElements,

    /// <summary>An object names the same member twice (after unescaping); RFC 8785 §3.1 forbids it.</summary>
    DuplicateKey,

    /// <summary>A string is not valid UTF-8 or holds an unpaired surrogate escape (RFC 8785 §3.2.2.2).</summary>
    InvalidString,

    /// <summary>
    /// A number is outside the IEEE 754 double range, or an integer literal (beyond 2^53) that no double represents
    /// exactly as written and that would silently become a different integer (RFC 7493 I-JSON §2.2).
    /// </summary>
    NumberOutOfRange,
}

/// <summary>A canonicalization failure: what was wrong and where.</summary>
/// <param name="Code">The kind of failure.</param>
/// <param name="Path">The JSONPath-style location of the offending value, such as <c>$.dsse.signatures[0]</c>.</param>
/// <param name="ByteOffset">The byte offset in the input where the failure was detected.</param>
/// <param name="Message">A readable description.</param>
public sealed record JsonCanonicalizationError(
    JsonCanonicalizationErrorCode Code,
    string Path,
    long ByteOffset,
    string Message)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Message} (at {Path}, byte {ByteOffset})";
}

/// <summary>Thrown when a JSON text cannot be canonicalized.</summary>
public sealed class JsonCanonicalizationException : FormatException
{
    /// <summary>Initializes a new instance from an error.</summary>
    /// <param name="error">What was wrong and where.</param>
    public JsonCanonicalizationException(JsonCanonicalizationError error)
        : base((error ?? throw new ArgumentNullException(nameof(error))).ToString())
    {
        Error = error;
    }

    /// <summary>Gets what was wrong and where.</summary>
    public JsonCanonicalizationError Error { get; }
}
