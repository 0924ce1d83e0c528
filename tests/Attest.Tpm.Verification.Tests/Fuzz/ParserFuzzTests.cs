using Attest.Tpm.Tests.Support;
using Attest.Tpm.Verification.EventLog;
using Attest.Tpm.Verification.Tests.Support;

namespace Attest.Tpm.Verification.Tests.Fuzz;

/// <summary>
/// Deterministic fuzzing of the event log (fixed seeds, bounded iterations): byte flips, length-field inflation and
/// splices over valid inputs. Hostile lengths (0xFFFFFFFF in event sizes) must be rejected before any allocation or
/// slicing. The TPM structures' fuzz tests are in Attest.Tpm.Tests.
/// </summary>
public sealed class ParserFuzzTests
{
    [Fact]
    public void TcgEventLog_FuzzedLog_OnlyFormatExceptionAndReplayNeverThrows()
    {
        EventLogWriter w = EventLogWriter.TypicalBoot(3, TpmAlgorithm.Sha1, TpmAlgorithm.Sha256);
        foreach (byte[] m in ParserProperties.Mutants(w.ToArray(), 3000, 4))
        {
            ParserProperties.OnlyThrows<TcgEventLogFormatException>(m, b => TcgEventLog.Parse(b));
            Assert.NotNull(TcgEventLogReplayer.Replay(m, w.Quoted()));
        }
    }

    [Fact]
    public void TcgEventLog_HugeDeclaredEventSize_RejectedWithoutAllocating()
    {
        byte[] log = new EventLogWriter().Event(4, TcgEventType.EfiAction, [1, 2, 3, 4]).ToArray();
        log[^8] = 0xFF;
        log[^7] = 0xFF;
        log[^6] = 0xFF;
        log[^5] = 0xFF;

        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<TcgEventLogFormatException>(() => TcgEventLog.Parse(log));

        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 * 1024);
    }
}
