namespace Attest.Transparency.Bundles;

/// <summary>The one place where proof bundle errors are worded (c2sp.org/tlog-proof).</summary>
internal static class TlogProofError
{
    public static FormatException Format(string message) => new(message);

    public static ArgumentException Argument(string message, string parameter) => new(message, parameter);

    public static string ExtraTooLong => "extra data does not fit on one line";

    public static string TooLarge(int length) => $"proof is {length} bytes, more than the limit of {TlogProof.MaxBytes} bytes";

    public static string BadHeader => $"proof must start with the line '{TlogProof.Header}'";

    public static string BadExtra => "the 'extra' line must carry non-empty standard base64";

    public static string NoIndex => "expected the line 'index <n>' after the header (and optional extra line)";

    public static string BadIndex => "the index must be an ASCII decimal with no sign and no leading zeros that fits in 64 bits";

    public static string BadHash(int line) => $"inclusion proof line {line} is not canonical base64 of a 32-byte hash";

    public static string TooManyHashes => $"more than {TlogProof.MaxProofHashes} inclusion proof lines";

    public static string NoBlankLine => "proof has no empty line between the inclusion proof and the checkpoint";

    public static string Checkpoint(string what) => $"proof checkpoint: {what}";

    public static string IndexOutOfRange(ulong index, ulong size) => $"index {index} is not below the checkpoint's tree size {size}";

    public static string Inclusion(string reason) => $"the inclusion proof does not verify: {reason}";

    public static string TooLargeTree(ulong size) => $"tree size {size} is above 2^63-1, which proofs cannot cover";
}
