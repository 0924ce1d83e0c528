using System.Text.Json;
using Attest.Agent.Core.Internal;

namespace Attest.Agent.Core.Rebuild;

/// <summary>
/// Where <c>rebuild --from-log</c> left off in each log, keyed by the log's origin (the first line of its
/// checkpoint, which names the log independently of the URL it is reached by), kept in the agent's state
/// directory as <see cref="FileName"/> and replaced atomically.
/// </summary>
public sealed class RebuildPositions
{
    /// <summary>The state file in the spool directory.</summary>
    public const string FileName = "rebuild-positions.json";

    /// <summary>Largest state file read.</summary>
    public const int MaxFileBytes = 1 << 20;

    /// <summary>Most logs remembered.</summary>
    public const int MaxLogs = 4096;

    private readonly string _directory;
    private readonly SortedDictionary<string, long> _next;

    private RebuildPositions(string directory, SortedDictionary<string, long> next)
    {
        _directory = directory;
        _next = next;
    }

    /// <summary>The logs and their next index to examine.</summary>
    public IReadOnlyDictionary<string, long> Positions => _next;

    /// <summary>Reads the positions; a missing file means every log starts at 0.</summary>
    /// <param name="stateDirectory">The spool directory.</param>
    /// <returns>The positions.</returns>
    /// <exception cref="InvalidDataException">The file exists but is not a positions file (it is left alone).</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static RebuildPositions Load(string stateDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(stateDirectory);
        var path = Path.Combine(stateDirectory, FileName);
        var next = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            return new RebuildPositions(stateDirectory, next);
        }

        if (info.Length > MaxFileBytes)
        {
            throw new InvalidDataException($"'{path}' is {info.Length} bytes; the limit is {MaxFileBytes}.");
        }

        try
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(path));
            if (json.RootElement.ValueKind != JsonValueKind.Object
                || !json.RootElement.TryGetProperty("next", out var positions) || positions.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"'{path}' has no \"next\" object.");
            }

            foreach (var log in positions.EnumerateObject())
            {
                if (next.Count == MaxLogs)
                {
                    throw new InvalidDataException($"'{path}' names more than {MaxLogs} logs.");
                }

                next[log.Name] = log.Value.ValueKind == JsonValueKind.Number && log.Value.TryGetInt64(out var index) && index >= 0
                    ? index
                    : throw new InvalidDataException($"'{path}': the position of '{log.Name}' is not a non-negative integer.");
            }
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not JSON: {e.Message}", e);
        }

        return new RebuildPositions(stateDirectory, next);
    }

    /// <summary>The next index to examine in a log (0 for a log not seen before).</summary>
    /// <param name="origin">The log's origin.</param>
    /// <returns>The index.</returns>
    public long Get(string origin) => _next.TryGetValue(origin, out var index) ? index : 0;

    /// <summary>Records the next index of a log and writes the file atomically (write, fsync, rename, fsync directory).</summary>
    /// <param name="origin">The log's origin.</param>
    /// <param name="nextIndex">The next index to examine.</param>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public void Save(string origin, long nextIndex)
    {
        ArgumentException.ThrowIfNullOrEmpty(origin);
        ArgumentOutOfRangeException.ThrowIfNegative(nextIndex);
        _next[origin] = nextIndex;
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("next");
            foreach (var (log, index) in _next)
            {
                writer.WriteNumber(log, index);
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        Directory.CreateDirectory(_directory);
        PosixFile.WriteAtomically(_directory, FileName, buffer.ToArray(),
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
    }
}
