using System.Security.Cryptography;
using Attest.Tpm.Attestation;
using Attest.Tpm.Internal;
using Attest.Tpm.Keys;
using Attest.Tpm.Marshalling;
using Attest.Tpm.Structures;
using Attest.Tpm.Transport;

namespace Attest.Tpm.Tests.Swtpm;

public sealed class QuoteTests(SwtpmFixture fixture) : IClassFixture<SwtpmFixture>
{
    private static CancellationToken Ct => CancellationToken.None;

    [Theory]
    [InlineData(AttestationKeyAlgorithm.EcdsaP256, 0x8101_0020u)]
    [InlineData(AttestationKeyAlgorithm.RsaSsa2048, 0x8101_0021u)]
    public async Task Quote_DefaultSelection_SignedOverNonceAndReadPcrValues(AttestationKeyAlgorithm algorithm, uint handle)
    {
        await using TpmDevice tpm = fixture.Instance.OpenDevice();
        var attestor = new TpmAttestor(tpm, new TpmAttestorOptions { EventLogPath = "/nonexistent/binary_bios_measurements" });
        LoadedAttestationKey ak = await attestor.EnsureAttestationKeyAsync(algorithm, handle, Ct);
        byte[] nonce = SHA256.HashData("statement"u8);

        TpmQuote quote = await attestor.QuoteAsync(ak, nonce, null, Ct);

        Assert.Equal(PcrSelection.Default, quote.Selection);
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7, 11], quote.PcrValues.Select(v => v.Index));
        Assert.Null(quote.EventLog);
        Assert.Equal(1, quote.Attempts);
        TpmAttest fields = TpmAttest.Parse(quote.Attest.Span);
        Assert.Equal(nonce, fields.ExtraData.ToArray());
        Assert.Equal(SHA256.HashData([.. quote.PcrValues.SelectMany(v => v.Digest.ToArray())]), fields.PcrDigest.ToArray());
        Assert.True(VerifySignature(ak.PublicArea, quote.Attest.Span, quote.Signature.Span));
        byte[] tampered = quote.Attest.ToArray();
        tampered[^1] ^= 1;
        Assert.False(VerifySignature(ak.PublicArea, tampered, quote.Signature.Span));
        Assert.Empty(await tpm.GetHandlesAsync(0x8000_0000, Ct));
    }

    [Fact]
    public async Task Quote_AkInEndorsementHierarchy_CarriesClearFirmwareVersionAndCounters()
    {
        await using TpmDevice tpm = fixture.Instance.OpenDevice();
        var attestor = new TpmAttestor(tpm);
        LoadedAttestationKey ak = await attestor.EnsureAttestationKeyAsync(AttestationKeyAlgorithm.EcdsaP256, 0x8101_0022, Ct);
        ulong firmware = ((ulong)await tpm.GetPropertyAsync(TpmProperty.FirmwareVersion1, Ct) << 32)
            | await tpm.GetPropertyAsync(TpmProperty.FirmwareVersion2, Ct);

        TpmQuote first = await attestor.QuoteAsync(ak, new byte[32], PcrSelection.Sha256(0), Ct);
        TpmQuote second = await attestor.QuoteAsync(ak, new byte[32], PcrSelection.Sha256(0), Ct);

        TpmAttest a = TpmAttest.Parse(first.Attest.Span);
        TpmAttest b = TpmAttest.Parse(second.Attest.Span);
        Assert.Equal(firmware, a.FirmwareVersion);
        Assert.Equal(a.ClockInfo.ResetCount, b.ClockInfo.ResetCount);
        Assert.Equal(a.ClockInfo.RestartCount, b.ClockInfo.RestartCount);
        Assert.True(b.ClockInfo.Clock >= a.ClockInfo.Clock);
        Assert.True(a.ClockInfo.Safe);
    }

    [Theory]
    [InlineData(AttestationKeyAlgorithm.EcdsaP256, 0x8101_0023u)]
    [InlineData(AttestationKeyAlgorithm.RsaSsa2048, 0x8101_0024u)]
    public async Task Quote_CheckedByTpm2Checkquote_AcceptedAndWrongNonceRejected(AttestationKeyAlgorithm algorithm, uint handle)
    {
        await using TpmDevice tpm = fixture.Instance.OpenDevice();
        var attestor = new TpmAttestor(tpm);
        LoadedAttestationKey ak = await attestor.EnsureAttestationKeyAsync(algorithm, handle, Ct);
        byte[] nonce = RandomNumberGenerator.GetBytes(32);
        TpmQuote quote = await attestor.QuoteAsync(ak, nonce, PcrSelection.Sha256(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11), Ct);
        string dir = Directory.CreateTempSubdirectory("attest-checkquote-").FullName;
        try
        {
            string pem = Path.Combine(dir, "ak.pem");
            string msg = Path.Combine(dir, "quote.msg");
            string sig = Path.Combine(dir, "quote.sig");
            await File.WriteAllTextAsync(pem, ak.PublicArea.ExportSubjectPublicKeyInfoPem());
            await File.WriteAllBytesAsync(msg, quote.Attest.ToArray());
            await File.WriteAllBytesAsync(sig, quote.Signature.ToArray());

            (int ok, string output) = await SwtpmInstance.RunAsync("tpm2_checkquote", "-u", pem, "-m", msg, "-s", sig, "-g", "sha256", "-q", Convert.ToHexString(nonce));
            byte[] otherNonce = (byte[])nonce.Clone();
            otherNonce[0] ^= 0x80;
            (int wrong, _) = await SwtpmInstance.RunAsync("tpm2_checkquote", "-u", pem, "-m", msg, "-s", sig, "-g", "sha256", "-q", Convert.ToHexString(otherNonce));

            Assert.True(ok == 0, output);
            Assert.NotEqual(0, wrong);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Quote_PcrExtendedBetweenReadAndQuote_RequotesWithTheNewValues()
    {
        byte[] measurement = SHA256.HashData("late measurement"u8);
        var transport = new ExtendBeforeQuotes(TpmTransport.Open(fixture.Instance.Tcti), 16, measurement, times: 1);
        await using var tpm = new TpmDevice(transport);
        var attestor = new TpmAttestor(tpm);
        LoadedAttestationKey ak = await attestor.EnsureAttestationKeyAsync(AttestationKeyAlgorithm.EcdsaP256, 0x8101_0025, Ct);
        PcrSelection selection = PcrSelection.Sha256(0, 16);
        byte[] before = (await tpm.PcrReadAsync(selection, Ct))[1].Digest.ToArray();

        TpmQuote quote = await attestor.QuoteAsync(ak, new byte[32], selection, Ct);

        Assert.Equal(1, transport.Extends);
        Assert.Equal(2, quote.Attempts);
        Assert.Equal(SHA256.HashData([.. before, .. measurement]), quote.PcrValues[1].Digest.ToArray());
        Assert.Equal(SHA256.HashData([.. quote.PcrValues.SelectMany(v => v.Digest.ToArray())]), TpmAttest.Parse(quote.Attest.Span).PcrDigest.ToArray());
    }

    [Fact]
    public async Task Quote_PcrMovesBeforeEveryQuote_GivesUpAfterTheConfiguredAttempts()
    {
        var transport = new ExtendBeforeQuotes(TpmTransport.Open(fixture.Instance.Tcti), 16, SHA256.HashData("busy"u8), times: int.MaxValue);
        await using var tpm = new TpmDevice(transport);
        var attestor = new TpmAttestor(tpm, new TpmAttestorOptions { MaxQuoteAttempts = 3 });
        LoadedAttestationKey ak = await attestor.EnsureAttestationKeyAsync(AttestationKeyAlgorithm.EcdsaP256, 0x8101_0028, Ct);

        await Assert.ThrowsAsync<TpmQuoteException>(() => attestor.QuoteAsync(ak, new byte[32], PcrSelection.Sha256(16), Ct));

        Assert.Equal(3, transport.Extends);
    }

    [Fact]
    public async Task Quote_TwoBanks_PcrDigestCoversValuesInSelectionOrder()
    {
        await using TpmDevice tpm = fixture.Instance.OpenDevice();
        var attestor = new TpmAttestor(tpm);
        LoadedAttestationKey ak = await attestor.EnsureAttestationKeyAsync(AttestationKeyAlgorithm.EcdsaP256, 0x8101_0029, Ct);
        PcrSelection selection = PcrSelection.Parse("sha256:0-9,17+sha1:0,23");

        TpmQuote quote = await attestor.QuoteAsync(ak, new byte[32], selection, Ct);

        Assert.Equal(13, quote.PcrValues.Count);
        Assert.Equal([20, 20], quote.PcrValues.Where(v => v.Hash == TpmAlgorithm.Sha1).Select(v => v.Digest.Length));
        Assert.Equal(SHA256.HashData([.. quote.PcrValues.SelectMany(v => v.Digest.ToArray())]), TpmAttest.Parse(quote.Attest.Span).PcrDigest.ToArray());
    }

    [Fact]
    public async Task Quote_AfterTpmReset_CarriesIncrementedResetCountAndPersistentAkSurvives()
    {
        await using SwtpmInstance swtpm = await SwtpmInstance.StartAsync();
        TpmClockInfo before;
        await using (TpmDevice tpm = swtpm.OpenDevice())
        {
            Assert.True(await tpm.EnsureStartedAsync(Ct));
            var attestor = new TpmAttestor(tpm);
            LoadedAttestationKey ak = await attestor.EnsureAttestationKeyAsync(AttestationKeyAlgorithm.EcdsaP256, TpmHandles.DefaultPersistentAk, Ct);
            before = TpmAttest.Parse((await attestor.QuoteAsync(ak, new byte[32], null, Ct)).Attest.Span).ClockInfo;
        }

        // swtpm's control channel: CMD_INIT power-cycles the TPM (a TPM Reset once Startup(CLEAR) follows).
        (int exit, string output) = await SwtpmInstance.RunAsync("swtpm_ioctl", "--tcp", $"127.0.0.1:{swtpm.ControlPort}", "-i");
        Assert.True(exit == 0, output);

        await using (TpmDevice tpm = swtpm.OpenDevice())
        {
            Assert.True(await tpm.EnsureStartedAsync(Ct));
            var attestor = new TpmAttestor(tpm);
            LoadedAttestationKey ak = await attestor.EnsureAttestationKeyAsync(AttestationKeyAlgorithm.EcdsaP256, TpmHandles.DefaultPersistentAk, Ct);
            TpmClockInfo after = TpmAttest.Parse((await attestor.QuoteAsync(ak, new byte[32], null, Ct)).Attest.Span).ClockInfo;

            Assert.Equal(before.ResetCount + 1, after.ResetCount);
            Assert.Equal(0u, after.RestartCount);
        }
    }

    [Fact]
    public async Task Quote_EventLogFile_AttachedUpToTheCap()
    {
        string log = Path.GetTempFileName();
        byte[] content = RandomNumberGenerator.GetBytes(100_000);
        await File.WriteAllBytesAsync(log, content);
        try
        {
            await using TpmDevice tpm = fixture.Instance.OpenDevice();
            LoadedAttestationKey ak = await new TpmAttestor(tpm).EnsureAttestationKeyAsync(AttestationKeyAlgorithm.EcdsaP256, 0x8101_0026, Ct);
            var withLog = new TpmAttestor(tpm, new TpmAttestorOptions { EventLogPath = log });
            var tooSmall = new TpmAttestor(tpm, new TpmAttestorOptions { EventLogPath = log, MaxEventLogSize = 99_999 });

            TpmQuote quote = await withLog.QuoteAsync(ak, new byte[32], PcrSelection.Sha256(0), Ct);

            Assert.Equal(content, quote.EventLog?.ToArray());
            await Assert.ThrowsAsync<TpmQuoteException>(() => tooSmall.QuoteAsync(ak, new byte[32], PcrSelection.Sha256(0), Ct));
        }
        finally
        {
            File.Delete(log);
        }
    }

    [Fact]
    public async Task Quote_QualifyingDataNot32Bytes_Throws()
    {
        await using TpmDevice tpm = fixture.Instance.OpenDevice();
        var attestor = new TpmAttestor(tpm);
        LoadedAttestationKey ak = await attestor.EnsureAttestationKeyAsync(AttestationKeyAlgorithm.EcdsaP256, 0x8101_0027, Ct);

        await Assert.ThrowsAsync<ArgumentException>(() => attestor.QuoteAsync(ak, new byte[31], null, Ct));
    }

    [Fact]
    public async Task Commands_ConcurrentOnOneDevice_AllSucceed()
    {
        await using TpmDevice tpm = fixture.Instance.OpenDevice();

        IReadOnlyList<PcrValue>[] results = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => tpm.PcrReadAsync(PcrSelection.Sha256(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), Ct)));

        Assert.All(results, r => Assert.Equal(10, r.Count));
    }

    private static bool VerifySignature(TpmPublic key, ReadOnlySpan<byte> attest, ReadOnlySpan<byte> signature)
    {
        var r = new TpmReader(signature);
        var alg = (TpmAlgorithm)r.ReadUInt16("sigAlg");
        Assert.Equal(TpmAlgorithm.Sha256, (TpmAlgorithm)r.ReadUInt16("hash"));
        if (alg == TpmAlgorithm.RsaSsa)
        {
            using var rsa = RSA.Create();
            rsa.ImportSubjectPublicKeyInfo(key.ExportSubjectPublicKeyInfo(), out _);
            return rsa.VerifyData(attest, r.ReadSized("sig", 512), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }

        Assert.Equal(TpmAlgorithm.EcDsa, alg);
        byte[] p1363 = new byte[64];
        ReadOnlySpan<byte> sr = r.ReadSized("r", 32);
        ReadOnlySpan<byte> ss = r.ReadSized("s", 32);
        sr.CopyTo(p1363.AsSpan(32 - sr.Length));
        ss.CopyTo(p1363.AsSpan(64 - ss.Length));
        using var ecdsa = ECDsa.Create();
        ecdsa.ImportSubjectPublicKeyInfo(key.ExportSubjectPublicKeyInfo(), out _);
        return ecdsa.VerifyData(attest, p1363, HashAlgorithmName.SHA256);
    }

    /// <summary>Passes commands to swtpm, but extends a PCR just before each of the first <c>times</c> Quotes reaches it.</summary>
    private sealed class ExtendBeforeQuotes(ITpmTransport inner, int pcr, byte[] digest, int times) : ITpmTransport
    {
        public int Extends { get; private set; }

        public bool HasResourceManager => inner.HasResourceManager;

        public string Description => inner.Description;

        public async Task<byte[]> ExecuteAsync(ReadOnlyMemory<byte> command, CancellationToken cancellationToken)
        {
            if (Extends < times && System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(command.Span[6..]) == (uint)TpmCommandCode.Quote)
            {
                Extends++;
                await inner.ExecuteAsync(TpmCommands.PcrExtend(pcr, TpmAuth.EmptyPassword, [(TpmAlgorithm.Sha256, digest)]), cancellationToken);
            }

            return await inner.ExecuteAsync(command, cancellationToken);
        }

        public void Dispose() => inner.Dispose();
    }
}
