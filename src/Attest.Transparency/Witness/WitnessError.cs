namespace Attest.Transparency.Witness;

/// <summary>The one place where witness protocol errors are worded (c2sp.org/tlog-witness).</summary>
internal static class WitnessError
{
    public static FormatException Format(string message) => new(message);

    public static string TooLarge(int length) =>
        $"add-checkpoint body is {length} bytes, more than the limit of {AddCheckpointRequest.MaxBodyBytes} bytes";

    public static string NoOldLine => "add-checkpoint body must start with the line 'old <size>'";

    public static string BadOldSize => "the old size must be an ASCII decimal with no sign and no leading zeros that fits in 64 bits";

    public static string BadProofLine(int line) =>
        $"consistency proof line {line} is not canonical base64 of a 32-byte hash";

    public static string TooManyProofLines => $"more than {AddCheckpointRequest.MaxProofLines} consistency proof lines";

    public static string NoBlankLine => "add-checkpoint body has no empty line before the checkpoint";

    public static string Checkpoint(string what) => $"submitted checkpoint: {what}";

    public static string UnknownOrigin(string origin) => $"unknown log origin '{origin}'";

    public static string OldSizeTooLarge(ulong oldSize, ulong size) =>
        $"old size {oldSize} is larger than the checkpoint size {size}";

    public static string Conflict(ulong oldSize, ulong current) =>
        $"old size {oldSize} does not match the latest cosigned size {current}";

    public static string RootMismatch(ulong size) =>
        $"the checkpoint has the latest cosigned size {size} but a different root hash";

    public static string BadProof(string reason) => $"the consistency proof does not verify: {reason}";

    public static string TooLargeForProofs(ulong size) => $"tree size {size} is above 2^63-1, which proofs cannot cover";

    public static ArgumentException Argument(string message, string parameter) => new(message, parameter);

    public static string DuplicateOrigin(string origin) => $"origin '{origin}' is listed twice";

    public static string NoSigner => "a witness needs at least one signer";

    public static string NoWitnessKey => "at least one witness key is required";

    public static string NoLogKey => "a witnessed log needs at least one verifier key";

    public static InvalidDataException CorruptState(string path, string what) => new($"witness state file {path} {what}");

    public static IOException FlushFailed(string directory, string call, int errno) => new($"{call} of {directory} failed (errno {errno})");

    public static string BadSize => "a 409 response body must be a decimal tree size and a newline";
}
