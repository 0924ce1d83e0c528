using System.Diagnostics;
using System.Security.Cryptography;

namespace Attest.Nix.Tests.Support;

/// <summary>Runs the real Nix command-line tools (Debian's nix-bin) for cross-checks.</summary>
internal static class NixCli
{
    public const string NixCommand = "--extra-experimental-features";
    public const string NixCommandFeature = "nix-command";

    public static byte[] Run(string file, params string[] arguments)
    {
        using var process = Start(file, arguments);
        using var output = new MemoryStream();
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.BaseStream.CopyTo(output);
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{file} {string.Join(' ', arguments)} failed with exit code {process.ExitCode}: {stderr.Result}");
        }

        return output.ToArray();
    }

    public static string RunText(string file, params string[] arguments) =>
        System.Text.Encoding.UTF8.GetString(Run(file, arguments)).Trim();

    /// <summary>Runs a tool and returns SHA-256 and length of its standard output, without buffering it.</summary>
    public static (string Sha256Hex, long Length) HashOutput(string file, params string[] arguments)
    {
        using var process = Start(file, arguments);
        var stderr = process.StandardError.ReadToEndAsync();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        long length = 0;
        int read;
        while ((read = process.StandardOutput.BaseStream.Read(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            length += read;
        }

        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{file} {string.Join(' ', arguments)} failed with exit code {process.ExitCode}: {stderr.Result}");
        }

        return (Convert.ToHexStringLower(hash.GetHashAndReset()), length);
    }

    /// <summary>Runs a tool and returns its exit code and standard error, for expected failures.</summary>
    public static (int ExitCode, string StandardError) RunUnchecked(string file, params string[] arguments)
    {
        using var process = Start(file, arguments);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        _ = stdout.Result;
        return (process.ExitCode, stderr);
    }

    private static Process Start(string file, string[] arguments)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return Process.Start(info) ?? throw new InvalidOperationException($"Cannot start {file}.");
    }
}
