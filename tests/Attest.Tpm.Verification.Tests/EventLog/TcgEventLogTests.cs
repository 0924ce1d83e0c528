using System.Security.Cryptography;
using Attest.Tpm.Verification.EventLog;
using Attest.Tpm.Verification.Quotes;
using Attest.Tpm.Verification.Tests.Support;

namespace Attest.Tpm.Verification.Tests.EventLog;

public sealed class TcgEventLogTests
{
    [Fact]
    public void Parse_TypicalBoot_ReadsHeaderAndEvents()
    {
        byte[] bytes = EventLogWriter.TypicalBoot(0, TpmAlgorithm.Sha1, TpmAlgorithm.Sha256).ToArray();

        TcgEventLog log = TcgEventLog.Parse(bytes);

        Assert.Equal([TpmAlgorithm.Sha1, TpmAlgorithm.Sha256], log.Banks);
        Assert.Equal((2, 0, 0), ((int)log.SpecVersion.Major, (int)log.SpecVersion.Minor, (int)log.SpecVersion.Errata));
        Assert.Equal(14, log.Events.Count);
        TcgEvent first = log.Events[0];
        Assert.Equal(TcgEventType.SCrtmVersion, first.EventType);
        Assert.Equal(2, first.Digests.Count);
        Assert.Equal(SHA256.HashData("1.0\0"u8), first.Digests[1].Digest.ToArray());
    }

    [Fact]
    public void Parse_HeaderOnly_NoEvents()
    {
        Assert.Empty(TcgEventLog.Parse(new EventLogWriter().ToArray()).Events);
    }

    [Fact]
    public void Parse_NotSpecIdEvent03_Throws()
    {
        byte[] bytes = new EventLogWriter().ToArray();
        bytes[32 + 14] = (byte)'2'; // "Spec ID Event02": a legacy SHA-1 log

        var e = Assert.Throws<TcgEventLogFormatException>(() => TcgEventLog.Parse(bytes));
        Assert.Equal("TCG_EfiSpecIDEvent.signature", e.Field);
    }

    [Fact]
    public void Parse_EventSizeBeyondEnd_ThrowsNamingField()
    {
        byte[] bytes = new EventLogWriter().Event(4, TcgEventType.EfiAction, [1, 2, 3]).ToArray();
        bytes[^7] = 0xFF;

        var e = Assert.Throws<TcgEventLogFormatException>(() => TcgEventLog.Parse(bytes));
        Assert.Equal("TCG_PCR_EVENT2.eventSize", e.Field);
    }

    [Fact]
    public void Parse_UndeclaredDigestAlgorithm_Throws()
    {
        var w = new EventLogWriter(TpmAlgorithm.Sha256);
        w.Write(4, TcgEventType.EfiAction, [(TpmAlgorithm.Sha384, new byte[48])], [1], extend: false);

        Assert.Equal("TPMT_HA.hashAlg", Assert.Throws<TcgEventLogFormatException>(() => TcgEventLog.Parse(w.ToArray())).Field);
    }

    [Fact]
    public void Parse_TooManyEvents_Throws()
    {
        var w = new EventLogWriter();
        for (int i = 0; i < 11; i++)
        {
            w.Event(8, TcgEventType.Ipl, [(byte)i]);
        }

        var limits = new TcgEventLogLimits { MaxEvents = 10 };
        Assert.Contains("more than 10 events", Assert.Throws<TcgEventLogFormatException>(() => TcgEventLog.Parse(w.ToArray(), limits)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_EventDataOverLimit_Throws()
    {
        byte[] bytes = new EventLogWriter().Event(8, TcgEventType.Ipl, new byte[100]).ToArray();

        var limits = new TcgEventLogLimits { MaxEventDataSize = 99 };
        Assert.Equal("TCG_PCR_EVENT2.eventSize", Assert.Throws<TcgEventLogFormatException>(() => TcgEventLog.Parse(bytes, limits)).Field);
    }

    [Fact]
    public void Replay_TypicalBoot_MatchesQuotedPcrsAndTrustsCoveredData()
    {
        EventLogWriter w = EventLogWriter.TypicalBoot();

        EventLogReplay replay = TcgEventLogReplayer.Replay(w.ToArray(), w.Quoted());

        Assert.True(replay.IsValid, replay.ToString());
        Assert.Equal(8, replay.VerifiedPcrs.Count);
        ReplayedEvent app = Assert.Single(replay.Events, e => e.Event.EventType == TcgEventType.EfiBootServicesApplication);
        Assert.Equal(TcgEventTrust.DigestOnly, app.Trust);
        Assert.True(app.TrustedData.IsEmpty);
        ReplayedEvent action = Assert.Single(replay.Events, e => e.Event.EventType == TcgEventType.EfiAction);
        Assert.Equal(TcgEventTrust.Trusted, action.Trust);
        Assert.Equal("Calling EFI Application from Boot Option"u8.ToArray(), action.TrustedData.ToArray());
    }

    [Fact]
    public void Replay_Pcr7ByHand_EqualsExtendChain()
    {
        var w = new EventLogWriter().Event(7, TcgEventType.EfiVariableDriverConfig, [1]).Event(7, TcgEventType.Separator, [0, 0, 0, 0]);
        byte[] expected = SHA256.HashData([.. SHA256.HashData([.. new byte[32], .. SHA256.HashData([1])]), .. SHA256.HashData([0, 0, 0, 0])]);

        EventLogReplay replay = TcgEventLogReplayer.Replay(w.ToArray(), w.Quoted());

        Assert.True(replay.ReplayedPcrs!.TryGet(TpmAlgorithm.Sha256, 7, out ReadOnlyMemory<byte> pcr7));
        Assert.Equal(expected, pcr7.ToArray());
        Assert.True(replay.IsValid);
    }

    [Fact]
    public void Replay_StartupLocality3_Pcr0StartsAtLocality()
    {
        EventLogWriter w = new EventLogWriter().StartupLocality(3).Event(0, TcgEventType.SCrtmVersion, "1.0\0"u8.ToArray());
        byte[] start = new byte[32];
        start[31] = 3;
        byte[] expected = SHA256.HashData([.. start, .. SHA256.HashData("1.0\0"u8)]);

        EventLogReplay replay = TcgEventLogReplayer.Replay(w.ToArray(), w.Quoted());

        Assert.True(replay.IsValid, replay.ToString());
        Assert.True(replay.ReplayedPcrs!.TryGet(TpmAlgorithm.Sha256, 0, out ReadOnlyMemory<byte> pcr0));
        Assert.Equal(expected, pcr0.ToArray());
        Assert.Equal(TcgEventType.NoAction, replay.Events[0].Event.EventType);
        Assert.Equal(TcgEventTrust.Untrusted, replay.Events[0].Trust);
    }

    [Fact]
    public void Replay_StartupLocalityIgnored_Pcr0Mismatch()
    {
        EventLogWriter w = EventLogWriter.TypicalBoot(locality: 3);
        PcrValueSet quoted = w.Quoted();
        EventLogWriter plain = EventLogWriter.TypicalBoot(locality: 0);

        EventLogReplay replay = TcgEventLogReplayer.Replay(plain.ToArray(), quoted);

        EventLogFailure failure = Assert.Single(replay.Failures);
        Assert.Equal(EventLogFailureCode.PcrMismatch, failure.Code);
        Assert.Contains("PCR 0 ", failure.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Replay_NoActionEvent_NotExtended()
    {
        var w = new EventLogWriter().Event(4, TcgEventType.EfiAction, [1]);
        PcrValueSet quoted = w.Quoted();
        w.Raw(4, TcgEventType.NoAction, [9, 9, 9], extend: false);

        EventLogReplay replay = TcgEventLogReplayer.Replay(w.ToArray(), quoted);

        Assert.True(replay.IsValid, replay.ToString());
        Assert.Equal(TcgEventTrust.Untrusted, replay.Events[1].Trust);
    }

    [Fact]
    public void Replay_TamperedDigest_PcrMismatch()
    {
        EventLogWriter w = EventLogWriter.TypicalBoot();
        PcrValueSet quoted = w.Quoted();
        byte[] log = w.ToArray();
        TcgEvent app = TcgEventLog.Parse(log).Events.Single(e => e.EventType == TcgEventType.EfiBootServicesApplication);
        log[app.Offset + 4 + 4 + 4 + 2] ^= 1; // first digest byte

        EventLogReplay replay = TcgEventLogReplayer.Replay(log, quoted);

        Assert.Equal(EventLogFailureCode.PcrMismatch, Assert.Single(replay.Failures).Code);
        Assert.All(replay.Events.Where(e => e.Event.PcrIndex == 4), e => Assert.Equal(TcgEventTrust.Untrusted, e.Trust));
    }

    [Fact]
    public void Replay_TamperedSeparatorData_EventDataMismatch()
    {
        EventLogWriter w = EventLogWriter.TypicalBoot();
        PcrValueSet quoted = w.Quoted();
        byte[] log = w.ToArray();
        TcgEvent sep = TcgEventLog.Parse(log).Events.First(e => e.EventType == TcgEventType.Separator);
        log[sep.Offset + 4 + 4 + 4 + 2 + 32 + 4] = 0xFF;

        EventLogReplay replay = TcgEventLogReplayer.Replay(log, quoted);

        Assert.Equal(EventLogFailureCode.EventDataMismatch, Assert.Single(replay.Failures).Code);
        Assert.Equal(TcgEventTrust.DigestOnly, replay.Events[sep.Sequence].Trust);
    }

    [Fact]
    public void Replay_TamperedVariableData_EventUntrustedButLogValid()
    {
        EventLogWriter w = EventLogWriter.TypicalBoot();
        PcrValueSet quoted = w.Quoted();
        byte[] log = w.ToArray();
        TcgEvent variable = TcgEventLog.Parse(log).Events.Single(e => e.EventType == TcgEventType.EfiVariableDriverConfig);
        log[variable.Offset + 4 + 4 + 4 + 2 + 32 + 4 + 11] = (byte)'0'; // "SecureBoot=0"

        EventLogReplay replay = TcgEventLogReplayer.Replay(log, quoted);

        Assert.True(replay.IsValid);
        Assert.Equal(TcgEventTrust.DigestOnly, replay.Events[variable.Sequence].Trust);
        Assert.True(replay.Events[variable.Sequence].TrustedData.IsEmpty);
    }

    [Fact]
    public void Replay_EventsInUnquotedPcr_Untrusted()
    {
        var w = EventLogWriter.TypicalBoot().Event(9, TcgEventType.Ipl, "initrd"u8.ToArray());

        EventLogReplay replay = TcgEventLogReplayer.Replay(w.ToArray(), w.Quoted());

        Assert.True(replay.IsValid);
        Assert.Equal(TcgEventTrust.Untrusted, replay.Events[^1].Trust);
    }

    [Fact]
    public void Replay_Pcr11ExtendedAfterLog_NotAFailureButUntrusted()
    {
        var w = EventLogWriter.TypicalBoot().Event(11, TcgEventType.Ipl, "uki"u8.ToArray());
        PcrValueSet quoted = w.Quoted(mask: 0x8FF);
        var moved = new PcrValueSet(quoted.All.Select(p => p.Index == 11 ? p with { Digest = SHA256.HashData("later"u8) } : p));

        EventLogReplay replay = TcgEventLogReplayer.Replay(w.ToArray(), moved);

        Assert.True(replay.IsValid, replay.ToString());
        Assert.Equal(TcgEventTrust.Untrusted, replay.Events[^1].Trust);
    }

    [Fact]
    public void Replay_EventMissingSha256Digest_MissingBankDigest()
    {
        var w = new EventLogWriter(TpmAlgorithm.Sha1, TpmAlgorithm.Sha256);
        w.Write(4, TcgEventType.EfiAction, [(TpmAlgorithm.Sha1, SHA1.HashData([1]))], [1], extend: true);

        EventLogReplay replay = TcgEventLogReplayer.Replay(w.ToArray(), w.Quoted());

        Assert.Equal(EventLogFailureCode.MissingBankDigest, Assert.Single(replay.Failures).Code);
    }

    [Fact]
    public void Replay_OnlySha1Log_NoCommonBank()
    {
        var w = EventLogWriter.TypicalBoot(0, TpmAlgorithm.Sha1);
        PcrValueSet quoted = EventLogWriter.TypicalBoot().Quoted();

        EventLogReplay replay = TcgEventLogReplayer.Replay(w.ToArray(), quoted);

        Assert.Equal(EventLogFailureCode.NoCommonBank, Assert.Single(replay.Failures).Code);
    }

    [Fact]
    public void Replay_Garbage_Malformed()
    {
        EventLogReplay replay = TcgEventLogReplayer.Replay([1, 2, 3], EventLogWriter.TypicalBoot().Quoted());

        Assert.Equal(EventLogFailureCode.Malformed, Assert.Single(replay.Failures).Code);
        Assert.Empty(replay.Events);
    }
}
