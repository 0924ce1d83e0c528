namespace Attest.Transparency.Notes;

/// <summary>
/// Caps applied to signed notes read from outside (c2sp.org/signed-note: "Verifiers SHOULD apply a maximum limit to
/// the number of signatures in a note ... but MUST accept at least up to 16 signatures").
/// </summary>
public static class NoteLimits
{
    /// <summary>Largest note accepted, text and signatures together, in bytes.</summary>
    public const int MaxNoteBytes = 1 << 20;

    /// <summary>Most signature lines accepted in one note (Go's note package stops at 100 as well).</summary>
    public const int MaxSignatures = 100;

    /// <summary>Most lines accepted in a note's text.</summary>
    public const int MaxTextLines = 10_000;

    /// <summary>Longest line accepted, in bytes without the newline (room for a post-quantum signature line).</summary>
    public const int MaxLineBytes = 16 * 1024;

    /// <summary>Longest key name accepted, in UTF-8 bytes.</summary>
    public const int MaxKeyNameBytes = 256;
}
