using System.Globalization;

namespace Attest.Tpm;

/// <summary>
/// A decoded TPM_RC (TPM 2.0 Part 2 §6.6). Format-1 codes (bit 7 set) name a handle, session or parameter
/// by number; format-0 codes are version-1 errors, warnings (bit 11), vendor codes (bit 10) or TPM 1.2 codes.
/// Bits 16 and up carry the TSS layer of a resource manager or software stack.
/// </summary>
public readonly record struct TpmResponseCode(uint Value)
{
    private const uint RcVer1 = 0x100;
    private const uint RcFmt1 = 0x080;
    private const uint RcWarn = 0x900;

    /// <summary>TPM_RC_SUCCESS.</summary>
    public const uint Success = 0x000;

    /// <summary>TPM_RC_INITIALIZE: TPM2_Startup not yet run, or run twice.</summary>
    public const uint Initialize = 0x100;

    /// <summary>TPM_RC_HANDLE (format-1): the handle is not correct for its use.</summary>
    public const uint Handle = 0x08B;

    /// <summary>TPM_RC_NV_DEFINED: the NV index or persistent object already exists.</summary>
    public const uint NvDefined = 0x14C;

    /// <summary>TPM_RC_YIELDED: the TPM suspended the command; resend it.</summary>
    public const uint Yielded = 0x908;

    /// <summary>TPM_RC_TESTING: the TPM is self-testing; resend later.</summary>
    public const uint Testing = 0x90A;

    /// <summary>TPM_RC_RETRY: the TPM was not able to start the command; resend it.</summary>
    public const uint Retry = 0x922;

    private static readonly Dictionary<uint, string> Names = new()
    {
        [0x000] = "TPM_RC_SUCCESS",
        [0x01E] = "TPM_RC_BAD_TAG",
        [0x100] = "TPM_RC_INITIALIZE",
        [0x101] = "TPM_RC_FAILURE",
        [0x103] = "TPM_RC_SEQUENCE",
        [0x10B] = "TPM_RC_PRIVATE",
        [0x119] = "TPM_RC_HMAC",
        [0x120] = "TPM_RC_DISABLED",
        [0x121] = "TPM_RC_EXCLUSIVE",
        [0x124] = "TPM_RC_AUTH_TYPE",
        [0x125] = "TPM_RC_AUTH_MISSING",
        [0x126] = "TPM_RC_POLICY",
        [0x127] = "TPM_RC_PCR",
        [0x128] = "TPM_RC_PCR_CHANGED",
        [0x12D] = "TPM_RC_UPGRADE",
        [0x12E] = "TPM_RC_TOO_MANY_CONTEXTS",
        [0x12F] = "TPM_RC_AUTH_UNAVAILABLE",
        [0x130] = "TPM_RC_REBOOT",
        [0x131] = "TPM_RC_UNBALANCED",
        [0x142] = "TPM_RC_COMMAND_SIZE",
        [0x143] = "TPM_RC_COMMAND_CODE",
        [0x144] = "TPM_RC_AUTHSIZE",
        [0x145] = "TPM_RC_AUTH_CONTEXT",
        [0x146] = "TPM_RC_NV_RANGE",
        [0x147] = "TPM_RC_NV_SIZE",
        [0x148] = "TPM_RC_NV_LOCKED",
        [0x149] = "TPM_RC_NV_AUTHORIZATION",
        [0x14A] = "TPM_RC_NV_UNINITIALIZED",
        [0x14B] = "TPM_RC_NV_SPACE",
        [0x14C] = "TPM_RC_NV_DEFINED",
        [0x150] = "TPM_RC_BAD_CONTEXT",
        [0x151] = "TPM_RC_CPHASH",
        [0x152] = "TPM_RC_PARENT",
        [0x153] = "TPM_RC_NEEDS_TEST",
        [0x154] = "TPM_RC_NO_RESULT",
        [0x155] = "TPM_RC_SENSITIVE",
        [0x081] = "TPM_RC_ASYMMETRIC",
        [0x082] = "TPM_RC_ATTRIBUTES",
        [0x083] = "TPM_RC_HASH",
        [0x084] = "TPM_RC_VALUE",
        [0x085] = "TPM_RC_HIERARCHY",
        [0x087] = "TPM_RC_KEY_SIZE",
        [0x088] = "TPM_RC_MGF",
        [0x089] = "TPM_RC_MODE",
        [0x08A] = "TPM_RC_TYPE",
        [0x08B] = "TPM_RC_HANDLE",
        [0x08C] = "TPM_RC_KDF",
        [0x08D] = "TPM_RC_RANGE",
        [0x08E] = "TPM_RC_AUTH_FAIL",
        [0x08F] = "TPM_RC_NONCE",
        [0x090] = "TPM_RC_PP",
        [0x092] = "TPM_RC_SCHEME",
        [0x095] = "TPM_RC_SIZE",
        [0x096] = "TPM_RC_SYMMETRIC",
        [0x097] = "TPM_RC_TAG",
        [0x098] = "TPM_RC_SELECTOR",
        [0x09A] = "TPM_RC_INSUFFICIENT",
        [0x09B] = "TPM_RC_SIGNATURE",
        [0x09C] = "TPM_RC_KEY",
        [0x09D] = "TPM_RC_POLICY_FAIL",
        [0x09F] = "TPM_RC_INTEGRITY",
        [0x0A0] = "TPM_RC_TICKET",
        [0x0A1] = "TPM_RC_RESERVED_BITS",
        [0x0A2] = "TPM_RC_BAD_AUTH",
        [0x0A3] = "TPM_RC_EXPIRED",
        [0x0A4] = "TPM_RC_POLICY_CC",
        [0x0A5] = "TPM_RC_BINDING",
        [0x0A6] = "TPM_RC_CURVE",
        [0x0A7] = "TPM_RC_ECC_POINT",
        [0x901] = "TPM_RC_CONTEXT_GAP",
        [0x902] = "TPM_RC_OBJECT_MEMORY",
        [0x903] = "TPM_RC_SESSION_MEMORY",
        [0x904] = "TPM_RC_MEMORY",
        [0x905] = "TPM_RC_SESSION_HANDLES",
        [0x906] = "TPM_RC_OBJECT_HANDLES",
        [0x907] = "TPM_RC_LOCALITY",
        [0x908] = "TPM_RC_YIELDED",
        [0x909] = "TPM_RC_CANCELED",
        [0x90A] = "TPM_RC_TESTING",
        [0x910] = "TPM_RC_REFERENCE_H0",
        [0x911] = "TPM_RC_REFERENCE_H1",
        [0x912] = "TPM_RC_REFERENCE_H2",
        [0x913] = "TPM_RC_REFERENCE_H3",
        [0x914] = "TPM_RC_REFERENCE_H4",
        [0x915] = "TPM_RC_REFERENCE_H5",
        [0x916] = "TPM_RC_REFERENCE_H6",
        [0x918] = "TPM_RC_REFERENCE_S0",
        [0x919] = "TPM_RC_REFERENCE_S1",
        [0x91A] = "TPM_RC_REFERENCE_S2",
        [0x91B] = "TPM_RC_REFERENCE_S3",
        [0x91C] = "TPM_RC_REFERENCE_S4",
        [0x91D] = "TPM_RC_REFERENCE_S5",
        [0x91E] = "TPM_RC_REFERENCE_S6",
        [0x920] = "TPM_RC_NV_RATE",
        [0x921] = "TPM_RC_LOCKOUT",
        [0x922] = "TPM_RC_RETRY",
        [0x923] = "TPM_RC_NV_UNAVAILABLE",
    };

    /// <summary>True for TPM_RC_SUCCESS.</summary>
    public bool IsSuccess => Value == Success;

    /// <summary>The TSS layer (bits 16-23): 0 for codes from the TPM itself, non-zero from a resource manager or stack.</summary>
    public byte Layer => (byte)(Value >> 16);

    private uint TpmPart => Value & 0xFFFF;

    /// <summary>True for a format-1 code (bit 7 set): an error tied to a handle, session or parameter.</summary>
    public bool IsFormat1 => Layer == 0 && (TpmPart & RcFmt1) != 0;

    /// <summary>True for a format-0 warning (TPM_RC_WARN set): the command was not run and may succeed later.</summary>
    public bool IsWarning => Layer == 0 && !IsFormat1 && (TpmPart & 0xD00) == RcWarn;

    /// <summary>True for a format-0 vendor-defined code (bit 10).</summary>
    public bool IsVendor => Layer == 0 && !IsFormat1 && (TpmPart & 0x500) == 0x500;

    /// <summary>True for a code a caller should resend: TPM_RC_RETRY, TPM_RC_YIELDED or TPM_RC_TESTING.</summary>
    public bool IsRetryable => Layer == 0 && TpmPart is Retry or Yielded or Testing;

    /// <summary>
    /// The base error with handle/session/parameter number removed: bits 0-5 plus RC_FMT1 for format-1,
    /// bits 0-11 for format-0.
    /// </summary>
    public uint BaseCode => IsFormat1 ? (TpmPart & 0x3F) | RcFmt1 : TpmPart & 0xFFF;

    /// <summary>For a format-1 code with bit 6 set, the 1-based parameter number; otherwise 0.</summary>
    public int ParameterNumber => IsFormat1 && (TpmPart & 0x040) != 0 ? (int)((TpmPart >> 8) & 0xF) : 0;

    /// <summary>For a format-1 session error (bit 6 clear, bit 11 set), the 1-based session number; otherwise 0.</summary>
    public int SessionNumber => IsFormat1 && (TpmPart & 0x040) == 0 && (TpmPart & 0x800) != 0 ? (int)((TpmPart >> 8) & 0x7) : 0;

    /// <summary>For a format-1 handle error (bits 6 and 11 clear), the 1-based handle number (0 when unspecified).</summary>
    public int HandleNumber => IsFormat1 && (TpmPart & 0x040) == 0 && (TpmPart & 0x800) == 0 ? (int)((TpmPart >> 8) & 0x7) : 0;

    /// <summary>The TPM_RC_* name of <see cref="BaseCode"/>, or a hex form when the code is not one this library names.</summary>
    public string Name
    {
        get
        {
            if (Layer != 0)
            {
                return string.Create(CultureInfo.InvariantCulture, $"TSS layer {Layer} code 0x{TpmPart:X3}");
            }

            // TPM_RC_BAD_TAG (0x01E) is the one TPM 2.0 code without RC_VER1: a TPM 2.0 answer to a malformed header.
            if (!IsFormat1 && (TpmPart & RcVer1) == 0 && TpmPart is not 0 and not 0x01E)
            {
                return string.Create(CultureInfo.InvariantCulture, $"TPM 1.2 code 0x{TpmPart:X3}");
            }

            if (IsVendor)
            {
                return string.Create(CultureInfo.InvariantCulture, $"vendor code 0x{TpmPart:X3}");
            }

            return Names.TryGetValue(BaseCode, out string? name)
                ? name
                : string.Create(CultureInfo.InvariantCulture, $"TPM_RC 0x{BaseCode:X3}");
        }
    }

    /// <summary>A readable description, e.g. "TPM_RC_VALUE (0x000002C4) on parameter 2".</summary>
    public override string ToString()
    {
        string where = ParameterNumber != 0 ? $" on parameter {ParameterNumber}"
            : SessionNumber != 0 ? $" on session {SessionNumber}"
            : HandleNumber != 0 ? $" on handle {HandleNumber}"
            : string.Empty;
        return string.Create(CultureInfo.InvariantCulture, $"{Name} (0x{Value:X8}){where}");
    }
}

/// <summary>The TPM (or the resource manager in front of it) returned an error response code.</summary>
public sealed class TpmException : Exception
{
    /// <summary>Creates the exception for <paramref name="code"/> returned to <paramref name="command"/>.</summary>
    public TpmException(TpmCommandCode command, TpmResponseCode code)
        : base($"TPM2_{command} failed: {code}.")
    {
        Command = command;
        ResponseCode = code;
    }

    /// <summary>Creates the exception.</summary>
    public TpmException()
        : base("TPM command failed.")
    {
    }

    /// <summary>Creates the exception.</summary>
    public TpmException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public TpmException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The command that failed.</summary>
    public TpmCommandCode Command { get; }

    /// <summary>The decoded response code.</summary>
    public TpmResponseCode ResponseCode { get; }
}
