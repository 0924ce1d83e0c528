using Attest.Tpm.Tests.Support;
using Attest.Tpm.Verification.Enrollment;
using Attest.Tpm.Verification.Quotes;

namespace Attest.Tpm.Verification.Tests.Quotes;

public sealed class AttestationKeyCacheTests
{
    private static AkBinding Binding(string kind) => new(
        TpmVectors.Bytes($"tpm2-tools/ak_{kind}.name"), TpmVectors.Bytes($"tpm2-tools/ak_{kind}.pub"), TpmVectors.Bytes("ek/ek_rsa.name"), "fp", "builder", DateTimeOffset.UnixEpoch);

    [Fact]
    public void GetOrCreate_SameAkTwice_ReturnsSameImportedKeyThatVerifiesQuote()
    {
        using var cache = new AttestationKeyCache();

        AttestationKey first = cache.GetOrCreate(Binding("ecc"));
        AttestationKey second = cache.GetOrCreate(Binding("ecc"));

        Assert.Same(first, second);
        Assert.True(QuoteVerifier.Verify(TpmVectors.Bytes("tpm2-tools/quote_ecc.msg"), TpmVectors.Bytes("tpm2-tools/quote_ecc.sig"), first, TpmVectors.Nonce,
            PcrValueSet.FromConcatenated(TpmAlgorithm.Sha256, 0, TpmVectors.Bytes("tpm2-tools/pcrs_sha256_0-7.bin"))).IsValid);
    }

    [Fact]
    public void GetOrCreate_BindingNameDisagreesWithPublic_Throws()
    {
        using var cache = new AttestationKeyCache();
        AkBinding wrong = Binding("ecc") with { AkName = TpmVectors.Bytes("tpm2-tools/ak_rsa.name") };

        Assert.Throws<ArgumentException>(() => cache.GetOrCreate(wrong));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void GetOrCreate_OverCapacity_StaysBounded()
    {
        using var cache = new AttestationKeyCache(capacity: 1);

        cache.GetOrCreate(Binding("ecc"));
        cache.GetOrCreate(Binding("rsa"));

        Assert.Equal(1, cache.Count);
        Assert.True(cache.Remove(TpmVectors.Bytes("tpm2-tools/ak_rsa.name")));
    }
}
