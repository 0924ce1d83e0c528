using System.Text;
using Attest.Provenance.Signing;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Attest.Provenance.Tests.Signing;

public sealed class DsseEnvelopeTests
{
    private static readonly byte[] Seed = Convert.FromHexString("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");

    [Fact]
    public void Pae_DsseProtocolExample_MatchesSpec()
    {
        // DSSE protocol.md test case: type http://example.com/HelloWorld, body "hello world".
        var pae = DssePae.Encode("http://example.com/HelloWorld", "hello world"u8);
        Assert.Equal("DSSEv1 29 http://example.com/HelloWorld 11 hello world", Encoding.UTF8.GetString(pae));
    }

    [Theory]
    [InlineData("", 0, "DSSEv1 0  0 ")]
    [InlineData("t", 9, "DSSEv1 1 t 9 xxxxxxxxx")]
    [InlineData("\u00e9", 10, "DSSEv1 2 \u00e9 10 xxxxxxxxxx")]
    public void Pae_LengthsAreByteCounts(string type, int payloadLength, string expected)
    {
        var payload = Enumerable.Repeat((byte)'x', payloadLength).ToArray();
        Assert.Equal(expected, Encoding.UTF8.GetString(DssePae.Encode(type, payload)));
        Assert.Equal(Encoding.UTF8.GetByteCount(expected), DssePae.GetLength(type, payloadLength));
        Assert.False(DssePae.TryEncode(type, payload, new byte[DssePae.GetLength(type, payloadLength) - 1], out var written));
        Assert.Equal(0, written);
    }

    [Fact]
    public void Sign_ThenParse_RoundTripsAndVerifies()
    {
        using var key = IdentityKey.FromSeed("b", Seed);
        var envelope = DsseEnvelope.Sign("application/vnd.in-toto+json", "{\"a\":1}"u8, key);
        var json = envelope.ToCanonicalJson();
        var parsed = DsseEnvelope.Parse(json);
        Assert.Equal("application/vnd.in-toto+json", parsed.PayloadType);
        Assert.Equal("{\"a\":1}"u8.ToArray(), parsed.Payload.ToArray());
        Assert.Single(parsed.Signatures);
        Assert.Equal(key.KeyId, parsed.Signatures[0].KeyId);
        Assert.True(parsed.IsSignedBy(key.PublicKey));
        Assert.Equal(json, parsed.ToCanonicalJson());
        Assert.StartsWith(
            "{\"payload\":\"eyJhIjoxfQ==\",\"payloadType\":\"application/vnd.in-toto+json\",\"signatures\":[{\"keyid\":\"" + key.KeyId + "\",\"sig\":\"",
            Encoding.UTF8.GetString(json),
            StringComparison.Ordinal);
    }

    [Fact]
    public void IsSignedBy_TamperedPayloadTypeOrSignature_False()
    {
        using var key = IdentityKey.FromSeed("b", Seed);
        using var other = IdentityKey.Generate("o");
        var envelope = DsseEnvelope.Sign("application/vnd.in-toto+json", "payload"u8, key);
        var signature = envelope.Signatures[0];
        Assert.True(envelope.IsSignedBy(key.PublicKey));
        Assert.False(envelope.IsSignedBy(other.PublicKey));
        Assert.False(new DsseEnvelope("application/vnd.in-toto+json", "payloaD"u8, [signature]).IsSignedBy(key.PublicKey));
        Assert.False(new DsseEnvelope("application/vnd.in-toto+jsoN", "payload"u8, [signature]).IsSignedBy(key.PublicKey));
        var bad = signature.Signature.ToArray();
        bad[10] ^= 4;
        Assert.False(new DsseEnvelope("application/vnd.in-toto+json", "payload"u8, [signature with { Signature = bad }]).IsSignedBy(key.PublicKey));
        Assert.False(new DsseEnvelope("application/vnd.in-toto+json", "payload"u8, [signature with { KeyId = other.KeyId }]).IsSignedBy(key.PublicKey));
        Assert.True(new DsseEnvelope("application/vnd.in-toto+json", "payload"u8, [signature with { KeyId = "" }]).IsSignedBy(key.PublicKey));
    }

    [Theory]
    [InlineData("[]", "$", DocumentErrorCode.NotDsseEnvelope)]
    [InlineData("{\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"AA==\"}]}", "$.payload", DocumentErrorCode.NotDsseEnvelope)]
    [InlineData("{\"payload\":\"\",\"signatures\":[{\"sig\":\"AA==\"}]}", "$.payloadType", DocumentErrorCode.NotDsseEnvelope)]
    [InlineData("{\"payload\":\"\",\"payloadType\":\"t\"}", "$.signatures", DocumentErrorCode.NotDsseEnvelope)]
    [InlineData("{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[]}", "$.signatures", DocumentErrorCode.NotDsseEnvelope)]
    [InlineData("{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[{}]}", "$.signatures[0].sig", DocumentErrorCode.NotDsseEnvelope)]
    [InlineData("{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"\"}]}", "$.signatures[0].sig", DocumentErrorCode.NotDsseEnvelope)]
    [InlineData("{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"AA==\",\"keyid\":5}]}", "$.signatures[0].keyid", DocumentErrorCode.NotDsseEnvelope)]
    [InlineData("{\"payload\":\"a-_b\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"AA==\"}]}", "$.payload", DocumentErrorCode.NotDsseEnvelope)]
    [InlineData("{\"payload\":\"AB==\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"AA==\"}]}", "$.payload", DocumentErrorCode.NotDsseEnvelope)]
    [InlineData("{\"payload\":\"AA\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"AA==\"}]}", "$.payload", DocumentErrorCode.NotDsseEnvelope)]
    [InlineData("{\"payload\":\"AA==\\n\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"AA==\"}]}", "$.payload", DocumentErrorCode.NotDsseEnvelope)]
    [InlineData("{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"AA==\"}],\"x\":1}", "$.x", DocumentErrorCode.NotDsseEnvelope)]
    [InlineData("{\"payload\":\"\",\"payload\":\"\"}", "$.payload", DocumentErrorCode.MalformedJson)]
    [InlineData("{\"payload\":", "$.payload", DocumentErrorCode.MalformedJson)]
    public void TryParse_Invalid_ReportsFieldAndCode(string json, string path, DocumentErrorCode code)
    {
        Assert.False(DsseEnvelope.TryParse(Encoding.UTF8.GetBytes(json), out var envelope, out var error));
        Assert.Null(envelope);
        Assert.Equal(code, error!.Code);
        Assert.Equal(path, error.Path);
        Assert.Equal(400, error.Status);
    }

    [Fact]
    public void TryParse_TooManySignatures_Fails()
    {
        var signatures = string.Join(',', Enumerable.Repeat("{\"sig\":\"AA==\"}", DsseEnvelope.MaxSignatures + 1));
        var json = "{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[" + signatures + "]}";
        Assert.False(DsseEnvelope.TryParse(Encoding.UTF8.GetBytes(json), out _, out var error));
        Assert.Equal("$.signatures", error!.Path);
    }

    [Fact]
    public void Parse_Invalid_ThrowsDocumentException()
    {
        var ex = Assert.Throws<DocumentException>(() => DsseEnvelope.Parse("{}"u8));
        Assert.Equal(DocumentErrorCode.NotDsseEnvelope, ex.Error.Code);
    }

    [Fact]
    public void TryParse_MutatedEnvelopes_OnlyDocumentedErrors()
    {
        using var key = IdentityKey.FromSeed("b", Seed);
        var json = DsseEnvelope.Sign("application/vnd.in-toto+json", "{\"_type\":\"x\"}"u8, key).ToCanonicalJson();
        var random = new Random(1);
        for (var i = 0; i < 3000; i++)
        {
            var mutated = Fuzz.Mutate(json, random);
            if (DsseEnvelope.TryParse(mutated, out var envelope, out var error))
            {
                Assert.NotNull(envelope);
                _ = envelope.IsSignedBy(key.PublicKey);
            }
            else
            {
                Assert.True(Enum.IsDefined(error!.Code));
                Assert.Contains(error.Status, new[] { 400, 413 });
            }
        }
    }

    [Property(MaxTest = 100)]
    public Property SignParse_AnyPayload_RoundTrips() =>
        Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), ArbMap.Default.ArbFor<string>(), (payload, type) =>
        {
            type ??= string.Empty;
            if (type.Length > DsseEnvelope.MaxPayloadTypeLength || type.Any(char.IsSurrogate))
            {
                return true;
            }

            using var key = IdentityKey.FromSeed("b", Seed);
            var parsed = DsseEnvelope.Parse(DsseEnvelope.Sign(type, payload, key).ToCanonicalJson());
            return parsed.PayloadType == type && parsed.Payload.Span.SequenceEqual(payload) && parsed.IsSignedBy(key.PublicKey);
        });
}
