using System.Diagnostics.CodeAnalysis;
using System.Buffers.Binary;
using System.Text;

namespace Attest.Transparency.Notes;

/// <summary>
/// One signature line of a signed note: <c>— &lt;name&gt; base64(key ID || signature)</c> (c2sp.org/signed-note).
/// Signatures from keys the reader does not know are kept so that a note can be served again with them.
/// </summary>
public readonly struct NoteSignature : IEquatable<NoteSignature>
{
    private readonly byte[] _signature;

    /// <summary>Creates a signature line from its parts; <paramref name="signature"/> is copied.</summary>
    /// <param name="name">The key name (non-empty, no white space, no '+').</param>
    /// <param name="keyId">The key ID.</param>
    /// <param name="signature">The signature bytes after the key ID (at least one byte).</param>
    public NoteSignature(string name, NoteKeyId keyId, ReadOnlySpan<byte> signature)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!NoteEncoding.IsValidKeyName(name))
        {
            throw NoteError.Argument(NoteError.InvalidKeyName(name), nameof(name));
        }

        // The line "— name base64(id || signature)" must fit the parser's line cap, or it could not be read back.
        long lineLength = NoteEncoding.SignaturePrefix.Length + Encoding.UTF8.GetByteCount(name) + 1 + (4L * ((signature.Length + 4 + 2) / 3));
        if (signature.IsEmpty || lineLength > NoteLimits.MaxLineBytes)
        {
            throw NoteError.Argument("signature must be non-empty and fit on one note line", nameof(signature));
        }

        Name = name;
        KeyId = keyId;
        _signature = signature.ToArray();
    }

    private NoteSignature(string name, NoteKeyId keyId, byte[] signature)
    {
        Name = name;
        KeyId = keyId;
        _signature = signature;
    }

    /// <summary>The key name.</summary>
    public string Name { get; }

    /// <summary>The key ID.</summary>
    public NoteKeyId KeyId { get; }

    /// <summary>The signature bytes after the four key ID bytes.</summary>
    public ReadOnlySpan<byte> Signature => _signature;

    /// <summary>The base64 of key ID and signature, as written after the name.</summary>
    public string Base64
    {
        get
        {
            var raw = new byte[4 + _signature.Length];
            BinaryPrimitives.WriteUInt32BigEndian(raw, KeyId.Value);
            _signature.CopyTo(raw, 4);
            return Convert.ToBase64String(raw);
        }
    }

    /// <summary>The signature line with its leading em dash and trailing newline.</summary>
    public string ToLine() => $"\u2014 {Name} {Base64}\n";

    /// <summary>The signature line without its trailing newline.</summary>
    public override string ToString() => $"\u2014 {Name} {Base64}";

    /// <summary>Parses one signature line (without its newline).</summary>
    /// <exception cref="FormatException">The line is not a well-formed signature line.</exception>
    public static NoteSignature ParseLine(ReadOnlySpan<byte> line) =>
        TryParseLine(line, out var signature, out string? error) ? signature : throw NoteError.Format(error);

    /// <summary>Parses one signature line (without its newline), reporting what is wrong on failure.</summary>
    public static bool TryParseLine(ReadOnlySpan<byte> line, out NoteSignature signature, [NotNullWhen(false)] out string? error)
    {
        signature = default;
        if (line.Length > NoteLimits.MaxLineBytes)
        {
            error = $"signature line is longer than {NoteLimits.MaxLineBytes} bytes";
            return false;
        }

        if (!line.StartsWith(NoteEncoding.SignaturePrefix))
        {
            error = "signature line does not start with an em dash (U+2014) and a space";
            return false;
        }

        line = line[NoteEncoding.SignaturePrefix.Length..];
        int space = line.IndexOf((byte)' ');
        if (space < 0)
        {
            error = "signature line has no space between key name and signature";
            return false;
        }

        var nameBytes = line[..space];
        var base64 = line[(space + 1)..];
        if (nameBytes.Length > NoteLimits.MaxKeyNameBytes || !NoteEncoding.IsValidKeyName(nameBytes))
        {
            error = "signature line has an invalid key name (empty, too long, white space, '+' or bad UTF-8)";
            return false;
        }

        // Bounded by the line cap checked above; Ed25519 and cosignature lines fit the stack buffer.
        int maxDecoded = NoteEncoding.MaxDecodedLength(base64.Length);
        Span<byte> decoded = maxDecoded <= 128 ? stackalloc byte[128] : new byte[maxDecoded];
        if (!NoteEncoding.TryDecodeBase64(base64, decoded, out int written))
        {
            error = "signature is not valid base64";
            return false;
        }

        if (written < 5)
        {
            error = $"signature decodes to {written} bytes, fewer than a 4-byte key ID and a signature";
            return false;
        }

        signature = new NoteSignature(
            Encoding.UTF8.GetString(nameBytes),
            new NoteKeyId(BinaryPrimitives.ReadUInt32BigEndian(decoded)),
            decoded[4..written].ToArray());
        error = null;
        return true;
    }

    /// <summary>
    /// Parses a block of newline-terminated signature lines, such as a c2sp.org/tlog-witness add-checkpoint
    /// response body.
    /// </summary>
    /// <exception cref="FormatException">The block is empty, too long, unterminated, or a line is malformed.</exception>
    public static IReadOnlyList<NoteSignature> ParseLines(ReadOnlySpan<byte> lines) =>
        TryParseLines(lines, out var signatures, out string? error) ? signatures : throw NoteError.Format(error);

    /// <summary>Parses a block of newline-terminated signature lines, reporting what is wrong on failure.</summary>
    public static bool TryParseLines(
        ReadOnlySpan<byte> lines,
        [NotNullWhen(true)] out IReadOnlyList<NoteSignature>? signatures,
        [NotNullWhen(false)] out string? error)
    {
        signatures = null;
        if (lines.IsEmpty)
        {
            error = NoteError.NoSignatures;
            return false;
        }

        if (lines[^1] != (byte)'\n')
        {
            error = NoteError.UnterminatedSignatures;
            return false;
        }

        var list = new List<NoteSignature>();
        int index = 0;
        while (!lines.IsEmpty)
        {
            if (index == NoteLimits.MaxSignatures)
            {
                error = NoteError.TooManySignatures;
                return false;
            }

            int newline = lines.IndexOf((byte)'\n');
            if (!TryParseLine(lines[..newline], out var signature, out string? lineError))
            {
                error = NoteError.SignatureLine(index, lineError);
                return false;
            }

            list.Add(signature);
            lines = lines[(newline + 1)..];
            index++;
        }

        signatures = list;
        error = null;
        return true;
    }

    /// <summary>True when both lines have the same name, key ID and signature bytes.</summary>
    public bool Equals(NoteSignature other) =>
        string.Equals(Name, other.Name, StringComparison.Ordinal) && KeyId == other.KeyId && Signature.SequenceEqual(other.Signature);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is NoteSignature other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Name, StringComparer.Ordinal);
        hash.Add(KeyId);
        hash.AddBytes(Signature);
        return hash.ToHashCode();
    }

    /// <summary>Equality of name, key ID and signature bytes.</summary>
    public static bool operator ==(NoteSignature left, NoteSignature right) => left.Equals(right);

    /// <summary>Inequality of name, key ID or signature bytes.</summary>
    public static bool operator !=(NoteSignature left, NoteSignature right) => !left.Equals(right);

    /// <summary>True when this signature's name and key ID are those of <paramref name="verifier"/>.</summary>
    internal bool IsFrom(NoteVerifier verifier) =>
        KeyId == verifier.KeyId && string.Equals(Name, verifier.Name, StringComparison.Ordinal);

    internal static NoteSignature CreateTrusted(string name, NoteKeyId keyId, byte[] signature) => new(name, keyId, signature);
}
