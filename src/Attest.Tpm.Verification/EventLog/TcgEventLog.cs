using System.Diagnostics.CodeAnalysis;
using Attest.Tpm.Verification.Internal;

namespace Attest.Tpm.Verification.EventLog;

/// <summary>Bytes that are not a well-formed TCG crypto-agile event log.</summary>
public sealed class TcgEventLogFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    public TcgEventLogFormatException(string message, string field, int offset)
        : base(message)
    {
        Field = field;
        Offset = offset;
    }

    /// <summary>Creates the exception.</summary>
    public TcgEventLogFormatException()
        : this("Malformed TCG event log.", string.Empty, 0)
    {
    }

    /// <summary>Creates the exception.</summary>
    public TcgEventLogFormatException(string message)
        : this(message, string.Empty, 0)
    {
    }

    /// <summary>Creates the exception.</summary>
    public TcgEventLogFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
        Field = string.Empty;
    }

    /// <summary>The field that could not be read.</summary>
    public string Field { get; }

    /// <summary>Its byte offset in the log.</summary>
    public int Offset { get; }
}

/// <summary>Caps applied while parsing an event log (hostile input: every count and size is bounded).</summary>
public sealed record TcgEventLogLimits
{
    /// <summary>The defaults: 2 MiB log, 20,000 events, 1 MiB per event's data.</summary>
    public static TcgEventLogLimits Default { get; } = new();

    /// <summary>The largest log accepted (real firmware logs are tens of KiB).</summary>
    public int MaxLogSize { get; init; } = 2 * 1024 * 1024;

    /// <summary>The most events accepted.</summary>
    public int MaxEvents { get; init; } = 20_000;

    /// <summary>The largest event data accepted.</summary>
    public int MaxEventDataSize { get; init; } = 1024 * 1024;
}

/// <summary>One digest of a TPML_DIGEST_VALUES.</summary>
/// <param name="HashAlg">The bank's hash algorithm.</param>
/// <param name="Digest">The digest bytes.</param>
public readonly record struct TcgDigest(TpmAlgorithm HashAlg, ReadOnlyMemory<byte> Digest);

/// <summary>One TCG_PCR_EVENT2 (PC Client PFP §10.2.2). Its data is raw and untrusted until replay says otherwise.</summary>
/// <param name="Sequence">The event's position in the log, 0 for the first event after the header.</param>
/// <param name="Offset">Byte offset of the event in the log.</param>
/// <param name="PcrIndex">The PCR the event extends.</param>
/// <param name="EventType">The event type (<see cref="TcgEventType"/>).</param>
/// <param name="Digests">One digest per bank.</param>
/// <param name="Data">The event data.</param>
public sealed record TcgEvent(int Sequence, int Offset, int PcrIndex, uint EventType, IReadOnlyList<TcgDigest> Digests, ReadOnlyMemory<byte> Data)
{
    /// <summary>The digest of bank <paramref name="hashAlg"/>, if the event has one.</summary>
    public bool TryGetDigest(TpmAlgorithm hashAlg, out ReadOnlyMemory<byte> digest)
    {
        foreach (TcgDigest d in Digests)
        {
            if (d.HashAlg == hashAlg)
            {
                digest = d.Digest;
                return true;
            }
        }

        digest = default;
        return false;
    }
}

/// <summary>
/// A parsed TCG crypto-agile event log (PC Client PFP §10.2): a TCG_PCR_EVENT header whose data is the
/// TCG_EfiSpecIDEvent ("Spec ID Event03") with the digest sizes of the log's banks, then TCG_PCR_EVENT2 entries.
/// The log itself proves nothing: only <see cref="TcgEventLogReplayer"/> against quoted PCRs makes events trustworthy.
/// </summary>
public sealed class TcgEventLog
{
    /// <summary>The most banks the Spec ID event may declare.</summary>
    public const int MaxAlgorithms = 8;

    private static ReadOnlySpan<byte> SpecIdSignature => "Spec ID Event03\0"u8;

    private TcgEventLog(IReadOnlyList<TcgDigest> algorithms, byte platformClass, (byte Major, byte Minor, byte Errata) version, byte uintnSize, IReadOnlyList<TcgEvent> events)
    {
        DigestSizes = algorithms;
        PlatformClass = platformClass;
        SpecVersion = version;
        UintnSize = uintnSize;
        Events = events;
    }

    /// <summary>The banks the log declares, with their digest sizes (the digest field holds a zero-length placeholder).</summary>
    public IReadOnlyList<TcgDigest> DigestSizes { get; }

    /// <summary>The declared banks.</summary>
    public IEnumerable<TpmAlgorithm> Banks => DigestSizes.Select(d => d.HashAlg);

    /// <summary>platformClass of the Spec ID event (0 client, 1 server).</summary>
    public byte PlatformClass { get; }

    /// <summary>specVersionMajor, specVersionMinor, specErrata.</summary>
    public (byte Major, byte Minor, byte Errata) SpecVersion { get; }

    /// <summary>uintnSize (1 for 32-bit UINTN, 2 for 64-bit).</summary>
    public byte UintnSize { get; }

    /// <summary>The events after the header, in log order.</summary>
    public IReadOnlyList<TcgEvent> Events { get; }

    /// <summary>Parses a crypto-agile event log that fills <paramref name="log"/> exactly.</summary>
    /// <exception cref="TcgEventLogFormatException">Malformed, over a limit, or not crypto-agile.</exception>
    public static TcgEventLog Parse(ReadOnlySpan<byte> log, TcgEventLogLimits? limits = null)
    {
        limits ??= TcgEventLogLimits.Default;
        if (log.Length > limits.MaxLogSize)
        {
            LittleEndianCursor.Throw("log", 0, $"{log.Length} bytes exceed the maximum {limits.MaxLogSize}");
        }

        // One copy bounded by the checked input length; events slice it.
        byte[] copy = log.ToArray();
        var cursor = new LittleEndianCursor(copy);
        (List<TcgDigest> algorithms, byte platformClass, (byte, byte, byte) version, byte uintn) = ReadHeader(ref cursor, limits);
        var events = new List<TcgEvent>();
        while (cursor.Remaining > 0)
        {
            if (events.Count >= limits.MaxEvents)
            {
                LittleEndianCursor.Throw("TCG_PCR_EVENT2", cursor.Position, $"more than {limits.MaxEvents} events");
            }

            events.Add(ReadEvent(ref cursor, copy, events.Count, algorithms, limits));
        }

        return new TcgEventLog(algorithms, platformClass, version, uintn, events);
    }

    /// <summary>Tries to parse a crypto-agile event log.</summary>
    public static bool TryParse(ReadOnlySpan<byte> log, [NotNullWhen(true)] out TcgEventLog? result, [NotNullWhen(false)] out string? error, TcgEventLogLimits? limits = null)
    {
        try
        {
            result = Parse(log, limits);
            error = null;
            return true;
        }
        catch (TcgEventLogFormatException e)
        {
            result = null;
            error = e.Message;
            return false;
        }
    }

    private static (List<TcgDigest>, byte, (byte, byte, byte), byte) ReadHeader(ref LittleEndianCursor c, TcgEventLogLimits limits)
    {
        // PFP §10.2.1 TCG_PCR_EVENT: pcrIndex, eventType, SHA-1 digest[20], eventSize, event.
        uint pcr = c.ReadUInt32("TCG_PCR_EVENT.pcrIndex");
        uint type = c.ReadUInt32("TCG_PCR_EVENT.eventType");
        if (pcr != 0 || type != TcgEventType.NoAction)
        {
            LittleEndianCursor.Throw("TCG_PCR_EVENT", 0, $"the first event (PCR {pcr}, type 0x{type:X8}) is not the EV_NO_ACTION Spec ID event in PCR 0");
        }

        int at = c.Position;
        ReadOnlySpan<byte> digest = c.ReadBytes(20, "TCG_PCR_EVENT.digest");
        if (digest.ContainsAnyExcept((byte)0))
        {
            LittleEndianCursor.Throw("TCG_PCR_EVENT.digest", at, "the header event's digest is not zero");
        }

        at = c.Position;
        uint size = c.ReadUInt32("TCG_PCR_EVENT.eventSize");
        if (size > (uint)Math.Min(c.Remaining, limits.MaxEventDataSize))
        {
            LittleEndianCursor.Throw("TCG_PCR_EVENT.eventSize", at, $"{size} exceeds the {c.Remaining} bytes that remain or the limit");
        }

        int specAt = c.Position;
        var spec = new LittleEndianCursor(c.ReadBytes((int)size, "TCG_PCR_EVENT.event"));

        // PFP §10.4.5.1 TCG_EfiSpecIDEventStruct.
        if (!spec.ReadBytes(16, "TCG_EfiSpecIDEvent.signature").SequenceEqual(SpecIdSignature))
        {
            LittleEndianCursor.Throw("TCG_EfiSpecIDEvent.signature", specAt, "is not \"Spec ID Event03\" (not a crypto-agile log)");
        }

        uint platformClass = spec.ReadUInt32("TCG_EfiSpecIDEvent.platformClass");
        byte minor = spec.ReadByte("TCG_EfiSpecIDEvent.specVersionMinor");
        byte major = spec.ReadByte("TCG_EfiSpecIDEvent.specVersionMajor");
        byte errata = spec.ReadByte("TCG_EfiSpecIDEvent.specErrata");
        byte uintn = spec.ReadByte("TCG_EfiSpecIDEvent.uintnSize");
        if (major != 2 || platformClass > 1 || uintn is not (1 or 2))
        {
            LittleEndianCursor.Throw("TCG_EfiSpecIDEvent", specAt + 20, $"version {major}.{minor}, platformClass {platformClass} or uintnSize {uintn} is not a PFP 2.0 log");
        }

        at = specAt + spec.Position;
        uint count = spec.ReadUInt32("TCG_EfiSpecIDEvent.numberOfAlgorithms");
        if (count is 0 or > MaxAlgorithms)
        {
            LittleEndianCursor.Throw("TCG_EfiSpecIDEvent.numberOfAlgorithms", at, $"{count} is not in 1..{MaxAlgorithms}");
        }

        var algorithms = new List<TcgDigest>((int)count);
        for (int i = 0; i < count; i++)
        {
            at = specAt + spec.Position;
            var alg = (TpmAlgorithm)spec.ReadUInt16("TCG_EfiSpecIdEventAlgorithmSize.algorithmId");
            ushort digestSize = spec.ReadUInt16("TCG_EfiSpecIdEventAlgorithmSize.digestSize");
            int known = TpmHash.DigestSize(alg);
            if (digestSize is 0 or > TpmHash.MaxDigestSize || (known != 0 && known != digestSize))
            {
                LittleEndianCursor.Throw("TCG_EfiSpecIdEventAlgorithmSize", at, $"digest size {digestSize} is wrong for algorithm 0x{(ushort)alg:X4}");
            }

            if (algorithms.Exists(a => a.HashAlg == alg))
            {
                LittleEndianCursor.Throw("TCG_EfiSpecIdEventAlgorithmSize", at, $"algorithm 0x{(ushort)alg:X4} is declared twice");
            }

            algorithms.Add(new TcgDigest(alg, new byte[digestSize]));
        }

        byte vendorSize = spec.ReadByte("TCG_EfiSpecIDEvent.vendorInfoSize");
        spec.ReadBytes(vendorSize, "TCG_EfiSpecIDEvent.vendorInfo");
        if (spec.Remaining != 0)
        {
            LittleEndianCursor.Throw("TCG_EfiSpecIDEvent", specAt + spec.Position, $"{spec.Remaining} trailing bytes");
        }

        return (algorithms, (byte)platformClass, (major, minor, errata), uintn);
    }

    private static TcgEvent ReadEvent(ref LittleEndianCursor c, byte[] log, int sequence, List<TcgDigest> algorithms, TcgEventLogLimits limits)
    {
        // PFP §10.2.2 TCG_PCR_EVENT2: pcrIndex, eventType, TPML_DIGEST_VALUES digests, eventSize, event.
        int start = c.Position;
        uint pcr = c.ReadUInt32("TCG_PCR_EVENT2.pcrIndex");
        if (pcr > 31)
        {
            LittleEndianCursor.Throw("TCG_PCR_EVENT2.pcrIndex", start, $"PCR {pcr} is outside 0..31");
        }

        uint type = c.ReadUInt32("TCG_PCR_EVENT2.eventType");
        int at = c.Position;
        uint count = c.ReadUInt32("TPML_DIGEST_VALUES.count");
        if (count > algorithms.Count)
        {
            LittleEndianCursor.Throw("TPML_DIGEST_VALUES.count", at, $"{count} digests but the log declares {algorithms.Count} banks");
        }

        var digests = new TcgDigest[count];
        for (int i = 0; i < digests.Length; i++)
        {
            at = c.Position;
            var alg = (TpmAlgorithm)c.ReadUInt16("TPMT_HA.hashAlg");
            int size = algorithms.Find(a => a.HashAlg == alg).Digest.Length;
            if (size == 0)
            {
                LittleEndianCursor.Throw("TPMT_HA.hashAlg", at, $"algorithm 0x{(ushort)alg:X4} is not declared in the Spec ID event");
            }

            for (int j = 0; j < i; j++)
            {
                if (digests[j].HashAlg == alg)
                {
                    LittleEndianCursor.Throw("TPMT_HA.hashAlg", at, $"algorithm 0x{(ushort)alg:X4} appears twice in one event");
                }
            }

            int digestAt = c.Position;
            c.ReadBytes(size, "TPMT_HA.digest");
            digests[i] = new TcgDigest(alg, log.AsMemory(digestAt, size));
        }

        at = c.Position;
        uint dataSize = c.ReadUInt32("TCG_PCR_EVENT2.eventSize");
        if (dataSize > (uint)limits.MaxEventDataSize)
        {
            LittleEndianCursor.Throw("TCG_PCR_EVENT2.eventSize", at, $"{dataSize} exceeds the limit {limits.MaxEventDataSize}");
        }

        if (dataSize > (uint)c.Remaining)
        {
            LittleEndianCursor.Throw("TCG_PCR_EVENT2.eventSize", at, $"{dataSize} exceeds the {c.Remaining} bytes that remain");
        }

        int dataAt = c.Position;
        c.ReadBytes((int)dataSize, "TCG_PCR_EVENT2.event");
        return new TcgEvent(sequence, start, (int)pcr, type, digests, log.AsMemory(dataAt, (int)dataSize));
    }
}
