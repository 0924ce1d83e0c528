using System.Diagnostics.CodeAnalysis;
using Attest.Tpm.Marshalling;

namespace Attest.Tpm.Structures;

/// <summary>TPMS_CLOCK_INFO (TPM 2.0 Part 2 §10.11.1).</summary>
/// <param name="Clock">Milliseconds the TPM has been powered since it was last cleared.</param>
/// <param name="ResetCount">TPM Resets (reboots) since the last TPM2_Clear.</param>
/// <param name="RestartCount">TPM Restarts/Resumes since the last TPM Reset.</param>
/// <param name="Safe">Whether Clock is known never to have been reported with a greater-or-equal value before.</param>
public readonly record struct TpmClockInfo(ulong Clock, uint ResetCount, uint RestartCount, bool Safe);

/// <summary>
/// A TPMS_ATTEST of type TPM_ST_ATTEST_QUOTE (TPM 2.0 Part 2 §10.12.12) as a TPM signs it in TPM2_Quote, with
/// TPMS_QUOTE_INFO (§10.12.4). Other attestation types are rejected: a quote verifier must never accept, say, a
/// certify structure signed by the same AK.
/// </summary>
public sealed class TpmAttest
{
    /// <summary>TPM_GENERATED_VALUE: the magic every TPM-generated structure starts with (Part 2 §6.2).</summary>
    public const uint GeneratedMagic = 0xFF544347;

    /// <summary>TPM_ST_ATTEST_QUOTE (Part 2 §6.9).</summary>
    public const ushort AttestQuoteTag = 0x8018;

    /// <summary>The most bytes a TPMS_ATTEST may take (sizeof(TPMS_ATTEST) bound used by TPM2B_ATTEST, Part 2 §10.12.13).</summary>
    public const int MaxSize = 2048;

    /// <summary>The largest extraData: sizeof(TPMT_HA) (TPM2B_DATA, Part 2 §10.4.3).</summary>
    public const int MaxExtraDataSize = 2 + TpmHash.MaxDigestSize;

    private readonly byte[] _qualifiedSigner;
    private readonly byte[] _extraData;
    private readonly byte[] _pcrDigest;

    private TpmAttest(byte[] qualifiedSigner, byte[] extraData, TpmClockInfo clock, ulong firmwareVersion, PcrSelection selection, byte[] pcrDigest)
    {
        _qualifiedSigner = qualifiedSigner;
        _extraData = extraData;
        ClockInfo = clock;
        FirmwareVersion = firmwareVersion;
        PcrSelect = selection;
        _pcrDigest = pcrDigest;
    }

    /// <summary>The signer's qualified name (TPM2B_NAME contents).</summary>
    public ReadOnlyMemory<byte> QualifiedSigner => _qualifiedSigner;

    /// <summary>The caller's qualifying data (TPM2B_DATA contents): the nonce the quote is bound to.</summary>
    public ReadOnlyMemory<byte> ExtraData => _extraData;

    /// <summary>The clock information. For keys outside the endorsement hierarchy, resetCount and restartCount are obfuscated.</summary>
    public TpmClockInfo ClockInfo { get; }

    /// <summary>TPM vendor firmware version (obfuscated outside the endorsement hierarchy).</summary>
    public ulong FirmwareVersion { get; }

    /// <summary>The PCRs the quote covers.</summary>
    public PcrSelection PcrSelect { get; }

    /// <summary>The digest (with the AK's scheme hash) of the selected PCR values concatenated in selection order.</summary>
    public ReadOnlyMemory<byte> PcrDigest => _pcrDigest;

    /// <summary>Reads a TPMS_ATTEST quote at the start of <paramref name="source"/>.</summary>
    /// <exception cref="TpmFormatException">Malformed, or not a quote.</exception>
    public static TpmAttest Read(ReadOnlySpan<byte> source, out int bytesConsumed) => TpmStructure.Read(source, MaxSize, Read, out bytesConsumed);

    /// <summary>Tries <see cref="Read(ReadOnlySpan{byte}, out int)"/>; on failure nothing is consumed.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, [NotNullWhen(true)] out TpmAttest? result, out int bytesConsumed) =>
        TpmStructure.TryRead(source, MaxSize, Read, out result, out bytesConsumed);

    /// <summary>Parses a TPMS_ATTEST quote that must fill <paramref name="source"/> exactly (it is the signed message).</summary>
    /// <exception cref="TpmFormatException">Malformed, not a quote, too large, or trailing bytes.</exception>
    public static TpmAttest Parse(ReadOnlySpan<byte> source) => TpmStructure.Parse(source, MaxSize, Read, "TPMS_ATTEST");

    internal static TpmAttest Read(ref TpmReader reader)
    {
        int at = reader.Position;
        uint magic = reader.ReadUInt32("TPMS_ATTEST.magic");
        if (magic != GeneratedMagic)
        {
            TpmFormatException.Throw("TPMS_ATTEST.magic", at, $"0x{magic:X8} is not TPM_GENERATED_VALUE 0xFF544347");
        }

        at = reader.Position;
        ushort type = reader.ReadUInt16("TPMS_ATTEST.type");
        if (type != AttestQuoteTag)
        {
            TpmFormatException.Throw("TPMS_ATTEST.type", at, $"0x{type:X4} is not TPM_ST_ATTEST_QUOTE 0x8018");
        }

        at = reader.Position;
        ReadOnlySpan<byte> signer = reader.ReadSized("TPMS_ATTEST.qualifiedSigner", TpmName.MaxSize);
        if (!TpmName.IsDigestName(signer))
        {
            TpmFormatException.Throw("TPMS_ATTEST.qualifiedSigner", at, "is not an algorithm-prefixed digest");
        }

        ReadOnlySpan<byte> extraData = reader.ReadSized("TPMS_ATTEST.extraData", MaxExtraDataSize);
        ulong clock = reader.ReadUInt64("TPMS_CLOCK_INFO.clock");
        uint resetCount = reader.ReadUInt32("TPMS_CLOCK_INFO.resetCount");
        uint restartCount = reader.ReadUInt32("TPMS_CLOCK_INFO.restartCount");
        at = reader.Position;
        byte safe = reader.ReadByte("TPMS_CLOCK_INFO.safe");
        if (safe > 1)
        {
            TpmFormatException.Throw("TPMS_CLOCK_INFO.safe", at, $"TPMI_YES_NO value {safe} is not 0 or 1");
        }

        ulong firmware = reader.ReadUInt64("TPMS_ATTEST.firmwareVersion");
        PcrSelection selection = PcrSelection.Read(ref reader);
        at = reader.Position;
        ReadOnlySpan<byte> pcrDigest = reader.ReadSized("TPMS_QUOTE_INFO.pcrDigest", TpmHash.MaxDigestSize);
        if (pcrDigest.IsEmpty)
        {
            TpmFormatException.Throw("TPMS_QUOTE_INFO.pcrDigest", at, "is empty");
        }

        return new TpmAttest(signer.ToArray(), extraData.ToArray(), new TpmClockInfo(clock, resetCount, restartCount, safe == 1), firmware,
            selection, pcrDigest.ToArray());
    }
}
