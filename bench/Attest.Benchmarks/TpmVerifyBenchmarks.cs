using System.Buffers.Binary;
using System.Security.Cryptography;
using Attest.Tpm;
using Attest.Tpm.Keys;
using Attest.Tpm.Marshalling;
using Attest.Tpm.Structures;
using Attest.Tpm.Verification.EventLog;
using Attest.Tpm.Verification.Evidence;
using Attest.Tpm.Verification.Quotes;
using BenchmarkDotNet.Attributes;

namespace Attest.Benchmarks;

/// <summary>
/// Quote verification throughput with a cached imported AK (ECDSA P-256 and RSA-2048), against the bare ECDSA
/// verify it is bounded by, and with the AK imported per quote; plus evidence JSON parsing.
/// </summary>
[MemoryDiagnoser]
public class TpmVerifyQuoteBenchmarks
{
    private readonly byte[] _nonce = SHA256.HashData("statement"u8);
    private ECDsa _ecKey = null!;
    private RSA _rsaKey = null!;
    private TpmPublic _ecPublic = null!;
    private AttestationKey _ecAk = null!;
    private AttestationKey _rsaAk = null!;
    private PcrValueSet _pcrs = null!;
    private byte[] _ecAttest = [];
    private byte[] _ecSignature = [];
    private byte[] _rsaAttest = [];
    private byte[] _rsaSignature = [];
    private byte[] _rawHash = [];
    private byte[] _rawSignature = [];
    private byte[] _evidenceJson = [];

    [GlobalSetup]
    public void Setup()
    {
        _ecKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        _rsaKey = RSA.Create(2048);
        ECParameters ep = _ecKey.ExportParameters(false);
        _ecPublic = TpmPublic.Parse(TpmPublic.EncodeEcc(TpmAlgorithm.Sha256, TpmTemplates.AkAttributes, [], TpmSymmetricDefinition.None,
            new TpmScheme(TpmAlgorithm.EcDsa, TpmAlgorithm.Sha256, 0), TpmEccCurve.NistP256, TpmScheme.None, ep.Q.X, ep.Q.Y));
        TpmPublic rsaPublic = TpmPublic.Parse(TpmPublic.EncodeRsa(TpmAlgorithm.Sha256, TpmTemplates.AkAttributes, [], TpmSymmetricDefinition.None,
            new TpmScheme(TpmAlgorithm.RsaSsa, TpmAlgorithm.Sha256, 0), 2048, 0, _rsaKey.ExportParameters(false).Modulus));
        _ecAk = AttestationKey.Create(_ecPublic);
        _rsaAk = AttestationKey.Create(rsaPublic);
        _pcrs = new PcrValueSet(Enumerable.Range(0, 8).Select(i => new PcrValue(TpmAlgorithm.Sha256, i, SHA256.HashData([(byte)i]))));
        var selection = new PcrSelection([new PcrBankSelection(TpmAlgorithm.Sha256, 0xFF)]);
        byte[] pcrDigest = SHA256.HashData(_pcrs.All.SelectMany(p => p.Digest.ToArray()).ToArray());

        _ecAttest = Attest(_ecAk.QualifiedNames[0].Span, selection, pcrDigest);
        byte[] rs = _ecKey.SignData(_ecAttest, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        _ecSignature = TpmSignature.EncodeEcdsa(TpmAlgorithm.Sha256, rs.AsSpan(0, 32), rs.AsSpan(32));
        _rsaAttest = Attest(_rsaAk.QualifiedNames[0].Span, selection, pcrDigest);
        _rsaSignature = TpmSignature.EncodeRsaSsa(TpmAlgorithm.Sha256, _rsaKey.SignData(_rsaAttest, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        _rawHash = SHA256.HashData(_ecAttest);
        _rawSignature = rs;
        _evidenceJson = new TpmEvidence(_ecAttest, _ecSignature, _pcrs, _ecAk.Name.Span, _ecPublic.ToSized()).ToJson();
        if (!QuoteVerifier.Verify(_ecAttest, _ecSignature, _ecAk, _nonce, _pcrs).IsValid
            || !QuoteVerifier.Verify(_rsaAttest, _rsaSignature, _rsaAk, _nonce, _pcrs).IsValid)
        {
            throw new InvalidOperationException("benchmark quotes do not verify");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _ecAk.Dispose();
        _rsaAk.Dispose();
        _ecKey.Dispose();
        _rsaKey.Dispose();
    }

    /// <summary>The floor: one ECDSA P-256 verification of a precomputed hash.</summary>
    [Benchmark(Baseline = true)]
    public bool EcdsaP256VerifyAlone() => _ecKey.VerifyHash(_rawHash, _rawSignature, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    /// <summary>Full quote verification (parse, signature, nonce, qualified signer, PCR digest) with a cached ECDSA AK.</summary>
    [Benchmark]
    public bool QuoteVerifyEcdsaCachedKey() => QuoteVerifier.Verify(_ecAttest, _ecSignature, _ecAk, _nonce, _pcrs).IsValid;

    /// <summary>The same with an RSA-2048 RSASSA AK.</summary>
    [Benchmark]
    public bool QuoteVerifyRsaCachedKey() => QuoteVerifier.Verify(_rsaAttest, _rsaSignature, _rsaAk, _nonce, _pcrs).IsValid;

    /// <summary>Importing the AK per quote: what caching saves.</summary>
    [Benchmark]
    public bool QuoteVerifyEcdsaImportPerQuote()
    {
        using AttestationKey ak = AttestationKey.Create(_ecPublic);
        return QuoteVerifier.Verify(_ecAttest, _ecSignature, ak, _nonce, _pcrs).IsValid;
    }

    /// <summary>Strict parse of the evidence JSON (no event log).</summary>
    [Benchmark]
    public TpmEvidence EvidenceParse() => TpmEvidence.Parse(_evidenceJson);

    private static byte[] Attest(ReadOnlySpan<byte> signer, PcrSelection selection, byte[] pcrDigest)
    {
        var w = new TpmWriter().UInt32(TpmAttest.GeneratedMagic).UInt16(TpmAttest.AttestQuoteTag).Sized(signer).Sized(SHA256.HashData("statement"u8))
            .UInt64(123456).UInt32(2).UInt32(0).Byte(1).UInt64(0x2019102300163636);
        selection.WriteTo(w);
        return w.Sized(pcrDigest).ToArray();
    }
}

/// <summary>Event log parse and replay for a firmware-sized log (sha1 + sha256 banks, 200 events, ~40 KiB).</summary>
[MemoryDiagnoser]
public class TpmVerifyEventLogBenchmarks
{
    private byte[] _log = [];
    private PcrValueSet _quoted = null!;

    [GlobalSetup]
    public void Setup()
    {
        TpmAlgorithm[] banks = [TpmAlgorithm.Sha1, TpmAlgorithm.Sha256];
        var log = new MemoryStream();
        var pcrs = new Dictionary<(TpmAlgorithm, int), byte[]>();
        void U32(uint v)
        {
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(b, v);
            log.Write(b);
        }

        void U16(ushort v)
        {
            Span<byte> b = stackalloc byte[2];
            BinaryPrimitives.WriteUInt16LittleEndian(b, v);
            log.Write(b);
        }

        // Header: TCG_PCR_EVENT with the Spec ID Event03 (PC Client PFP §10.4.5.1).
        U32(0);
        U32(TcgEventType.NoAction);
        log.Write(new byte[20]);
        U32(16 + 4 + 4 + 4 + (4 * (uint)banks.Length) + 1);
        log.Write("Spec ID Event03\0"u8);
        U32(0);
        log.Write([0, 2, 0, 2]);
        U32((uint)banks.Length);
        foreach (TpmAlgorithm bank in banks)
        {
            U16((ushort)bank);
            U16((ushort)TpmHash.DigestSize(bank));
        }

        log.WriteByte(0);
        for (int i = 0; i < 200; i++)
        {
            int pcr = i % 8;
            byte[] data = new byte[150];
            BinaryPrimitives.WriteInt32LittleEndian(data, i);
            U32((uint)pcr);
            U32(i % 8 == 7 ? TcgEventType.Separator : TcgEventType.EfiVariableDriverConfig);
            U32((uint)banks.Length);
            foreach (TpmAlgorithm bank in banks)
            {
                byte[] digest = TpmHash.Hash(bank, data);
                U16((ushort)bank);
                log.Write(digest);
                byte[] value = pcrs.TryGetValue((bank, pcr), out byte[]? v) ? v : new byte[digest.Length];
                pcrs[(bank, pcr)] = TpmHash.Hash(bank, [.. value, .. digest]);
            }

            U32((uint)data.Length);
            log.Write(data);
        }

        _log = log.ToArray();
        _quoted = new PcrValueSet(Enumerable.Range(0, 8).Select(i => new PcrValue(TpmAlgorithm.Sha256, i, pcrs[(TpmAlgorithm.Sha256, i)])));
        if (!TcgEventLogReplayer.Replay(_log, _quoted).IsValid)
        {
            throw new InvalidOperationException("benchmark log does not replay");
        }
    }

    /// <summary>Strict parse only.</summary>
    [Benchmark]
    public int EventLogParse() => TcgEventLog.Parse(_log).Events.Count;

    /// <summary>Parse, replay the sha256 bank, compare with the quote, classify every event.</summary>
    [Benchmark]
    public bool EventLogParseAndReplay() => TcgEventLogReplayer.Replay(_log, _quoted).IsValid;
}
