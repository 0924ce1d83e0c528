using Attest.Tpm.Internal;
using Attest.Tpm.Keys;
using Attest.Tpm.Marshalling;
using Attest.Tpm.Structures;
using Attest.Tpm.Tests.Support;

namespace Attest.Tpm.Tests;

/// <summary>Our command bytes equal swtpm's recorded transcript; our parsers read every recorded response.</summary>
public sealed class WireVectorTests
{
    private static readonly byte[] QuoteNonce = WireVectors.Bin("quote2.nonce.bin");
    private static readonly PcrSelection Sha256Pcrs0To7 = PcrSelection.Sha256(0, 1, 2, 3, 4, 5, 6, 7);

    public static TheoryData<string> DeterministicCommands => new()
    {
        "01_Startup", "02_GetCapability", "03_GetCapability", "04_NV_ReadPublic", "05_NV_Read", "06_PCR_Extend",
        "07_PCR_Read", "08_CreatePrimary", "09_CreatePrimary", "10_ReadPublic", "11_StartAuthSession",
        "12_PolicySecret", "13_ActivateCredential", "14_Quote", "15_FlushContext", "16_FlushContext",
        "17_CreatePrimary", "18_Quote", "19_FlushContext",
    };

    public static TheoryData<string> Responses => [.. WireVectors.AllResponses()];

    [Theory]
    [MemberData(nameof(DeterministicCommands))]
    public void Encode_RecordedCommand_BytesEqualTranscript(string step)
    {
        byte[] recorded = WireVectors.Command(step);

        byte[] ours = Encode(step, recorded);

        Assert.Equal(Convert.ToHexString(recorded), Convert.ToHexString(ours));
    }

    [Theory]
    [MemberData(nameof(Responses))]
    public void Decode_RecordedResponse_ParsesCompletely(string step)
    {
        byte[] response = WireVectors.Response(step);

        Decode(step, response);
    }

    [Fact]
    public void Decode_GetCapabilityPcrs_ReadsFourBanks()
    {
        ReadOnlySpan<byte> p = Parameters("02_GetCapability", TpmCommandCode.GetCapability, 0, 0, out _);

        (bool more, PcrSelection banks) = TpmCommands.DecodeCapabilityPcrs(p);

        Assert.False(more);
        Assert.Equal([TpmAlgorithm.Sha1, TpmAlgorithm.Sha256, TpmAlgorithm.Sha384, TpmAlgorithm.Sha512], banks.Banks.Select(b => b.Hash));
        Assert.Equal(24, banks.Banks[1].Pcrs.Count);
        Assert.Empty(banks.Banks[2].Pcrs);
    }

    [Fact]
    public void Decode_GetCapabilityNvBufferMax_Is1024()
    {
        ReadOnlySpan<byte> p = Parameters("03_GetCapability", TpmCommandCode.GetCapability, 0, 0, out _);

        (bool more, IReadOnlyList<TpmTaggedProperty> props) = TpmCommands.DecodeCapabilityProperties(p);

        Assert.True(more);
        Assert.Equal(new TpmTaggedProperty(TpmProperty.NvBufferMax, 1024), Assert.Single(props));
    }

    [Fact]
    public void Decode_NvReadPublicAndNvRead_EkCertificateOf1016Bytes()
    {
        NvPublic pub = TpmCommands.DecodeNvReadPublic(Parameters("04_NV_ReadPublic", TpmCommandCode.NvReadPublic, 0, 0, out _));
        byte[] cert = TpmCommands.DecodeNvRead(Parameters("05_NV_Read", TpmCommandCode.NvRead, 0, 1, out _), 1016);

        Assert.Equal(TpmHandles.EkCertificateRsa2048, pub.Index);
        Assert.Equal(1016, pub.DataSize);
        Assert.Equal(TpmAlgorithm.Sha256, pub.NameAlg);
        Assert.Equal(0x30, cert[0]);
        Assert.Equal(1016, cert.Length);
    }

    [Fact]
    public void Decode_NvReadOfDifferentSizeThanRequested_Throws()
    {
        byte[] response = WireVectors.Response("05_NV_Read");
        Range p = TpmFraming.Response(response, TpmCommandCode.NvRead, 0, 1, out _);

        Assert.Throws<TpmFormatException>(() => TpmCommands.DecodeNvRead(response.AsSpan(p), 1024));
    }

    [Fact]
    public void Decode_CreatePrimaryEk_PublicMatchesTemplateAndName()
    {
        CreatePrimaryResponse ek = TpmCommands.DecodeCreatePrimary(0x8000_0000, Parameters("08_CreatePrimary", TpmCommandCode.CreatePrimary, 1, 1, out uint handle));

        TpmPublic area = ek.PublicArea;
        Assert.Equal(0x8000_0000u, handle);
        Assert.Equal(TpmTemplates.EkAttributes, area.Attributes);
        Assert.Equal(TpmTemplates.EkPolicySha256.ToArray(), area.AuthPolicy.ToArray());
        Assert.Equal(256, area.RsaModulus.Length);
        Assert.Equal(WireVectors.Bin("ek_rsa_primary.tpmt_public.bin"), area.Encoded.ToArray());
        Assert.Equal(TpmPublic.ParseSized(ek.Public.Span).Encoded.ToArray(), area.Encoded.ToArray());
        Assert.Equal(area.ComputeName(), ek.Name.ToArray());
    }

    [Theory]
    [InlineData("09_CreatePrimary", "ak_rsa_primary.tpmt_public.bin")]
    [InlineData("17_CreatePrimary", "ak_ecc_primary.tpmt_public.bin")]
    public void Decode_CreatePrimaryAk_PublicEqualsRecordedTpmtPublic(string step, string publicFile)
    {
        CreatePrimaryResponse ak = TpmCommands.DecodeCreatePrimary(0, Parameters(step, TpmCommandCode.CreatePrimary, 1, 1, out _));

        TpmPublic area = ak.PublicArea;
        Assert.Equal(WireVectors.Bin(publicFile), area.Encoded.ToArray());
        Assert.Equal(TpmTemplates.AkAttributes, area.Attributes);
    }

    [Fact]
    public void Decode_ReadPublic_PemEqualsRecordedKey()
    {
        ReadPublicResponse rp = TpmCommands.DecodeReadPublic(Parameters("10_ReadPublic", TpmCommandCode.ReadPublic, 0, 0, out _));

        TpmPublic area = rp.PublicArea;
        Assert.Equal(File.ReadAllText(Path.Combine(WireVectors.Directory, "ak_rsa_primary.pem")).Trim(), area.ExportSubjectPublicKeyInfoPem().Trim());
        Assert.Equal(34, rp.QualifiedName.Length);
    }

    [Fact]
    public void Decode_StartAuthSessionAndPolicySecret_ReadHandleNonceAndTicket()
    {
        StartAuthSessionResponse s = TpmCommands.DecodeStartAuthSession(0, Parameters("11_StartAuthSession", TpmCommandCode.StartAuthSession, 1, 0, out uint handle));
        PolicySecretResponse ps = TpmCommands.DecodePolicySecret(Parameters("12_PolicySecret", TpmCommandCode.PolicySecret, 0, 1, out _));

        Assert.Equal(0x0300_0000u, handle);
        Assert.Equal(32, s.NonceTpm.Length);
        Assert.Equal(0x8023, ps.TicketTag);
        Assert.Equal(TpmHandles.Null, ps.TicketHierarchy);
        Assert.Equal(0, ps.Timeout.Length);
    }

    [Fact]
    public void Decode_ActivateCredential_Returns32ByteSecret()
    {
        byte[] secret = TpmCommands.DecodeActivateCredential(Parameters("13_ActivateCredential", TpmCommandCode.ActivateCredential, 0, 2, out _));

        Assert.Equal("3CE0A471694D90E02B6730F9EB87500E265A2F06730CFD8C34BCA935C362936D", Convert.ToHexString(secret));
    }

    [Fact]
    public void Decode_Quote_AttestAndSignatureEqualRecordedParts()
    {
        QuoteResponse q = TpmCommands.DecodeQuote(Parameters("14_Quote", TpmCommandCode.Quote, 0, 1, out _));

        Assert.Equal(WireVectors.Bin("quote2.attest.bin"), q.Attest.ToArray());
        Assert.Equal(WireVectors.Bin("quote2.tpmt_signature.bin"), q.Signature.ToArray());
    }

    [Fact]
    public void Decode_EcdsaQuote_SignatureHasRAndS()
    {
        QuoteResponse q = TpmCommands.DecodeQuote(Parameters("18_Quote", TpmCommandCode.Quote, 0, 1, out _));

        var r = new TpmReader(q.Signature.Span);
        Assert.Equal((ushort)TpmAlgorithm.EcDsa, r.ReadUInt16("sigAlg"));
        Assert.Equal((ushort)TpmAlgorithm.Sha256, r.ReadUInt16("hash"));
        Assert.Equal(32, r.ReadSized("r", 66).Length);
        Assert.Equal(32, r.ReadSized("s", 66).Length);
        r.EnsureEnd("signature");
    }

    private static ReadOnlySpan<byte> Parameters(string step, TpmCommandCode code, int handles, int sessions, out uint handle)
    {
        byte[] response = WireVectors.Response(step);
        Range range = TpmFraming.Response(response, code, handles, sessions, out handle);
        return response.AsSpan(range);
    }

    private static byte[] Encode(string step, byte[] recorded) => step switch
    {
        "01_Startup" => TpmCommands.Startup(TpmStartupType.Clear),
        "02_GetCapability" => TpmCommands.GetCapability(TpmCapability.Pcrs, 0, 1),
        "03_GetCapability" => TpmCommands.GetCapability(TpmCapability.TpmProperties, (uint)TpmProperty.NvBufferMax, 1),
        "04_NV_ReadPublic" => TpmCommands.NvReadPublic(TpmHandles.EkCertificateRsa2048),
        "05_NV_Read" => TpmCommands.NvRead(TpmHandles.Owner, TpmHandles.EkCertificateRsa2048, TpmAuth.EmptyPassword, 1016, 0),
        "06_PCR_Extend" => TpmCommands.PcrExtend(16, TpmAuth.EmptyPassword, [(TpmAlgorithm.Sha256, recorded[^32..])]),
        "07_PCR_Read" => TpmCommands.PcrRead(Sha256Pcrs0To7),
        "08_CreatePrimary" => TpmCommands.CreatePrimary(TpmHandles.Endorsement, TpmAuth.EmptyPassword, TpmTemplates.EkRsa2048(), []),
        "09_CreatePrimary" => TpmCommands.CreatePrimary(TpmHandles.Owner, TpmAuth.EmptyPassword, TpmTemplates.AkRsaSsa2048(), []),
        "10_ReadPublic" => TpmCommands.ReadPublic(0x8000_0001),
        // nonceCaller is random: take the recorded one (after header and two handles, a 2-byte size).
        "11_StartAuthSession" => TpmCommands.StartPolicySession(recorded.AsSpan(20, 32), TpmAlgorithm.Sha256),
        "12_PolicySecret" => TpmCommands.PolicySecret(TpmHandles.Endorsement, 0x0300_0000, TpmAuth.EmptyPassword),
        "13_ActivateCredential" => EncodeActivateCredential(recorded),
        "14_Quote" => TpmCommands.Quote(0x8000_0001, TpmAuth.EmptyPassword, QuoteNonce, Sha256Pcrs0To7),
        "15_FlushContext" => TpmCommands.FlushContext(0x8000_0001),
        "16_FlushContext" or "19_FlushContext" => TpmCommands.FlushContext(0x8000_0000),
        "17_CreatePrimary" => TpmCommands.CreatePrimary(TpmHandles.Owner, TpmAuth.EmptyPassword, TpmTemplates.AkEcdsaP256(), []),
        "18_Quote" => TpmCommands.Quote(0x8000_0000, TpmAuth.EmptyPassword, QuoteNonce, Sha256Pcrs0To7),
        _ => throw new ArgumentException(step),
    };

    private static byte[] EncodeActivateCredential(byte[] recorded)
    {
        // The credential was made in software with random seeds; take its blob and secret from the transcript's
        // parameter area (header 10, two handles 8, authorizationSize 4 + 18) and re-encode everything around them.
        var r = new TpmReader(recorded.AsSpan(10 + 8 + 4 + 18));
        byte[] blob = r.ReadSized("credentialBlob", 1024).ToArray();
        byte[] secret = r.ReadSized("secret", 1024).ToArray();
        r.EnsureEnd("ActivateCredential");
        return TpmCommands.ActivateCredential(0x8000_0001, 0x8000_0000, TpmAuth.EmptyPassword, TpmAuth.PolicySession(0x0300_0000), blob, secret);
    }

    private static void Decode(string step, byte[] response)
    {
        string command = step[3..];
        switch (command)
        {
            case "Startup":
                // swtpm had already been started: the recorded answer is the 10-byte TPM_RC_INITIALIZE error.
                Assert.Equal(TpmResponseCode.Initialize, Assert.Throws<TpmException>(() => TpmFraming.Response(response, TpmCommandCode.Startup, 0, 0, out _)).ResponseCode.Value);
                break;
            case "GetCapability":
                {
                    Range p = TpmFraming.Response(response, TpmCommandCode.GetCapability, 0, 0, out _);
                    if (step == "02_GetCapability")
                    {
                        TpmCommands.DecodeCapabilityPcrs(response.AsSpan(p));
                    }
                    else
                    {
                        TpmCommands.DecodeCapabilityProperties(response.AsSpan(p));
                    }

                    break;
                }

            case "NV_ReadPublic":
                TpmCommands.DecodeNvReadPublic(response.AsSpan(TpmFraming.Response(response, TpmCommandCode.NvReadPublic, 0, 0, out _)));
                break;
            case "NV_Read":
                TpmCommands.DecodeNvRead(response.AsSpan(TpmFraming.Response(response, TpmCommandCode.NvRead, 0, 1, out _)), 1016);
                break;
            case "PCR_Extend":
                TpmCommands.DecodeEmpty(response.AsSpan(TpmFraming.Response(response, TpmCommandCode.PcrExtend, 0, 1, out _)), TpmCommandCode.PcrExtend);
                break;
            case "PCR_Read":
                Assert.Equal(8, TpmCommands.DecodePcrRead(response.AsSpan(TpmFraming.Response(response, TpmCommandCode.PcrRead, 0, 0, out _))).Digests.Count);
                break;
            case "CreatePrimary":
                {
                    Range p = TpmFraming.Response(response, TpmCommandCode.CreatePrimary, 1, 1, out uint handle);
                    TpmCommands.DecodeCreatePrimary(handle, response.AsSpan(p));
                    break;
                }

            case "ReadPublic":
                TpmCommands.DecodeReadPublic(response.AsSpan(TpmFraming.Response(response, TpmCommandCode.ReadPublic, 0, 0, out _)));
                break;
            case "StartAuthSession":
                {
                    Range p = TpmFraming.Response(response, TpmCommandCode.StartAuthSession, 1, 0, out uint handle);
                    TpmCommands.DecodeStartAuthSession(handle, response.AsSpan(p));
                    break;
                }

            case "PolicySecret":
                TpmCommands.DecodePolicySecret(response.AsSpan(TpmFraming.Response(response, TpmCommandCode.PolicySecret, 0, 1, out _)));
                break;
            case "ActivateCredential":
                TpmCommands.DecodeActivateCredential(response.AsSpan(TpmFraming.Response(response, TpmCommandCode.ActivateCredential, 0, 2, out _)));
                break;
            case "Quote":
                QuoteInfoCheck(TpmCommands.DecodeQuote(response.AsSpan(TpmFraming.Response(response, TpmCommandCode.Quote, 0, 1, out _))));
                break;
            case "FlushContext":
                TpmCommands.DecodeEmpty(response.AsSpan(TpmFraming.Response(response, TpmCommandCode.FlushContext, 0, 0, out _)), TpmCommandCode.FlushContext);
                break;
            default:
                throw new ArgumentException(step);
        }
    }

    private static void QuoteInfoCheck(QuoteResponse quote)
    {
        TpmAttest info = quote.ParsedAttest;
        Assert.Equal(QuoteNonce, info.ExtraData.ToArray());
        Assert.Equal(Sha256Pcrs0To7, info.PcrSelect);
        Assert.Equal(TpmAttest.Parse(quote.Attest.Span).PcrDigest.ToArray(), info.PcrDigest.ToArray());
        Assert.Equal(TpmAlgorithm.Sha256, quote.ParsedSignature.HashAlg);
    }
}
