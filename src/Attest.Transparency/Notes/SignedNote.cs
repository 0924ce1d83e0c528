using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Attest.Transparency.Notes;

/// <summary>
/// A signed note (c2sp.org/signed-note): a UTF-8 text ending in a newline, a blank line, then one or more lines
/// <c>— &lt;key name&gt; base64(key ID || signature)</c>. Parsing keeps every signature, including those by keys the
/// reader does not know, so the note can be served again unchanged; <see cref="Verify(IEnumerable{NoteVerifier})"/>
/// decides which of them count.
/// </summary>
public sealed class SignedNote
{
    private readonly byte[] _text;
    private readonly NoteSignature[] _signatures;

    private SignedNote(byte[] text, NoteSignature[] signatures)
    {
        _text = text;
        _signatures = signatures;
    }

    /// <summary>The note text in UTF-8, including its final newline and excluding the blank separator line.</summary>
    public ReadOnlySpan<byte> TextUtf8 => _text;

    /// <summary>The note text, including its final newline.</summary>
    public string Text => Encoding.UTF8.GetString(_text);

    /// <summary>The signature lines in note order.</summary>
    public IReadOnlyList<NoteSignature> Signatures => _signatures;

    /// <summary>Parses a signed note.</summary>
    /// <exception cref="FormatException">The note is malformed; the message says what and where.</exception>
    public static SignedNote Parse(ReadOnlySpan<byte> note) =>
        TryParse(note, out var result, out string? error) ? result : throw NoteError.Format(error);

    /// <summary>Parses a signed note, reporting what is wrong on failure.</summary>
    public static bool TryParse(ReadOnlySpan<byte> note, [NotNullWhen(true)] out SignedNote? result, [NotNullWhen(false)] out string? error)
    {
        result = null;
        if (note.Length > NoteLimits.MaxNoteBytes)
        {
            error = NoteError.TooLarge(note.Length);
            return false;
        }

        if (!TryValidateCharacters(note, out error))
        {
            return false;
        }

        // c2sp.org/signed-note: "the text is separated from the signatures by the last empty line in the note".
        int split = note.LastIndexOf("\n\n"u8);
        if (split < 0)
        {
            error = NoteError.NoSeparator;
            return false;
        }

        var text = note[..(split + 1)];
        var block = note[(split + 2)..];
        if (block.IsEmpty)
        {
            error = NoteError.NoSignatures;
            return false;
        }

        if (!TryCheckTextLines(text, out error))
        {
            return false;
        }

        if (!NoteSignature.TryParseLines(block, out var signatures, out error))
        {
            return false;
        }

        result = new SignedNote(text.ToArray(), [.. signatures]);
        return true;
    }

    /// <summary>Parses a signed note given as a string.</summary>
    /// <exception cref="FormatException">The note is malformed.</exception>
    public static SignedNote Parse(string note)
    {
        ArgumentNullException.ThrowIfNull(note);
        return Parse(Encoding.UTF8.GetBytes(note));
    }

    /// <summary>
    /// Signs <paramref name="text"/> with each signer, in order, as Go's note.Sign does (Ed25519 signatures are
    /// deterministic, so the result is byte for byte the same as Go's).
    /// </summary>
    /// <exception cref="ArgumentException">The text is empty, does not end with a newline, contains control
    /// characters, or no signer was given.</exception>
    public static SignedNote Sign(string text, params IEnumerable<NoteSigner> signers)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Sign(Encoding.UTF8.GetBytes(text), signers);
    }

    /// <inheritdoc cref="Sign(string, IEnumerable{NoteSigner})"/>
    public static SignedNote Sign(ReadOnlySpan<byte> text, params IEnumerable<NoteSigner> signers)
    {
        ArgumentNullException.ThrowIfNull(signers);
        if (!TryValidateText(text, out string? error))
        {
            throw NoteError.Argument(error, nameof(text));
        }

        var note = new SignedNote(text.ToArray(), []);
        var result = note.AddSignatures(signers);
        return result._signatures.Length > 0 ? result : throw NoteError.Argument("at least one signer is required", nameof(signers));
    }

    /// <summary>
    /// Returns a note with the same text and a new signature by each signer appended; an existing signature with the
    /// same key name and key ID is replaced.
    /// </summary>
    public SignedNote AddSignatures(params IEnumerable<NoteSigner> signers)
    {
        ArgumentNullException.ThrowIfNull(signers);
        var added = new List<NoteSignature>();
        foreach (var signer in signers)
        {
            ArgumentNullException.ThrowIfNull(signer, nameof(signers));
            added.Add(NoteSignature.CreateTrusted(signer.Name, signer.KeyId, signer.Sign(_text)));
        }

        return WithSignatures(added);
    }

    /// <summary>
    /// Returns a note with the same text and the given signature lines (for example cosignatures returned by a
    /// witness) appended; an existing signature with the same key name and key ID is replaced. The signatures are
    /// not verified here.
    /// </summary>
    /// <exception cref="ArgumentException">The note would have more than <see cref="NoteLimits.MaxSignatures"/> signatures.</exception>
    public SignedNote WithSignatures(IEnumerable<NoteSignature> signatures)
    {
        ArgumentNullException.ThrowIfNull(signatures);
        var list = new List<NoteSignature>(_signatures);
        foreach (var signature in signatures)
        {
            if (signature.Name is null)
            {
                throw NoteError.Argument("default(NoteSignature) is not a signature", nameof(signatures));
            }

            list.RemoveAll(s => s.KeyId == signature.KeyId && string.Equals(s.Name, signature.Name, StringComparison.Ordinal));
            list.Add(signature);
        }

        if (list.Count > NoteLimits.MaxSignatures)
        {
            throw NoteError.Argument(NoteError.TooManySignatures, nameof(signatures));
        }

        return new SignedNote(_text, [.. list]);
    }

    /// <summary>Returns a note with the same text and only the signatures that <paramref name="keep"/> selects.</summary>
    public SignedNote WhereSignatures(Func<NoteSignature, bool> keep)
    {
        ArgumentNullException.ThrowIfNull(keep);
        return new SignedNote(_text, [.. _signatures.Where(keep)]);
    }

    /// <summary>
    /// Checks the signatures against the known keys: signatures whose key name and key ID match no known key are
    /// ignored (c2sp.org/signed-note), a known key's signature must verify, a known key may sign only once.
    /// </summary>
    /// <remarks>
    /// Stricter than Go's note.Open in one respect: Go skips a second line by an already seen known key, this reports
    /// it as <see cref="NoteSignatureFailure.Duplicate"/> so a note cannot carry an unchecked line under a trusted name.
    /// Like Go, a note is valid only when no signature by a known key fails (the spec's "SHOULD reject").
    /// </remarks>
    public NoteVerificationResult Verify(params IEnumerable<NoteVerifier> known)
    {
        ArgumentNullException.ThrowIfNull(known);
        var keys = known as IReadOnlyList<NoteVerifier> ?? [.. known];
        List<VerifiedNoteSignature>? verified = null;
        List<FailedNoteSignature>? failed = null;
        List<NoteSignature>? unknown = null;
        for (int i = 0; i < _signatures.Length; i++)
        {
            var signature = _signatures[i];
            NoteVerifier? match = null;
            bool ambiguous = false;
            foreach (var key in keys)
            {
                if (key is not null && signature.IsFrom(key))
                {
                    ambiguous |= match is not null && !match.PublicKey.SequenceEqual(key.PublicKey);
                    match ??= key;
                }
            }

            if (match is null)
            {
                (unknown ??= []).Add(signature);
                continue;
            }

            var reason = ambiguous ? NoteSignatureFailure.AmbiguousKey
                : IsRepeated(i) ? NoteSignatureFailure.Duplicate
                : match.Check(_text, signature.Signature);
            if (reason == NoteSignatureFailure.None)
            {
                (verified ??= []).Add(new VerifiedNoteSignature(signature, match));
            }
            else
            {
                (failed ??= []).Add(new FailedNoteSignature(signature, match, reason));
            }
        }

        return new NoteVerificationResult(
            verified ?? (IReadOnlyList<VerifiedNoteSignature>)[],
            failed ?? (IReadOnlyList<FailedNoteSignature>)[],
            unknown ?? (IReadOnlyList<NoteSignature>)[]);
    }

    /// <summary>The whole note in UTF-8: text, blank line, signature lines.</summary>
    public byte[] ToBytes() => Encoding.UTF8.GetBytes(ToString());

    /// <summary>The whole note: text, blank line, signature lines.</summary>
    public override string ToString()
    {
        var builder = new StringBuilder(Text, _text.Length + 1 + (_signatures.Length * 120));
        builder.Append('\n');
        foreach (var signature in _signatures)
        {
            builder.Append(signature.ToLine());
        }

        return builder.ToString();
    }

    /// <summary>
    /// True when <paramref name="text"/> can be the text of a note: non-empty, valid UTF-8, no control characters
    /// other than newline and ends with a newline.
    /// </summary>
    public static bool TryValidateText(ReadOnlySpan<byte> text, [NotNullWhen(false)] out string? error)
    {
        if (text.IsEmpty || text[^1] != (byte)'\n')
        {
            error = NoteError.TextNotTerminated;
            return false;
        }

        if (text.Length + 1 > NoteLimits.MaxNoteBytes)
        {
            error = NoteError.TooLarge(text.Length);
            return false;
        }

        if (!TryValidateCharacters(text, out error) || !TryCheckTextLines(text, out error))
        {
            return false;
        }

        return true;
    }

    private bool IsRepeated(int index)
    {
        for (int j = 0; j < index; j++)
        {
            if (_signatures[j].KeyId == _signatures[index].KeyId
                && string.Equals(_signatures[j].Name, _signatures[index].Name, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    // c2sp.org/signed-note: "Signed notes MUST be valid UTF-8 and MUST NOT contain any ASCII control characters
    // (those below U+0020) other than newline."
    private static bool TryValidateCharacters(ReadOnlySpan<byte> note, [NotNullWhen(false)] out string? error)
    {
        for (int i = 0; i < note.Length; i++)
        {
            if (note[i] < 0x20 && note[i] != (byte)'\n')
            {
                error = NoteError.ControlCharacter(i, note[i]);
                return false;
            }
        }

        if (!System.Text.Unicode.Utf8.IsValid(note))
        {
            error = NoteError.InvalidUtf8;
            return false;
        }

        error = null;
        return true;
    }

    private static bool TryCheckTextLines(ReadOnlySpan<byte> text, [NotNullWhen(false)] out string? error)
    {
        int line = 0;
        while (!text.IsEmpty)
        {
            if (++line > NoteLimits.MaxTextLines)
            {
                error = NoteError.TooManyLines;
                return false;
            }

            int newline = text.IndexOf((byte)'\n');
            if (newline > NoteLimits.MaxLineBytes)
            {
                error = NoteError.LineTooLong(line);
                return false;
            }

            text = text[(newline + 1)..];
        }

        error = null;
        return true;
    }
}
