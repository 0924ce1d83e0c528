using System.Security.Cryptography;
using Attest.Tpm.Keys;
using Attest.Tpm.Marshalling;
using Attest.Tpm.Structures;
using Attest.Tpm.Verification.Quotes;

namespace Attest.Tpm.Verification.Tests.Support;

/// <summary>Makes TPM structures in software (keys, quotes) so tests can vary fields a real TPM would not.</summary>
internal static class SoftwareTpm
{
    public static byte[] EccPublic(ECDsa key, TpmObjectAttributes attributes = TpmTemplates.AkAttributes, TpmAlgorithm scheme = TpmAlgorithm.EcDsa) =>
        EccPublic(key.ExportParameters(false), attributes, scheme, TpmSymmetricDefinition.None);

    public static byte[] EccPublic(ECParameters p, TpmObjectAttributes attributes, TpmAlgorithm scheme, TpmSymmetricDefinition symmetric) =>
        TpmPublic.EncodeEcc(TpmAlgorithm.Sha256, attributes, [], symmetric, Scheme(scheme), TpmEccCurve.NistP256, TpmScheme.None, p.Q.X, p.Q.Y);

    public static byte[] RsaPublic(RSA key, TpmObjectAttributes attributes = TpmTemplates.AkAttributes, TpmAlgorithm scheme = TpmAlgorithm.RsaSsa, TpmSymmetricDefinition symmetric = default) =>
        TpmPublic.EncodeRsa(TpmAlgorithm.Sha256, attributes, [], symmetric == default ? TpmSymmetricDefinition.None : symmetric, Scheme(scheme),
            (ushort)key.KeySize, 0, key.ExportParameters(false).Modulus);

    /// <summary>The AES-128-CFB symmetric definition of storage keys such as EKs.</summary>
    public static TpmSymmetricDefinition Aes128Cfb => new(TpmAlgorithm.Aes, 128, TpmAlgorithm.Cfb);

    private static TpmScheme Scheme(TpmAlgorithm scheme) => new(scheme, scheme == TpmAlgorithm.Null ? TpmAlgorithm.Null : TpmAlgorithm.Sha256, 0);

    public static byte[] Attest(
        ReadOnlySpan<byte> qualifiedSigner, ReadOnlySpan<byte> extraData, TpmClockInfo clock,
        PcrSelection selection, ReadOnlySpan<byte> pcrDigest, ushort type = TpmAttest.AttestQuoteTag, uint magic = TpmAttest.GeneratedMagic)
    {
        var w = new TpmWriter().UInt32(magic).UInt16(type).Sized(qualifiedSigner).Sized(extraData)
            .UInt64(clock.Clock).UInt32(clock.ResetCount).UInt32(clock.RestartCount).Byte(clock.Safe ? (byte)1 : (byte)0)
            .UInt64(0x2019102300163636);
        selection.WriteTo(w);
        return w.Sized(pcrDigest).ToArray();
    }

    public static byte[] PcrDigest(PcrSelection selection, PcrValueSet values)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach ((TpmAlgorithm bank, int index) in selection.Enumerate())
        {
            Assert.True(values.TryGet(bank, index, out ReadOnlyMemory<byte> v));
            h.AppendData(v.Span);
        }

        return h.GetHashAndReset();
    }

    public static byte[] SignEcdsa(ECDsa key, ReadOnlySpan<byte> attest)
    {
        byte[] rs = key.SignHash(SHA256.HashData(attest), DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return TpmSignature.EncodeEcdsa(TpmAlgorithm.Sha256, rs.AsSpan(0, 32), rs.AsSpan(32));
    }

    public static PcrValueSet SamplePcrs(int seed)
    {
        var list = new List<PcrValue>();
        for (int i = 0; i < 8; i++)
        {
            list.Add(new PcrValue(TpmAlgorithm.Sha256, i, SHA256.HashData([(byte)seed, (byte)i])));
        }

        return new PcrValueSet(list);
    }

    /// <summary>A signed quote from a software ECC AK, with everything a verifier needs.</summary>
    internal sealed class Quote : IDisposable
    {
        public Quote(TpmClockInfo? clock = null, PcrValueSet? pcrs = null)
        {
            Key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            Public = TpmPublic.Parse(EccPublic(Key));
            Ak = AttestationKey.Create(Public);
            Nonce = SHA256.HashData("statement"u8);
            Selection = new PcrSelection([new PcrBankSelection(TpmAlgorithm.Sha256, 0xFF)]);
            Pcrs = pcrs ?? SamplePcrs(1);
            Clock = clock ?? new TpmClockInfo(1000, 2, 0, true);
            Attest = Make(Clock);
            Signature = SignEcdsa(Key, Attest);
        }

        public ECDsa Key { get; }

        public TpmPublic Public { get; }

        public AttestationKey Ak { get; }

        public byte[] Nonce { get; }

        public PcrSelection Selection { get; }

        public PcrValueSet Pcrs { get; }

        public TpmClockInfo Clock { get; }

        public byte[] Attest { get; }

        public byte[] Signature { get; }

        public byte[] Make(TpmClockInfo clock) =>
            SoftwareTpm.Attest(Ak.QualifiedNames[0].Span, Nonce, clock, Selection, PcrDigest(Selection, Pcrs));

        public QuoteVerdict Verify() => QuoteVerifier.Verify(Attest, Signature, Ak, Nonce, Pcrs);

        public void Dispose()
        {
            Ak.Dispose();
            Key.Dispose();
        }
    }
}
