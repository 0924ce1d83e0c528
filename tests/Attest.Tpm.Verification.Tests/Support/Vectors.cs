namespace Attest.Tpm.Verification.Tests.Support;

/// <summary>Loads the tpm2-tools / swtpm vectors copied into Vectors/tpm (see its README).</summary>
internal static class Vectors
{
    public static byte[] Bytes(string relative) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Vectors", "tpm", relative));

    public static string Text(string relative) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Vectors", "tpm", relative));

    public static byte[] Nonce => Convert.FromHexString(Text("tpm2-tools/nonce.hex").Trim());
}
