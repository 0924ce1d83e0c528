namespace Attest.Transparency.Checkpoints;

/// <summary>The one place where checkpoint errors are worded (c2sp.org/tlog-checkpoint).</summary>
internal static class CheckpointError
{
    public static FormatException Format(string message) => new(message);

    public static ArgumentException Argument(string message, string parameter) => new(message, parameter);

    public static string NotTerminated => "checkpoint text must end with a newline";

    public static string TooFewLines => "checkpoint text must have at least three lines: origin, tree size, root hash";

    public static string EmptyOrigin => "checkpoint origin (line 1) is empty";

    public static string BadSize => "checkpoint tree size (line 2) must be an ASCII decimal with no sign and no leading zeros that fits in 64 bits";

    public static string BadRoot => "checkpoint root hash (line 3) must be canonical standard base64 of 32 bytes";

    public static string EmptyExtension(int line) => $"checkpoint extension line {line} is empty";

    public static string TooManyExtensions => $"checkpoint has more than {Checkpoint.MaxExtensionLines} extension lines";

    public static string Note(string what) => $"checkpoint note: {what}";

    public static string PolicyNeedsKeys => "a policy needs a non-empty origin and at least one log key, and no null keys";

    public static string KeyInBothRoles(string name, string keyId) => $"key {name}+{keyId} is listed as both a log key and a witness";

    public static string NoLogSignature(string origin) => $"no valid signature by the log key for {origin}";

    public static string TooFewCosignatures(int count, int configured, int required) =>
        $"{count} of the {configured} configured witnesses cosigned, {required} required";

    public static string OriginMismatch(string expected, string actual) =>
        $"checkpoint origin is '{actual}', expected '{expected}'";
}
