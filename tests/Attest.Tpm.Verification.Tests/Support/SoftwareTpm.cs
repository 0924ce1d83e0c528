using System.Security.Cryptography;
using Attest.Tpm.Marshalling;
using Attest.Tpm.Verification.Quotes;
using Attest.Tpm.Verification.Structures;

namespace Attest.Tpm.Verification.Tests.Support;

/// <summary>Makes TPM structures in software (keys, quotes) so tests can vary fields a real TPM would not.</summary>
internal static class SoftwareTpm
{
    public const uint AkAttributes = 0x00050072;

    public static byte[] EccPublic(ECDsa key, uint attributes = AkAttributes, ushort scheme = TpmAlgorithmId.EcDsa) =>
        EccPublic(key.ExportParameters(false), attributes, scheme, TpmAlgorithmId.Null);

    public static byte[] EccPublic(ECParameters p, uint attributes, ushort scheme, ushort symmetric)
    {
        var w = new TpmWriter().UInt16(TpmAlgorithmId.Ecc).UInt16(TpmAlgorithmId.Sha256).UInt32(attributes).Sized([]);
        if (symmetric == TpmAlgorithmId.Null)
        {
            w.UInt16(TpmAlgorithmId.Null);
        }
        else
        {
            w.UInt16(symmetric).UInt16(128).UInt16(TpmAlgorithmId.Cfb);
        }

        w.UInt16(scheme);
        if (scheme != TpmAlgorithmId.Null)
        {
            w.UInt16(TpmAlgorithmId.Sha256);
        }

        return w.UInt16(TpmAlgorithmId.CurveNistP256).UInt16(TpmAlgorithmId.Null).Sized(p.Q.X).Sized(p.Q.Y).ToArray();
    }

    public static byte[] RsaPublic(RSA key, uint attributes = AkAttributes, ushort scheme = TpmAlgorithmId.RsaSsa, ushort symmetric = TpmAlgorithmId.Null)
    {
        RSAParameters p = key.ExportParameters(false);
        var w = new TpmWriter().UInt16(TpmAlgorithmId.Rsa).UInt16(TpmAlgorithmId.Sha256).UInt32(attributes).Sized([]);
        if (symmetric == TpmAlgorithmId.Null)
        {
            w.UInt16(TpmAlgorithmId.Null);
        }
        else
        {
            w.UInt16(symmetric).UInt16(128).UInt16(TpmAlgorithmId.Cfb);
        }

        w.UInt16(scheme);
        if (scheme != TpmAlgorithmId.Null)
        {
            w.UInt16(TpmAlgorithmId.Sha256);
        }

        return w.UInt16((ushort)key.KeySize).UInt32(0).Sized(p.Modulus).ToArray();
    }

    public static byte[] Attest(
        ReadOnlySpan<byte> qualifiedSigner, ReadOnlySpan<byte> extraData, TpmClockInfo clock,
        PcrSelectionList selection, ReadOnlySpan<byte> pcrDigest, ushort type = TpmAttest.AttestQuoteTag, uint magic = TpmAttest.GeneratedMagic)
    {
        var w = new TpmWriter().UInt32(magic).UInt16(type).Sized(qualifiedSigner).Sized(extraData)
            .UInt64(clock.Clock).UInt32(clock.ResetCount).UInt32(clock.RestartCount).Byte(clock.Safe ? (byte)1 : (byte)0)
            .UInt64(0x2019102300163636);
        selection.WriteTo(w);
        return w.Sized(pcrDigest).ToArray();
    }

    public static byte[] PcrDigest(PcrSelectionList selection, PcrValueSet values)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach ((ushort bank, int index) in selection.Enumerate())
        {
            Assert.True(values.TryGet(bank, index, out ReadOnlyMemory<byte> v));
            h.AppendData(v.Span);
        }

        return h.GetHashAndReset();
    }

    public static byte[] SignEcdsa(ECDsa key, ReadOnlySpan<byte> attest)
    {
        byte[] rs = key.SignHash(SHA256.HashData(attest), DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return TpmSignature.EncodeEcdsa(TpmAlgorithmId.Sha256, rs.AsSpan(0, 32), rs.AsSpan(32));
    }

    public static PcrValueSet SamplePcrs(int seed)
    {
        var list = new List<PcrEntry>();
        for (int i = 0; i < 8; i++)
        {
            list.Add(new PcrEntry(TpmAlgorithmId.Sha256, i, SHA256.HashData([(byte)seed, (byte)i])));
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
            Selection = new PcrSelectionList([new PcrBankMask(TpmAlgorithmId.Sha256, 0xFF)]);
            Pcrs = pcrs ?? SamplePcrs(1);
            Clock = clock ?? new TpmClockInfo(1000, 2, 0, true);
            Attest = Make(Clock);
            Signature = SignEcdsa(Key, Attest);
        }

        public ECDsa Key { get; }

        public TpmPublic Public { get; }

        public AttestationKey Ak { get; }

        public byte[] Nonce { get; }

        public PcrSelectionList Selection { get; }

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
