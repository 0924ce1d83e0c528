using System.Buffers.Binary;
using System.Security.Cryptography;
using Attest.Tpm.Structures;
using Attest.Tpm.Verification.EventLog;
using Attest.Tpm.Verification.Quotes;

namespace Attest.Tpm.Verification.Tests.Support;

/// <summary>
/// Writes TCG crypto-agile event logs (PC Client PFP §10.2) for tests, since no real firmware log is available
/// here, and tracks the PCR values a TPM would hold after them (its own simple extend, as an oracle).
/// </summary>
internal sealed class EventLogWriter
{
    private readonly MemoryStream _log = new();
    private readonly TpmAlgorithm[] _banks;
    private readonly Dictionary<(TpmAlgorithm, int), byte[]> _pcrs = [];
    private byte _locality;

    public EventLogWriter(params TpmAlgorithm[] banks)
    {
        _banks = banks.Length == 0 ? [TpmAlgorithm.Sha256] : banks;
        WriteHeader();
    }

    public byte[] ToArray() => _log.ToArray();

    public EventLogWriter StartupLocality(byte locality)
    {
        _locality = locality;
        return Raw(0, TcgEventType.NoAction, [.. "StartupLocality\0"u8, locality], extend: false);
    }

    /// <summary>An event whose digests are the hashes of its data (as for EV_SEPARATOR, EV_EFI_ACTION).</summary>
    public EventLogWriter Event(int pcr, uint type, byte[] data) => Raw(pcr, type, data, extend: type != TcgEventType.NoAction);

    /// <summary>An event whose digests are of something else (as for EV_EFI_BOOT_SERVICES_APPLICATION: the PE image).</summary>
    public EventLogWriter EventOfContent(int pcr, uint type, byte[] data, byte[] measuredContent)
    {
        var digests = _banks.Select(b => (b, TpmHash.Hash(b, measuredContent))).ToArray();
        return Write(pcr, type, digests, data, extend: true);
    }

    public EventLogWriter Raw(int pcr, uint type, byte[] data, bool extend)
    {
        var digests = _banks.Select(b => (b, extend ? TpmHash.Hash(b, data) : new byte[TpmHash.DigestSize(b)])).ToArray();
        return Write(pcr, type, digests, data, extend);
    }

    public EventLogWriter Write(int pcr, uint type, (TpmAlgorithm Bank, byte[] Digest)[] digests, byte[] data, bool extend)
    {
        U32((uint)pcr);
        U32(type);
        U32((uint)digests.Length);
        foreach ((TpmAlgorithm bank, byte[] digest) in digests)
        {
            U16((ushort)bank);
            _log.Write(digest);
            if (extend)
            {
                byte[] value = Pcr(bank, pcr);
                _pcrs[(bank, pcr)] = TpmHash.Hash(bank, [.. value, .. digest]);
            }
        }

        U32((uint)data.Length);
        _log.Write(data);
        return this;
    }

    public byte[] Pcr(TpmAlgorithm bank, int index)
    {
        if (_pcrs.TryGetValue((bank, index), out byte[]? v))
        {
            return v;
        }

        var initial = new byte[TpmHash.DigestSize(bank)];
        if (index == 0)
        {
            initial[^1] = _locality;
        }

        return initial;
    }

    /// <summary>The PCR values 0..7 (and any other extended) of <paramref name="bank"/> a quote would carry.</summary>
    public PcrValueSet Quoted(TpmAlgorithm bank = TpmAlgorithm.Sha256, uint mask = 0xFF) =>
        new(Enumerable.Range(0, 32).Where(i => (mask & (1u << i)) != 0).Select(i => new PcrValue(bank, i, Pcr(bank, i))));

    /// <summary>A typical firmware boot: CRTM version, firmware blob, Secure Boot variables, boot application, separators.</summary>
    public static EventLogWriter TypicalBoot(byte locality = 0, params TpmAlgorithm[] banks)
    {
        var w = new EventLogWriter(banks);
        if (locality != 0)
        {
            w.StartupLocality(locality);
        }

        w.Event(0, TcgEventType.SCrtmVersion, "1.0\0"u8.ToArray())
            .EventOfContent(0, TcgEventType.EfiPlatformFirmwareBlob, new byte[16], "firmware volume"u8.ToArray())
            .Event(7, TcgEventType.EfiVariableDriverConfig, "SecureBoot=1"u8.ToArray())
            .Event(1, TcgEventType.EfiVariableBoot, "BootOrder=0001"u8.ToArray());
        for (int pcr = 0; pcr < 8; pcr++)
        {
            w.Event(pcr, TcgEventType.Separator, [0, 0, 0, 0]);
        }

        w.Event(4, TcgEventType.EfiAction, "Calling EFI Application from Boot Option"u8.ToArray())
            .EventOfContent(4, TcgEventType.EfiBootServicesApplication, "\\EFI\\BOOT\\BOOTX64.EFI"u8.ToArray(), "systemd-boot PE image"u8.ToArray());
        return w;
    }

    private void WriteHeader()
    {
        var spec = new MemoryStream();
        spec.Write("Spec ID Event03\0"u8);
        Span<byte> b4 = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b4, 0);
        spec.Write(b4); // platformClass: client
        spec.Write([0, 2, 0, 2]); // specVersionMinor 0, Major 2, errata 0, uintnSize 2
        BinaryPrimitives.WriteUInt32LittleEndian(b4, (uint)_banks.Length);
        spec.Write(b4);
        Span<byte> b2 = stackalloc byte[2];
        foreach (TpmAlgorithm bank in _banks)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(b2, (ushort)bank);
            spec.Write(b2);
            BinaryPrimitives.WriteUInt16LittleEndian(b2, (ushort)TpmHash.DigestSize(bank));
            spec.Write(b2);
        }

        spec.WriteByte(0); // vendorInfoSize
        U32(0);
        U32(TcgEventType.NoAction);
        _log.Write(new byte[20]);
        U32((uint)spec.Length);
        _log.Write(spec.ToArray());
    }

    private void U32(uint v)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        _log.Write(b);
    }

    private void U16(ushort v)
    {
        Span<byte> b = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(b, v);
        _log.Write(b);
    }

    public static byte[] Sha256(ReadOnlySpan<byte> data) => SHA256.HashData(data);
}
