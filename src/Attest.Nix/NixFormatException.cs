namespace Attest.Nix;

/// <summary>
/// Thrown when text or bytes in one of Nix's formats (nix32, hashes, store paths, NAR, .drv, narinfo, keys) are
/// malformed. The message names what was wrong and where.
/// </summary>
public sealed class NixFormatException : FormatException
{
    /// <summary>Creates an exception with a generic message.</summary>
    public NixFormatException()
        : this("Malformed Nix data.")
    {
    }

    /// <summary>Creates an exception with <paramref name="message"/> and no known offset.</summary>
    /// <param name="message">What was wrong.</param>
    public NixFormatException(string message)
        : this(message, -1)
    {
    }

    /// <summary>Creates an exception wrapping <paramref name="innerException"/>.</summary>
    /// <param name="message">What was wrong.</param>
    /// <param name="innerException">The underlying error.</param>
    public NixFormatException(string message, Exception? innerException)
        : base(message, innerException)
    {
        Offset = -1;
    }

    /// <summary>Creates an exception with <paramref name="message"/> at <paramref name="offset"/>.</summary>
    /// <param name="message">What was wrong.</param>
    /// <param name="offset">Offset (in characters or bytes of the input) where the problem was found, or -1.</param>
    public NixFormatException(string message, long offset)
        : base(offset >= 0 ? $"{message} (at offset {offset})" : message)
    {
        Offset = offset;
    }

    /// <summary>Offset in the input (characters for text formats, bytes for NAR) where parsing failed, or -1.</summary>
    public long Offset { get; }
}
