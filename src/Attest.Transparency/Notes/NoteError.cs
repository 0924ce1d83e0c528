namespace Attest.Transparency.Notes;

/// <summary>The one place where note, key and signature errors are worded.</summary>
internal static class NoteError
{
    public static FormatException Format(string message) => new(message);

    public static ArgumentException Argument(string message, string parameter) => new(message, parameter);

    public static string TooLarge(int length) =>
        $"note is {length} bytes, more than the limit of {NoteLimits.MaxNoteBytes} bytes";

    public static string InvalidUtf8 => "note is not valid UTF-8";

    public static string ControlCharacter(int offset, byte value) =>
        $"note contains the control character 0x{value:x2} at byte {offset} (only newline is allowed)";

    public static string NoSeparator => "note has no blank line separating the text from the signatures";

    public static string NoSignatures => "note has no signature lines after the blank line";

    public static string UnterminatedSignatures => "note does not end with a newline after its last signature line";

    public static string TooManySignatures => $"note has more than {NoteLimits.MaxSignatures} signature lines";

    public static string TooManyLines => $"note text has more than {NoteLimits.MaxTextLines} lines";

    public static string LineTooLong(int line) =>
        $"line {line} of the note is longer than {NoteLimits.MaxLineBytes} bytes";

    public static string SignatureLine(int index, string what) => $"signature line {index + 1}: {what}";

    public static string TextNotTerminated => "note text must be non-empty and end with a newline";

    public static string InvalidKeyName(string name) =>
        $"key name '{name}' is invalid: it must be non-empty, at most {NoteLimits.MaxKeyNameBytes} bytes, and contain no white space or '+'";

    public static string Key(string what) => $"malformed key: {what}";
}
