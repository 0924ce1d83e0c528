using System.Buffers.Binary;
using Attest.Tpm.Internal;
using Attest.Tpm.Marshalling;
using Attest.Tpm.Tests.Support;
using FsCheck.Xunit;

namespace Attest.Tpm.Tests;

/// <summary>Random and mutated responses make the parsers throw only their documented exceptions.</summary>
public sealed class ResponseFuzzTests
{
    private static readonly (string Step, TpmCommandCode Code, int Handles, int Sessions)[] Steps =
    [
        ("02_GetCapability", TpmCommandCode.GetCapability, 0, 0),
        ("03_GetCapability", TpmCommandCode.GetCapability, 0, 0),
        ("04_NV_ReadPublic", TpmCommandCode.NvReadPublic, 0, 0),
        ("05_NV_Read", TpmCommandCode.NvRead, 0, 1),
        ("07_PCR_Read", TpmCommandCode.PcrRead, 0, 0),
        ("08_CreatePrimary", TpmCommandCode.CreatePrimary, 1, 1),
        ("10_ReadPublic", TpmCommandCode.ReadPublic, 0, 0),
        ("11_StartAuthSession", TpmCommandCode.StartAuthSession, 1, 0),
        ("12_PolicySecret", TpmCommandCode.PolicySecret, 0, 1),
        ("13_ActivateCredential", TpmCommandCode.ActivateCredential, 0, 2),
        ("14_Quote", TpmCommandCode.Quote, 0, 1),
        ("18_Quote", TpmCommandCode.Quote, 0, 1),
    ];

    [Fact]
    public void Parse_MutatedRecordedResponses_OnlyDocumentedErrors()
    {
        var random = new Random(20261122);
        foreach ((string step, TpmCommandCode code, int handles, int sessions) in Steps)
        {
            byte[] original = WireVectors.Response(step);
            for (int i = 0; i < 400; i++)
            {
                byte[] mutated = Mutate(original, random);
                long before = GC.GetAllocatedBytesForCurrentThread();
                ParseOrDocumentedError(mutated, code, handles, sessions);

                // No allocation driven by a size field: copies of the input plus an exception at most.
                long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                Assert.True(allocated < (8 * mutated.Length) + (16 * 1024), $"{step}: {allocated} bytes allocated parsing {mutated.Length} bytes");
            }
        }
    }

    [Property(MaxTest = 500)]
    public void Parse_RandomBytes_OnlyDocumentedErrors(byte[] body, byte step)
    {
        (_, TpmCommandCode code, int handles, int sessions) = Steps[step % Steps.Length];
        ParseOrDocumentedError(body ?? [], code, handles, sessions);
    }

    [Property(MaxTest = 300)]
    public void Parse_RandomBodyWithValidHeader_OnlyDocumentedErrors(byte[] body, byte step)
    {
        (_, TpmCommandCode code, int handles, int sessions) = Steps[step % Steps.Length];
        byte[] response = new byte[10 + (body?.Length ?? 0)];
        BinaryPrimitives.WriteUInt16BigEndian(response, sessions > 0 ? (ushort)0x8002 : (ushort)0x8001);
        BinaryPrimitives.WriteUInt32BigEndian(response.AsSpan(2), (uint)response.Length);
        body?.CopyTo(response, 10);
        ParseOrDocumentedError(response, code, handles, sessions);
    }

    private static byte[] Mutate(byte[] original, Random random)
    {
        byte[] copy = (byte[])original.Clone();
        switch (random.Next(4))
        {
            case 0:
                copy[random.Next(copy.Length)] ^= (byte)(1 << random.Next(8));
                break;
            case 1:
                copy[random.Next(10, copy.Length)] = (byte)random.Next(256);
                break;
            case 2:
                // Shorten but keep responseSize consistent, so the inner size fields are what fails.
                copy = copy[..random.Next(10, copy.Length)];
                BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(2), (uint)copy.Length);
                break;
            default:
                // A size field set to its maximum.
                int at = random.Next(10, copy.Length - 1);
                copy[at] = 0xFF;
                copy[at + 1] = 0xFF;
                break;
        }

        return copy;
    }

    private static void ParseOrDocumentedError(byte[] response, TpmCommandCode code, int handles, int sessions)
    {
        try
        {
            Range range = TpmFraming.Response(response, code, handles, sessions, out uint handle);
            ReadOnlySpan<byte> p = response.AsSpan(range);
            switch (code)
            {
                case TpmCommandCode.GetCapability:
                    if (p.Length > 4 && p[4] == 5)
                    {
                        TpmCommands.DecodeCapabilityPcrs(p);
                    }
                    else
                    {
                        TpmCommands.DecodeCapabilityProperties(p);
                    }

                    break;
                case TpmCommandCode.NvReadPublic:
                    TpmCommands.DecodeNvReadPublic(p);
                    break;
                case TpmCommandCode.NvRead:
                    TpmCommands.DecodeNvRead(p, 1016);
                    break;
                case TpmCommandCode.PcrRead:
                    TpmCommands.DecodePcrRead(p);
                    break;
                case TpmCommandCode.CreatePrimary:
                    TpmCommands.DecodeCreatePrimary(handle, p);
                    break;
                case TpmCommandCode.ReadPublic:
                    TpmCommands.DecodeReadPublic(p);
                    break;
                case TpmCommandCode.StartAuthSession:
                    TpmCommands.DecodeStartAuthSession(handle, p);
                    break;
                case TpmCommandCode.PolicySecret:
                    TpmCommands.DecodePolicySecret(p);
                    break;
                case TpmCommandCode.ActivateCredential:
                    TpmCommands.DecodeActivateCredential(p);
                    break;
                case TpmCommandCode.Quote:
                    TpmCommands.DecodeQuote(p);
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(code));
            }
        }
        catch (TpmFormatException)
        {
        }
        catch (TpmException)
        {
        }
    }
}
