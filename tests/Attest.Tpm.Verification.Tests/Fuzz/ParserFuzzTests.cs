using Attest.Tpm.Marshalling;
using Attest.Tpm.Verification.EventLog;
using Attest.Tpm.Verification.Structures;
using Attest.Tpm.Verification.Tests.Support;

namespace Attest.Tpm.Verification.Tests.Fuzz;

/// <summary>
/// Deterministic fuzzing (fixed seeds, bounded iterations): byte flips, length-field inflation and splices over
/// valid inputs. Hostile lengths (0xFFFF in TPM2B sizes, 0xFFFFFFFF in event sizes) must be rejected before any
/// allocation or slicing.
/// </summary>
public sealed class ParserFuzzTests
{
    private static IEnumerable<byte[]> Mutants(byte[] seed, int count, int rngSeed)
    {
        var random = new Random(rngSeed);
        for (int i = 0; i < count; i++)
        {
            byte[] m = (byte[])seed.Clone();
            switch (random.Next(4))
            {
                case 0:
                    m[random.Next(m.Length)] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    int at = random.Next(m.Length - 1);
                    m[at] = 0xFF;
                    m[at + 1] = 0xFF;
                    break;
                case 2:
                    m = m[..random.Next(m.Length)];
                    break;
                default:
                    int from = random.Next(m.Length);
                    int to = random.Next(m.Length);
                    int len = random.Next(Math.Min(m.Length - from, m.Length - to) + 1);
                    Array.Copy(seed, from, m, to, len);
                    break;
            }

            yield return m;
        }
    }

    [Fact]
    public void TpmStructures_FuzzedVectors_OnlyTpmFormatException()
    {
        foreach (byte[] m in Mutants(Vectors.Bytes("tpm2-tools/ak_rsa.pub"), 3000, 1))
        {
            ParserPropertyTests.OnlyThrows<TpmFormatException>(m, b => TpmPublic.ParseSized(b));
        }

        foreach (byte[] m in Mutants(Vectors.Bytes("tpm2-tools/quote_rsa.msg"), 3000, 2))
        {
            ParserPropertyTests.OnlyThrows<TpmFormatException>(m, b => TpmAttest.Parse(b));
        }

        foreach (byte[] m in Mutants(Vectors.Bytes("tpm2-tools/quote_ecc.sig"), 3000, 3))
        {
            ParserPropertyTests.OnlyThrows<TpmFormatException>(m, b => TpmSignature.Parse(b));
        }
    }

    [Fact]
    public void TcgEventLog_FuzzedLog_OnlyFormatExceptionAndReplayNeverThrows()
    {
        EventLogWriter w = EventLogWriter.TypicalBoot(3, TpmAlgorithmId.Sha1, TpmAlgorithmId.Sha256);
        foreach (byte[] m in Mutants(w.ToArray(), 3000, 4))
        {
            ParserPropertyTests.OnlyThrows<TcgEventLogFormatException>(m, b => TcgEventLog.Parse(b));
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
