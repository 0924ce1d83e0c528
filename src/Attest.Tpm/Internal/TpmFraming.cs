using System.Buffers.Binary;
using Attest.Tpm.Marshalling;

namespace Attest.Tpm.Internal;

/// <summary>
/// Command and response framing (TPM 2.0 Part 1 §18.7-18.10, Part 3 §5): header, handle area, authorization
/// area, parameters. Responses are checked field by field against the bytes that remain.
/// </summary>
internal static class TpmFraming
{
    /// <summary>The largest nonce or HMAC in an authorization (TPM2B_NONCE / TPM2B_AUTH = sizeof(TPMU_HA)).</summary>
    public const int MaxDigest = 64;

    /// <summary>At most three sessions per command (Part 1 §19.6.1).</summary>
    public const int MaxSessions = 3;

    public static byte[] Command(TpmCommandCode code, ReadOnlySpan<uint> handles, IReadOnlyList<TpmAuth>? auths, ReadOnlySpan<byte> parameters)
    {
        int sessions = auths?.Count ?? 0;
        if (sessions > MaxSessions)
        {
            throw new ArgumentException($"A command carries at most {MaxSessions} sessions.", nameof(auths));
        }

        var w = new TpmWriter(64 + parameters.Length);
        w.UInt16(sessions > 0 ? TpmSt.Sessions : TpmSt.NoSessions);
        int sizeAt = w.BeginSized32();
        w.UInt32((uint)code);
        foreach (uint handle in handles)
        {
            w.UInt32(handle);
        }

        if (auths is not null && sessions > 0)
        {
            int authSizeAt = w.BeginSized32();
            foreach (TpmAuth auth in auths)
            {
                // TPMS_AUTH_COMMAND: sessionHandle, nonceCaller, sessionAttributes, hmac (Part 2 §10.13.2).
                w.UInt32(auth.SessionHandle);
                w.UInt16(0);
                w.Byte(auth.Attributes);
                w.Sized(auth.Hmac);
            }

            w.PatchUInt32(authSizeAt, (uint)(w.Length - authSizeAt - 4));
        }

        w.Bytes(parameters);
        w.PatchUInt32(sizeAt, (uint)w.Length);
        return w.ToArray();
    }

    /// <summary>
    /// Parses a response to <paramref name="code"/>: checks the header, throws <see cref="TpmException"/> for
    /// an error code, and returns the response handle (when <paramref name="handleCount"/> is 1) and where the
    /// parameter bytes are. Authorization responses are read and checked but not returned (password and policy
    /// sessions carry no HMAC to verify).
    /// </summary>
    public static Range Response(ReadOnlySpan<byte> response, TpmCommandCode code, int handleCount, int sessionCount, out uint handle)
    {
        handle = 0;
        var r = new TpmReader(response);
        ushort tag = r.ReadUInt16("response tag");
        uint size = r.ReadUInt32("responseSize");
        if (size != response.Length)
        {
            throw new TpmFormatException($"responseSize at offset 2: header says {size} bytes but the response has {response.Length}.", "responseSize", 2);
        }

        uint rc = r.ReadUInt32("responseCode");
        if (rc != TpmResponseCode.Success)
        {
            // Part 1 §18.8: an error response is the 10-byte header only.
            if (tag is not TpmSt.NoSessions and not TpmSt.RspCommand || response.Length != 10)
            {
                throw new TpmFormatException($"error response 0x{rc:X8} has tag 0x{tag:X4} and {response.Length} bytes; expected TPM_ST_NO_SESSIONS and 10 bytes.", "response tag", 0);
            }

            throw new TpmException(code, new TpmResponseCode(rc));
        }

        ushort expectedTag = sessionCount > 0 ? TpmSt.Sessions : TpmSt.NoSessions;
        if (tag != expectedTag)
        {
            throw new TpmFormatException($"response tag at offset 0: 0x{tag:X4}, expected 0x{expectedTag:X4}.", "response tag", 0);
        }

        if (handleCount == 1)
        {
            handle = r.ReadUInt32("response handle");
        }

        if (sessionCount == 0)
        {
            return r.Position..response.Length;
        }

        uint parameterSize = r.ReadUInt32("parameterSize");
        if (parameterSize > (uint)r.Remaining)
        {
            throw new TpmFormatException($"parameterSize at offset {r.Position - 4}: {parameterSize} exceeds the {r.Remaining} bytes that remain.", "parameterSize", r.Position - 4);
        }

        int parametersAt = r.Position;
        r.ReadBytes((int)parameterSize, "parameters");
        for (int i = 0; i < sessionCount; i++)
        {
            // TPMS_AUTH_RESPONSE: nonceTPM, sessionAttributes, hmac (Part 2 §10.13.4).
            r.ReadSized("nonceTPM", MaxDigest);
            r.ReadByte("sessionAttributes");
            r.ReadSized("hmac", MaxDigest);
        }

        r.EnsureEnd("response authorization area");
        return parametersAt..(parametersAt + (int)parameterSize);
    }

    /// <summary>The response code of a framed response, or success when it is too short to tell (framing is checked later).</summary>
    public static uint PeekResponseCode(ReadOnlySpan<byte> response) =>
        response.Length >= 10 ? BinaryPrimitives.ReadUInt32BigEndian(response.Slice(6, 4)) : TpmResponseCode.Success;
}
