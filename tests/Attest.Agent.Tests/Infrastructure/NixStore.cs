using System.Security.Cryptography;

namespace Attest.Agent.Tests.Infrastructure;

/// <summary>Nix's own answers, to check the agent against.</summary>
internal static class NixStore
{
    /// <summary>
    /// SHA-256 (hex) and size of <c>nix-store --dump</c> of a path: the NAR hash by definition. <c>--dump</c> reads
    /// the file system path it is given (it ignores <c>--store</c>), so chroot store paths are passed physically.
    /// </summary>
    public static async Task<(string Sha256Hex, long Size)> DumpHashAsync(string storePath, string? chrootStore = null)
    {
        var start = new System.Diagnostics.ProcessStartInfo("nix-store") { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add("--dump");
        start.ArgumentList.Add((chrootStore ?? string.Empty) + storePath);
        using var process = System.Diagnostics.Process.Start(start)!;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[81920];
        long size = 0;
        int read;
        while ((read = await process.StandardOutput.BaseStream.ReadAsync(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            size += read;
        }

        await process.WaitForExitAsync();
        Assert.Equal(0, process.ExitCode);
        return (Convert.ToHexStringLower(hash.GetHashAndReset()), size);
    }
}
