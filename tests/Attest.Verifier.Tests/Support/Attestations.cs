using Attest.Nix;
using Attest.Provenance.Attestations;
using Attest.Provenance.Signing;
using Attest.Verifier.Tests.Verification;

namespace Attest.Verifier.Tests.Support;

/// <summary>
/// Signed attestation documents named by package and content, for monitor, report and gate tests: the store path,
/// hash and statement come from <see cref="TestAttestations"/>, with the build's finish time chosen by the test.
/// </summary>
internal static class Attestations
{
    public static StorePath Path(string name) => TestAttestations.Path(name);

    public static NixHash Sha256(string data) => TestAttestations.Hash(data);

    /// <summary>A document by <paramref name="key"/> saying <paramref name="package"/>'s output has the NAR hash of <paramref name="content"/>.</summary>
    public static byte[] Document(IdentityKey key, string package, string content, DateTimeOffset? finishedOn = null)
    {
        var finished = finishedOn ?? new DateTimeOffset(2026, 11, 20, 10, 0, 0, TimeSpan.Zero);
        var statement = TestAttestations.Statement(Path(package), Sha256(content), key.Name) with { StartedOn = finished.AddMinutes(-3), FinishedOn = finished };
        return AttestationDocument.Serialize(statement.Sign(key));
    }

    public static string NarHashText(string content) => Sha256(content).ToString();
}
