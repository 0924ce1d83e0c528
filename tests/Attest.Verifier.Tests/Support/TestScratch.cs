using Attest.Provenance.Signing;

namespace Attest.Verifier.Tests.Support;

/// <summary>What most log-backed tests start from: a fresh temp directory and two builder identities, alice and bob.</summary>
internal sealed class TestScratch : IDisposable
{
    public TestScratch(string prefix) => Temp = new TempDirectory(prefix);

    public TempDirectory Temp { get; }

    public IdentityKey Alice { get; } = IdentityKey.Generate("alice");

    public IdentityKey Bob { get; } = IdentityKey.Generate("bob");

    public void Dispose()
    {
        Alice.Dispose();
        Bob.Dispose();
        Temp.Dispose();
    }
}
