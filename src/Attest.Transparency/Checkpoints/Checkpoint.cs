using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using Attest.Transparency.Merkle;
using Attest.Transparency.Notes;

namespace Attest.Transparency.Checkpoints;

/// <summary>
/// A transparency log checkpoint (c2sp.org/tlog-checkpoint): the note text <c>origin\nsize\nbase64(root)\n</c>
/// followed by optional non-empty extension lines.
/// </summary>
public sealed record Checkpoint
{
    /// <summary>Most extension lines accepted when parsing.</summary>
    public const int MaxExtensionLines = 64;

    private readonly IReadOnlyList<string> _extensions;

    /// <summary>Creates a checkpoint.</summary>
    /// <param name="origin">The log's origin line: non-empty, no newline or control characters.</param>
    /// <param name="treeSize">The number of leaves.</param>
    /// <param name="rootHash">The RFC 9162 root hash at that size.</param>
    /// <param name="extensions">Optional non-empty extension lines (NOT RECOMMENDED by the spec).</param>
    /// <exception cref="ArgumentException">The origin or an extension line is empty or contains a control character.</exception>
    public Checkpoint(string origin, ulong treeSize, MerkleHash rootHash, IEnumerable<string>? extensions = null)
    {
        ArgumentNullException.ThrowIfNull(origin);
        if (!IsValidLine(origin))
        {
            throw CheckpointError.Argument("the origin must be non-empty and contain no control characters", nameof(origin));
        }

        string[] lines = extensions is null ? [] : [.. extensions];
        foreach (string line in lines)
        {
            if (line is null || !IsValidLine(line))
            {
                throw CheckpointError.Argument("extension lines must be non-empty and contain no control characters", nameof(extensions));
            }
        }

        if (lines.Length > MaxExtensionLines)
        {
            throw CheckpointError.Argument(CheckpointError.TooManyExtensions, nameof(extensions));
        }

        Origin = origin;
        TreeSize = treeSize;
        RootHash = rootHash;
        _extensions = lines;
    }

    /// <summary>The log's origin line.</summary>
    public string Origin { get; }

    /// <summary>The tree size.</summary>
    public ulong TreeSize { get; }

    /// <summary>The root hash.</summary>
    public MerkleHash RootHash { get; }

    /// <summary>The extension lines, without newlines.</summary>
    public IReadOnlyList<string> Extensions => _extensions;

    /// <summary>Parses checkpoint note text (UTF-8, including the final newline, without signatures).</summary>
    /// <exception cref="FormatException">The text is not a checkpoint; the message names the line.</exception>
    public static Checkpoint Parse(ReadOnlySpan<byte> text) =>
        TryParse(text, out var checkpoint, out string? error) ? checkpoint : throw CheckpointError.Format(error);

    /// <summary>Parses checkpoint note text given as a string.</summary>
    /// <exception cref="FormatException">The text is not a checkpoint.</exception>
    public static Checkpoint Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Parse(Encoding.UTF8.GetBytes(text));
    }

    /// <summary>Parses checkpoint note text, reporting what is wrong on failure.</summary>
    public static bool TryParse(ReadOnlySpan<byte> text, [NotNullWhen(true)] out Checkpoint? checkpoint, [NotNullWhen(false)] out string? error)
    {
        checkpoint = null;
        if (!SignedNote.TryValidateText(text, out string? noteError))
        {
            error = CheckpointError.Note(noteError);
            return false;
        }

        if (text.IsEmpty || text[^1] != (byte)'\n')
        {
            error = CheckpointError.NotTerminated;
            return false;
        }

        var rest = text;
        if (!TryTakeLine(ref rest, out var originLine) || !TryTakeLine(ref rest, out var sizeLine) || !TryTakeLine(ref rest, out var rootLine))
        {
            error = CheckpointError.TooFewLines;
            return false;
        }

        if (originLine.IsEmpty)
        {
            error = CheckpointError.EmptyOrigin;
            return false;
        }

        if (!NoteEncoding.TryParseDecimal(sizeLine, out ulong size))
        {
            error = CheckpointError.BadSize;
            return false;
        }

        Span<byte> root = stackalloc byte[MerkleHash.Size];
        if (rootLine.Length != 44 || !NoteEncoding.TryDecodeBase64(rootLine, root, out int written)
            || written != MerkleHash.Size || !NoteEncoding.IsCanonicalBase64(rootLine, root))
        {
            error = CheckpointError.BadRoot;
            return false;
        }

        var extensions = new List<string>();
        while (TryTakeLine(ref rest, out var extension))
        {
            if (extension.IsEmpty)
            {
                error = CheckpointError.EmptyExtension(extensions.Count + 4);
                return false;
            }

            if (extensions.Count == MaxExtensionLines)
            {
                error = CheckpointError.TooManyExtensions;
                return false;
            }

            extensions.Add(Encoding.UTF8.GetString(extension));
        }

        checkpoint = new Checkpoint(Encoding.UTF8.GetString(originLine), size, new MerkleHash(root), extensions);
        error = null;
        return true;
    }

    /// <summary>The checkpoint's note text, ending with a newline.</summary>
    public string ToText()
    {
        var builder = new StringBuilder(Origin.Length + 70);
        builder.Append(Origin).Append('\n')
            .Append(TreeSize.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append(RootHash.ToBase64()).Append('\n');
        foreach (string line in _extensions)
        {
            builder.Append(line).Append('\n');
        }

        return builder.ToString();
    }

    /// <summary>The checkpoint's note text in UTF-8.</summary>
    public byte[] ToUtf8() => Encoding.UTF8.GetBytes(ToText());

    /// <summary>Signs the checkpoint text with the log's key (and any other signers), giving a signed checkpoint.</summary>
    public SignedCheckpoint Sign(params IEnumerable<NoteSigner> signers) =>
        new(this, SignedNote.Sign(ToUtf8(), signers));

    /// <summary>The checkpoint's note text.</summary>
    public override string ToString() => ToText();

    /// <summary>Equal origin, size, root and extension lines.</summary>
    public bool Equals(Checkpoint? other) =>
        other is not null && string.Equals(Origin, other.Origin, StringComparison.Ordinal) && TreeSize == other.TreeSize
            && RootHash == other.RootHash && _extensions.SequenceEqual(other._extensions, StringComparer.Ordinal);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Origin, TreeSize, RootHash, _extensions.Count);

    private static bool TryTakeLine(ref ReadOnlySpan<byte> rest, out ReadOnlySpan<byte> line)
    {
        int newline = rest.IndexOf((byte)'\n');
        if (newline < 0)
        {
            line = default;
            return false;
        }

        line = rest[..newline];
        rest = rest[(newline + 1)..];
        return true;
    }

    private static bool IsValidLine(string line) => line.Length > 0 && NoteEncoding.IsWellFormedWithoutControls(line);
}
