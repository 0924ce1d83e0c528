using System.Security.Cryptography;
using System.Text;
using Attest.Nix;
using Attest.Provenance.Attestations;
using Attest.Provenance.Signing;
using Attest.Provenance.Statements;

namespace Attest.Verifier.Tests.Support;

/// <summary>Signed attestation documents for monitor and report tests.</summary>
internal static class Attestations
{
    public static StorePath Path(string name) =>
        StorePath.Create(SHA256.HashData(Encoding.UTF8.GetBytes(name)).AsSpan(0, StorePath.HashSize), name);

    public static NixHash Sha256(string data) => NixHash.ComputeSha256(Encoding.UTF8.GetBytes(data));

    /// <summary>A document by <paramref name="key"/> saying <paramref name="package"/>'s output has the NAR hash of <paramref name="content"/>.</summary>
    public static byte[] Document(IdentityKey key, string package, string content, DateTimeOffset? finishedOn = null)
    {
        var finished = finishedOn ?? new DateTimeOffset(2026, 11, 20, 10, 0, 0, TimeSpan.Zero);
        var statement = new NixProvenance
        {
            Derivation = Path(package + ".drv"),
            DerivationSha256 = Sha256(package + " drv"),
            Outputs = [new NixBuildOutput("out", Path(package), Sha256(content), 1024, [])],
            Environment = new NixBuildEnvironment("2.8.0", "x86_64-linux", "true", [], "Linux 6.12.48 x86_64", null, key.Name),
            BuilderId = NixProvenance.BuilderIdFor(key.Name),
            InvocationId = Guid.NewGuid().ToString(),
            StartedOn = finished.AddMinutes(-3),
            FinishedOn = finished,
        };
        return AttestationDocument.Serialize(statement.Sign(key));
    }

    public static string NarHashText(string content) => Sha256(content).ToString();
}
