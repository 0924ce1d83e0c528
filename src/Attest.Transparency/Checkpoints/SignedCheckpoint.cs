using System.Diagnostics.CodeAnalysis;
using Attest.Transparency.Notes;

namespace Attest.Transparency.Checkpoints;

/// <summary>A checkpoint together with the signed note that carries it: the log's signature and any cosignatures.</summary>
public sealed class SignedCheckpoint
{
    internal SignedCheckpoint(Checkpoint checkpoint, SignedNote note)
    {
        Checkpoint = checkpoint;
        Note = note;
    }

    /// <summary>The parsed checkpoint.</summary>
    public Checkpoint Checkpoint { get; }

    /// <summary>The signed note: the checkpoint text and every signature line, known or not.</summary>
    public SignedNote Note { get; }

    /// <summary>Parses a signed checkpoint note without verifying any signature.</summary>
    /// <exception cref="FormatException">The note or its checkpoint text is malformed.</exception>
    public static SignedCheckpoint Parse(ReadOnlySpan<byte> note) =>
        TryParse(note, out var result, out string? error) ? result : throw CheckpointError.Format(error);

    /// <summary>Parses a signed checkpoint note without verifying any signature, reporting what is wrong.</summary>
    public static bool TryParse(ReadOnlySpan<byte> note, [NotNullWhen(true)] out SignedCheckpoint? result, [NotNullWhen(false)] out string? error)
    {
        result = null;
        if (!SignedNote.TryParse(note, out var parsed, out string? noteError))
        {
            error = CheckpointError.Note(noteError);
            return false;
        }

        if (!Checkpoint.TryParse(parsed.TextUtf8, out var checkpoint, out error))
        {
            return false;
        }

        result = new SignedCheckpoint(checkpoint, parsed);
        return true;
    }

    /// <summary>Wraps an already parsed note whose text is a checkpoint.</summary>
    /// <exception cref="FormatException">The note's text is not a checkpoint.</exception>
    public static SignedCheckpoint FromNote(SignedNote note)
    {
        ArgumentNullException.ThrowIfNull(note);
        return new SignedCheckpoint(Checkpoint.Parse(note.TextUtf8), note);
    }

    /// <summary>
    /// Returns this checkpoint with the given signature lines (for example cosignatures from a witness's
    /// add-checkpoint response) added, replacing earlier lines with the same key name and key ID.
    /// </summary>
    public SignedCheckpoint WithSignatures(IEnumerable<NoteSignature> signatures) => new(Checkpoint, Note.WithSignatures(signatures));

    /// <summary>Verifies the checkpoint against a policy: origin, the log's signature, and a quorum of cosignatures.</summary>
    public CheckpointVerdict Verify(CheckpointPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return policy.Verify(this);
    }

    /// <summary>The whole signed note in UTF-8.</summary>
    public byte[] ToBytes() => Note.ToBytes();

    /// <summary>The whole signed note.</summary>
    public override string ToString() => Note.ToString();
}
