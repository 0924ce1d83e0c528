using System.Text.Json;
using Attest.Agent.Core.Internal;

namespace Attest.Agent.Core.Spool;

/// <summary>
/// What <c>attest-agent status</c> reports besides the spool counts: the last delivery and the last error. The
/// delivery loop and the hook keep separate files so they never overwrite each other's news.
/// </summary>
/// <param name="LastDeliveryAt">When a log last accepted a document.</param>
/// <param name="LastDeliveredIndex">The index it got.</param>
/// <param name="LastErrorAt">When the last error happened.</param>
/// <param name="LastError">The last error's message.</param>
public sealed record AgentState(DateTimeOffset? LastDeliveryAt, long? LastDeliveredIndex, DateTimeOffset? LastErrorAt, string? LastError)
{
    /// <summary>File written by delivery (<c>run</c>, <c>flush</c>).</summary>
    public const string DeliveryFileName = "delivery-state.json";

    /// <summary>File written by the hook when it fails.</summary>
    public const string HookFileName = "hook-state.json";

    private const int MaxBytes = 64 * 1024;

    /// <summary>An empty state.</summary>
    public static AgentState Empty { get; } = new(null, null, null, null);

    /// <summary>Reads a state file; a missing, oversized or unreadable file reads as <see cref="Empty"/>.</summary>
    /// <param name="spoolDirectory">The spool directory.</param>
    /// <param name="fileName">The state file.</param>
    /// <returns>The state.</returns>
    public static AgentState Read(string spoolDirectory, string fileName)
    {
        var path = Path.Combine(spoolDirectory, fileName);
        try
        {
            var info = new FileInfo(path);
            return info.Exists && info.Length <= MaxBytes
                ? JsonSerializer.Deserialize(File.ReadAllBytes(path), SpoolJsonContext.Default.AgentState) ?? Empty
                : Empty;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return Empty;
        }
    }

    /// <summary>Writes a state file atomically.</summary>
    /// <param name="spoolDirectory">The spool directory (must exist).</param>
    /// <param name="fileName">The state file.</param>
    /// <exception cref="IOException">The write failed.</exception>
    public void Write(string spoolDirectory, string fileName) =>
        PosixFile.WriteAtomically(spoolDirectory, fileName, JsonSerializer.SerializeToUtf8Bytes(this, SpoolJsonContext.Default.AgentState),
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
}
