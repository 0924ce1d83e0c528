using Attest.Provenance.Attestations;
using Attest.Provenance.Json;
using Attest.Provenance.Registry;
using Attest.Provenance.Signing;
using Attest.Provenance.Statements;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Attest.Provenance.Tests;

/// <summary>Every parser of outside bytes, fed arbitrary input: a documented error or a value, never an exception.</summary>
public sealed class ParserRobustnessTests
{
    private static readonly IdentityPublicKey AdminKey = IdentityKey.FromSeed("log-admin", Samples.AdminSeed).PublicKey;

    private static Arbitrary<byte[]> JsonishBytes { get; } = Gen.OneOf(
            ArbMap.Default.GeneratorFor<byte[]>(),
            ArbMap.Default.GeneratorFor<string>().Where(s => s is not null).Select(s => System.Text.Encoding.UTF8.GetBytes("{\"dsse\":" + s + "}")),
            Gen.Elements("{", "}", "[", "]", "\"", ":", ",", "1", "e", "-", "null", "\"dsse\"", "\"payload\"", "\"\\u", "true")
                .ListOf().Select(parts => System.Text.Encoding.UTF8.GetBytes(string.Concat(parts))))
        .ToArbitrary();

    [Property(MaxTest = 500)]
    public Property JsonCanonicalizer_ArbitraryBytes_ReturnsValueOrDocumentedError() =>
        Prop.ForAll(JsonishBytes, bytes =>
            JsonCanonicalizer.TryCanonicalize(bytes, out var canonical, out var error)
                ? JsonCanonicalizer.IsCanonical(canonical)
                : Enum.IsDefined(error.Code));

    [Property(MaxTest = 500)]
    public Property DsseEnvelope_ArbitraryBytes_ReturnsValueOrDocumentedError() =>
        Prop.ForAll(JsonishBytes, bytes =>
            DsseEnvelope.TryParse(bytes, out var envelope, out var error) ? envelope.Signatures.Count > 0 : Enum.IsDefined(error.Code));

    [Property(MaxTest = 500)]
    public Property NixProvenance_ArbitraryBytes_ReturnsValueOrDocumentedError() =>
        Prop.ForAll(JsonishBytes, bytes =>
            NixProvenance.TryParseStatement(bytes, out var statement, out var error) ? statement.Outputs.Count > 0 : Enum.IsDefined(error.Code));

    [Property(MaxTest = 500)]
    public Property RegistryChange_ArbitraryBytes_ReturnsValueOrDocumentedError() =>
        Prop.ForAll(JsonishBytes, bytes =>
            !RegistryChange.TryParseLogEntry(bytes, AdminKey, out _, out var error) && Enum.IsDefined(error.Code));

    [Property(MaxTest = 500)]
    public Property AttestationDocument_ArbitraryBytes_ReturnsValueOrDocumentedError() =>
        Prop.ForAll(JsonishBytes, bytes =>
            !AttestationDocument.TryParse(bytes, out _, out var error) && Enum.IsDefined(error.Code) && error.Status is 400 or 413);

    [Theory]
    [InlineData(0, 1, 1, 1, 1)]
    [InlineData(1, 0, 1, 1, 1)]
    [InlineData(1, 1, 0, 1, 1)]
    [InlineData(1, 1, 257, 1, 1)]
    [InlineData(1, 1, 1, 0, 1)]
    [InlineData(1, 1, 1, 1, -1)]
    public void TryCanonicalize_InvalidOptions_Throws(int input, int output, int depth, int elements, int values)
    {
        var options = new JsonCanonicalizationOptions
        {
            MaxInputBytes = input,
            MaxOutputBytes = output,
            MaxDepth = depth,
            MaxContainerElements = elements,
            MaxTotalValues = values,
        };
        Assert.Throws<ArgumentOutOfRangeException>(() => JsonCanonicalizer.TryCanonicalize("1"u8, out _, out _, options));
    }

    [Fact]
    public void AttestationOptions_NonPositiveLimit_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new AttestationOptions { MaxEntryBytes = 0 });
}
