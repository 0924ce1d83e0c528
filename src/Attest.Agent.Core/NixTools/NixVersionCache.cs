using System.Globalization;
using System.Text.Json;
using Attest.Agent.Core.Internal;

namespace Attest.Agent.Core.NixTools;

/// <summary>
/// The Nix version, cached in the agent's state directory so the post-build hook does not start <c>nix --version</c>
/// for every build. The cache is keyed by the identity of the <c>nix</c> binary (its resolved file, size and
/// modification time): an upgrade replaces the file and so invalidates the entry.
/// </summary>
public static class NixVersionCache
{
    /// <summary>The cache file in the state directory.</summary>
    public const string FileName = "nix-version.json";

    private const int MaxFileBytes = 4096;

    /// <summary>The Nix version: from the cache when the binary is unchanged, else from <c>nix --version</c> (then cached).</summary>
    /// <param name="nix">The Nix runner.</param>
    /// <param name="stateDirectory">Directory of the cache file (the spool directory); it must exist for the cache to be written.</param>
    /// <param name="cancellationToken">Kills <c>nix --version</c>.</param>
    /// <returns>The version, e.g. <c>2.8.0</c>.</returns>
    /// <exception cref="NixCommandException"><c>nix --version</c> failed.</exception>
    public static async Task<string> GetVersionAsync(NixCli nix, string stateDirectory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(nix);
        ArgumentException.ThrowIfNullOrEmpty(stateDirectory);
        var key = BinaryIdentity(nix);
        if (key is not null && TryRead(stateDirectory, key) is { } cached)
        {
            return cached;
        }

        var version = await nix.GetVersionAsync(cancellationToken);
        if (key is not null)
        {
            TryWrite(stateDirectory, key, version);
        }

        return version;
    }

    /// <summary>The identity of the <c>nix</c> binary the runner would start, or null when it cannot be resolved.</summary>
    /// <param name="nix">The runner.</param>
    /// <returns>"file size mtime-ticks" of the final target of the resolved binary.</returns>
    internal static string? BinaryIdentity(NixCli nix)
    {
        try
        {
            if (nix.ResolveTool("nix") is not { } file)
            {
                return null;
            }

            var info = new FileInfo(file);
            var target = info.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? info;
            return target.Exists
                ? string.Create(CultureInfo.InvariantCulture, $"{target.FullName} {target.Length} {target.LastWriteTimeUtc.Ticks}")
                : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string? TryRead(string stateDirectory, string key)
    {
        try
        {
            var file = new FileInfo(Path.Combine(stateDirectory, FileName));
            if (!file.Exists || file.Length > MaxFileBytes)
            {
                return null;
            }

            using var json = JsonDocument.Parse(File.ReadAllBytes(file.FullName));
            var root = json.RootElement;
            return root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("binary", out var binary) && binary.ValueKind == JsonValueKind.String
                && string.Equals(binary.GetString(), key, StringComparison.Ordinal)
                && root.TryGetProperty("version", out var version) && version.GetString() is { Length: > 0 } text
                ? text
                : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or InvalidOperationException)
        {
            // A damaged cache is only a miss.
            return null;
        }
    }

    private static void TryWrite(string stateDirectory, string key, string version)
    {
        try
        {
            if (!Directory.Exists(stateDirectory))
            {
                return;
            }

            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                writer.WriteString("binary", key);
                writer.WriteString("version", version);
                writer.WriteEndObject();
            }

            PosixFile.WriteAtomically(stateDirectory, FileName, buffer.ToArray(),
                UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not caching costs one nix --version next time; it must not cost the attestation.
        }
    }
}
