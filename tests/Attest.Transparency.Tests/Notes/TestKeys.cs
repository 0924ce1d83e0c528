using Attest.Transparency.Cosignatures;
using Attest.Transparency.Notes;

namespace Attest.Transparency.Tests.Notes;

/// <summary>Deterministic keys for tests (seeds derived from a label) and a settable clock.</summary>
internal static class TestKeys
{
    public static Ed25519NoteSigner Log(string name = "log.example/test") => Ed25519NoteSigner.FromSeed(name, Seed(name));

    public static CosignatureSigner Witness(string name, ulong unixSeconds = 1_700_000_000) =>
        CosignatureSigner.FromSeed(name, Seed("witness:" + name), new FixedClock(unixSeconds));

    public static byte[] Seed(string label) => System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(label));
}

/// <summary>A clock that always reads the same time.</summary>
internal sealed class FixedClock(ulong unixSeconds) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => DateTimeOffset.FromUnixTimeSeconds((long)unixSeconds);
}
