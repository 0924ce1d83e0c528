using System.Security.Cryptography;
using System.Text;
using Attest.Nix;
using Attest.Provenance.Attestations;
using Attest.Provenance.Signing;
using Attest.Provenance.Statements;

namespace Attest.Provenance.Tests;

/// <summary>Deterministic, realistic test data.</summary>
internal static class Samples
{
    public static readonly byte[] BuilderSeed = SHA256.HashData("attest-sample-builder"u8);
    public static readonly byte[] AdminSeed = SHA256.HashData("attest-sample-admin"u8);

    public static StorePath Path(string name) =>
        StorePath.Create(SHA256.HashData(Encoding.UTF8.GetBytes(name)).AsSpan(0, StorePath.HashSize), name);

    public static NixHash Sha256(string data) => NixHash.ComputeSha256(Encoding.UTF8.GetBytes(data));

    public static IdentityKey Builder(string name = "hydra-01") => IdentityKey.FromSeed(name, BuilderSeed);

    public static IdentityKey Admin() => IdentityKey.FromSeed("log-admin", AdminSeed);

    /// <summary>A two-output build with references and inputs, about 3 KiB as an attestation document.</summary>
    public static NixProvenance Statement(string package = "hello-2.12.1") => new()
    {
        Derivation = Path(package + ".drv"),
        DerivationSha256 = Sha256(package + " drv"),
        Outputs =
        [
            new NixBuildOutput("out", Path(package), Sha256(package + " out"), 274_432,
                [Path("glibc-2.40-66"), Path(package), Path("gcc-14.2.1.20250322-lib")]),
            new NixBuildOutput("man", Path(package + "-man"), Sha256(package + " man"), 18_944, []),
        ],
        Environment = new NixBuildEnvironment(
            "2.8.0", "x86_64-linux", "true", ["https://cache.example.org", "https://nix-cache.internal.example"],
            "Linux 6.12.48+deb13-amd64 x86_64", null, "hydra-01"),
        Dependencies =
        [
            new NixDependency(NixDependencyKind.InputDerivation, Path("bash-5.2p37.drv")),
            new NixDependency(NixDependencyKind.InputDerivation, Path("stdenv-linux.drv")),
            new NixDependency(NixDependencyKind.InputDerivation, Path(package + ".tar.gz.drv")),
            new NixDependency(NixDependencyKind.InputSource, Path("default-builder.sh")),
        ],
        BuilderId = NixProvenance.BuilderIdFor("hydra-01"),
        InvocationId = "9b0b5f6e-3a47-4d43-8f77-0c9d1d2f6a10",
        StartedOn = new DateTimeOffset(2026, 11, 22, 17, 0, 0, TimeSpan.Zero),
        FinishedOn = new DateTimeOffset(2026, 11, 22, 17, 3, 27, TimeSpan.Zero),
    };

    public static byte[] Document(IdentityKey key, NixProvenance? statement = null, string? tpm = null) =>
        AttestationDocument.Serialize((statement ?? Statement()).Sign(key), tpm is null ? default : Encoding.UTF8.GetBytes(tpm));
}
