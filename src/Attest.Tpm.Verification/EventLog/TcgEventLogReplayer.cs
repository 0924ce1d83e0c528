using System.Security.Cryptography;
using Attest.Tpm.Structures;
using Attest.Tpm.Verification.Quotes;

namespace Attest.Tpm.Verification.EventLog;

/// <summary>How far an event can be believed after replay.</summary>
public enum TcgEventTrust
{
    /// <summary>Not covered by a quoted PCR (EV_NO_ACTION, a PCR the quote does not cover or whose replay failed): believe nothing.</summary>
    Untrusted = 0,

    /// <summary>The event's digests are covered by a quoted PCR, but no digest is a hash of the event data: the data is only a claim.</summary>
    DigestOnly,

    /// <summary>The digests are covered by a quoted PCR and each equals the hash of the event data: the data is trusted too.</summary>
    Trusted,
}

/// <summary>Why an event log did not replay to the quoted PCRs.</summary>
public enum EventLogFailureCode
{
    /// <summary>The log is not a well-formed crypto-agile log.</summary>
    Malformed = 1,

    /// <summary>The log and the quote share no bank this library can compute.</summary>
    NoCommonBank,

    /// <summary>An extended event lacks a digest for a bank being replayed.</summary>
    MissingBankDigest,

    /// <summary>A replayed PCR differs from the quoted value.</summary>
    PcrMismatch,

    /// <summary>An event whose digest the specification defines as the hash of its data (EV_SEPARATOR, EV_ACTION, EV_EFI_ACTION) does not match it.</summary>
    EventDataMismatch,
}

/// <summary>One reason the log was rejected.</summary>
/// <param name="Code">The kind of failure.</param>
/// <param name="Detail">What exactly was wrong.</param>
public readonly record struct EventLogFailure(EventLogFailureCode Code, string Detail)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Code}: {Detail}";
}

/// <summary>An event with the trust replay gave it.</summary>
/// <param name="Event">The parsed event.</param>
/// <param name="Trust">What may be believed about it.</param>
public readonly record struct ReplayedEvent(TcgEvent Event, TcgEventTrust Trust)
{
    /// <summary>The event data, only when <see cref="Trust"/> is <see cref="TcgEventTrust.Trusted"/>; otherwise empty.</summary>
    public ReadOnlyMemory<byte> TrustedData => Trust == TcgEventTrust.Trusted ? Event.Data : ReadOnlyMemory<byte>.Empty;
}

/// <summary>The result of replaying an event log against quoted PCRs.</summary>
public sealed class EventLogReplay
{
    internal EventLogReplay(IReadOnlyList<EventLogFailure> failures, IReadOnlyList<ReplayedEvent> events, PcrValueSet? replayed, IReadOnlyList<(TpmAlgorithm HashAlg, int Index)> verifiedPcrs)
    {
        Failures = failures;
        Events = events;
        ReplayedPcrs = replayed;
        VerifiedPcrs = verifiedPcrs;
    }

    /// <summary>Whether the log replayed to every quoted PCR it must match, with no tampered event.</summary>
    public bool IsValid => Failures.Count == 0;

    /// <summary>Every reason the log was rejected.</summary>
    public IReadOnlyList<EventLogFailure> Failures { get; }

    /// <summary>Every event with its trust (empty when the log did not parse).</summary>
    public IReadOnlyList<ReplayedEvent> Events { get; }

    /// <summary>Events whose digests a quoted PCR covers (trust at least <see cref="TcgEventTrust.DigestOnly"/>).</summary>
    public IEnumerable<ReplayedEvent> CoveredEvents => Events.Where(e => e.Trust != TcgEventTrust.Untrusted);

    /// <summary>The PCR values the log replays to, for every bank and PCR it extends (null when it did not parse).</summary>
    public PcrValueSet? ReplayedPcrs { get; }

    /// <summary>The quoted (bank, PCR) pairs the log replayed to exactly.</summary>
    public IReadOnlyList<(TpmAlgorithm HashAlg, int Index)> VerifiedPcrs { get; }

    /// <inheritdoc/>
    public override string ToString() => IsValid ? "valid" : string.Join("; ", Failures);
}

/// <summary>
/// Replays a TCG event log per bank (PCR := H(PCR || digest) for every event but EV_NO_ACTION; PCR 0 starts at the
/// locality of an EV_NO_ACTION "StartupLocality" event, PC Client PFP §10.4.5.3) and compares with quoted PCRs.
/// Events are trusted only as far as a quoted PCR and their digests cover them (go-attestation and Keylime's rule:
/// event data no digest covers is never trusted).
/// </summary>
public static class TcgEventLogReplayer
{
    /// <summary>The PCRs that must replay exactly by default: 0-7, the firmware's (PFP §3.3.4).</summary>
    public const uint DefaultMustMatchMask = 0xFF;

    private static ReadOnlySpan<byte> StartupLocalitySignature => "StartupLocality\0"u8;

    /// <summary>Parses and replays <paramref name="logBytes"/>; a parse failure becomes a <see cref="EventLogFailureCode.Malformed"/> failure.</summary>
    public static EventLogReplay Replay(ReadOnlySpan<byte> logBytes, PcrValueSet quoted, uint mustMatchMask = DefaultMustMatchMask, TcgEventLogLimits? limits = null)
    {
        if (!TcgEventLog.TryParse(logBytes, out TcgEventLog? log, out string? error, limits))
        {
            return new EventLogReplay([new(EventLogFailureCode.Malformed, error)], [], null, []);
        }

        return Replay(log, quoted, mustMatchMask);
    }

    /// <summary>
    /// Replays <paramref name="log"/> and compares it with the <paramref name="quoted"/> PCRs (the values a verified
    /// quote vouches for). A quoted PCR in <paramref name="mustMatchMask"/> that replays differently is a failure;
    /// other quoted PCRs that differ (e.g. PCR 11, extended after boot without a firmware log entry) only leave
    /// their events untrusted.
    /// </summary>
    public static EventLogReplay Replay(TcgEventLog log, PcrValueSet quoted, uint mustMatchMask = DefaultMustMatchMask)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(quoted);
        var failures = new List<EventLogFailure>();
        TpmAlgorithm[] banks = [.. log.Banks.Where(b => TpmHash.IsComputable(b) && quoted.All.Any(q => q.Hash == b))];
        if (banks.Length == 0)
        {
            failures.Add(new(EventLogFailureCode.NoCommonBank, "the log and the quote share no SHA-1/SHA-2 bank"));
        }

        byte locality = 0;
        var pcrs = new Dictionary<(TpmAlgorithm, int), byte[]>();
        var brokenPcrs = new HashSet<(TpmAlgorithm, int)>();
        var extended = new HashSet<int>();
        foreach (TcgEvent e in log.Events)
        {
            if (e.EventType == TcgEventType.NoAction)
            {
                if (e.PcrIndex == 0 && e.Data.Span.StartsWith(StartupLocalitySignature) && e.Data.Length == 17 && !extended.Contains(0))
                {
                    locality = e.Data.Span[16];
                }

                continue;
            }

            extended.Add(e.PcrIndex);
            foreach (TpmAlgorithm bank in banks)
            {
                if (!e.TryGetDigest(bank, out ReadOnlyMemory<byte> digest))
                {
                    if (brokenPcrs.Add((bank, e.PcrIndex)))
                    {
                        failures.Add(new(EventLogFailureCode.MissingBankDigest,
                            $"event {e.Sequence} ({TcgEventType.Name(e.EventType)}, PCR {e.PcrIndex}) has no {QuoteVerifier.BankLabel(bank)} digest"));
                    }

                    continue;
                }

                if (!pcrs.TryGetValue((bank, e.PcrIndex), out byte[]? value))
                {
                    value = Initial(bank, e.PcrIndex, locality);
                    pcrs[(bank, e.PcrIndex)] = value;
                }

                Extend(bank, value, digest.Span);
            }
        }

        var verified = new List<(TpmAlgorithm, int)>();
        var replayedList = new List<PcrValue>();
        foreach (TpmAlgorithm bank in banks)
        {
            for (int index = 0; index < 32; index++)
            {
                bool hasEvents = pcrs.TryGetValue((bank, index), out byte[]? value);
                value ??= Initial(bank, index, locality);
                if (hasEvents)
                {
                    replayedList.Add(new PcrValue(bank, index, value));
                }

                if (!quoted.TryGet(bank, index, out ReadOnlyMemory<byte> q) || brokenPcrs.Contains((bank, index)))
                {
                    continue;
                }

                if (q.Span.SequenceEqual(value))
                {
                    verified.Add((bank, index));
                }
                else if ((mustMatchMask & (1u << index)) != 0)
                {
                    failures.Add(new(EventLogFailureCode.PcrMismatch,
                        $"PCR {index} of bank {QuoteVerifier.BankLabel(bank)} replays to {Convert.ToHexStringLower(value)} but the quote has {Convert.ToHexStringLower(q.Span)}"));
                }
            }
        }

        var events = new List<ReplayedEvent>(log.Events.Count);
        foreach (TcgEvent e in log.Events)
        {
            TcgEventTrust trust = Classify(e, banks, verified, failures);
            events.Add(new ReplayedEvent(e, trust));
        }

        return new EventLogReplay(failures, events, new PcrValueSet(replayedList), verified);
    }

    private static TcgEventTrust Classify(TcgEvent e, TpmAlgorithm[] banks, List<(TpmAlgorithm, int)> verified, List<EventLogFailure> failures)
    {
        if (e.EventType == TcgEventType.NoAction)
        {
            return TcgEventTrust.Untrusted;
        }

        bool covered = false;
        bool dataMatchesAll = true;
        Span<byte> hash = stackalloc byte[TpmHash.MaxDigestSize];
        foreach (TpmAlgorithm bank in banks)
        {
            if (!verified.Contains((bank, e.PcrIndex)) || !e.TryGetDigest(bank, out ReadOnlyMemory<byte> digest))
            {
                continue;
            }

            covered = true;
            int n = TpmHash.Hash(bank, e.Data.Span, hash);
            if (!CryptographicOperations.FixedTimeEquals(hash[..n], digest.Span))
            {
                dataMatchesAll = false;
            }
        }

        if (!covered)
        {
            return TcgEventTrust.Untrusted;
        }

        if (dataMatchesAll)
        {
            return TcgEventTrust.Trusted;
        }

        if (TcgEventType.DigestMustCoverData(e.EventType))
        {
            failures.Add(new(EventLogFailureCode.EventDataMismatch,
                $"event {e.Sequence} ({TcgEventType.Name(e.EventType)}, PCR {e.PcrIndex}) has data that does not hash to its digest"));
        }

        return TcgEventTrust.DigestOnly;
    }

    private static byte[] Initial(TpmAlgorithm bank, int index, byte locality)
    {
        var value = new byte[TpmHash.DigestSize(bank)];
        if (index == 0)
        {
            value[^1] = locality; // PFP §10.4.5.3: PCR 0 starts as 0...0 || locality when StartupLocality is logged.
        }
        else if (index is >= 17 and <= 22)
        {
            value.AsSpan().Fill(0xFF); // PC Client PTP: the dynamic-launch PCRs reset to all ones.
        }

        return value;
    }

    private static void Extend(TpmAlgorithm bank, byte[] pcr, ReadOnlySpan<byte> digest)
    {
        Span<byte> buffer = stackalloc byte[2 * TpmHash.MaxDigestSize];
        pcr.CopyTo(buffer);
        digest.CopyTo(buffer[pcr.Length..]);
        TpmHash.Hash(bank, buffer[..(pcr.Length + digest.Length)], pcr);
    }
}
