namespace Attest.Tpm.Tests.Support;

/// <summary>The swtpm wire transcripts in Vectors/tpm-wire (see Vectors/tpm/README.md).</summary>
public static class WireVectors
{
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "Vectors", "tpm-wire");

    public static byte[] Hex(string name) => Convert.FromHexString(File.ReadAllText(Path.Combine(Directory, name)).Trim());

    public static byte[] Command(string step) => Hex(step + ".cmd.hex");

    public static byte[] Response(string step) => Hex(step + ".rsp.hex");

    public static byte[] Bin(string name) => File.ReadAllBytes(Path.Combine(Directory, name));

    public static string Text(string name) => File.ReadAllText(Path.Combine(Directory, name));

    public static IEnumerable<string> AllResponses() =>
        System.IO.Directory.EnumerateFiles(Directory, "*.rsp.hex").Select(f => Path.GetFileName(f)[..^".rsp.hex".Length]).Order();
}
