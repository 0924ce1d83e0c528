namespace Attest.Tpm;

/// <summary>
/// One entry of a command's authorization area (TPMS_AUTH_COMMAND, TPM 2.0 Part 1 §19.6 and Part 2 §10.13.2):
/// a password (TPM_RS_PW with the password in the hmac field) or a policy session satisfied beforehand.
/// </summary>
public sealed class TpmAuth
{
    /// <summary>sessionAttributes continueSession (Part 2 §8.4).</summary>
    internal const byte ContinueSession = 0x01;

    private readonly byte[] _hmac;

    private TpmAuth(uint sessionHandle, byte attributes, byte[] hmac)
    {
        SessionHandle = sessionHandle;
        Attributes = attributes;
        _hmac = hmac;
    }

    /// <summary>The empty password: the default authValue of hierarchies and of the keys this library creates.</summary>
    public static TpmAuth EmptyPassword { get; } = new(TpmHandles.Password, 0, []);

    /// <summary>The session handle: TPM_RS_PW or a policy session.</summary>
    public uint SessionHandle { get; }

    /// <summary>sessionAttributes.</summary>
    public byte Attributes { get; }

    internal ReadOnlySpan<byte> Hmac => _hmac;

    /// <summary>A password authorization (Part 1 §19.6.5: the password travels in the hmac field).</summary>
    /// <exception cref="ArgumentException">The password is longer than a TPM2B_AUTH (64 bytes).</exception>
    public static TpmAuth Password(ReadOnlySpan<byte> password)
    {
        if (password.Length > 64)
        {
            throw new ArgumentException("A TPM password is at most 64 bytes (TPM2B_AUTH).", nameof(password));
        }

        return new TpmAuth(TpmHandles.Password, 0, password.ToArray());
    }

    /// <summary>
    /// A policy session whose policy is already satisfied and needs no HMAC (no PolicyAuthValue/PolicyPassword).
    /// Without <paramref name="continueSession"/> the TPM flushes the session after the command.
    /// </summary>
    public static TpmAuth PolicySession(uint sessionHandle, bool continueSession = false)
    {
        if (TpmHandles.TypeOf(sessionHandle) != TpmHandles.TypePolicySession)
        {
            throw new ArgumentException($"0x{sessionHandle:X8} is not a policy session handle.", nameof(sessionHandle));
        }

        return new TpmAuth(sessionHandle, continueSession ? ContinueSession : (byte)0, []);
    }
}
