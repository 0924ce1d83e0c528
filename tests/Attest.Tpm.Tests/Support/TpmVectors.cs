namespace Attest.Tpm.Tests.Support;

/// <summary>The tpm2-tools quotes and swtpm EK material in Vectors/tpm (see its README).</summary>
public static class TpmVectors
{
    public static byte[] Bytes(string relative) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Vectors", "tpm", relative));

    public static string Text(string relative) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Vectors", "tpm", relative));

    /// <summary>The qualifying data of the tpm2-tools quotes: SHA-256 of statement.json.</summary>
    public static byte[] Nonce => Convert.FromHexString(Text("tpm2-tools/nonce.hex").Trim());
}
