using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Attest.Nix;

namespace Attest.Agent.Core.NixTools;

/// <summary>Runs the Nix command-line tools against one store.</summary>
public sealed class NixCli
{
    /// <summary>Largest output read from a Nix command.</summary>
    public const int MaxOutputChars = 64 << 20;

    private static readonly string[] NixCommand = ["--extra-experimental-features", "nix-command"];
    private readonly string? _binDirectory;

    /// <summary>Creates a runner.</summary>
    /// <param name="binDirectory">Directory of the Nix binaries; <see langword="null"/> to search <c>PATH</c>.</param>
    /// <param name="store">The store to work on.</param>
    public NixCli(string? binDirectory, NixStoreLocation store)
    {
        ArgumentNullException.ThrowIfNull(store);
        _binDirectory = binDirectory;
        Store = store;
    }

    /// <summary>The store this runner works on.</summary>
    public NixStoreLocation Store { get; }

    /// <summary>
    /// How long one command may run before it is killed (Nix 2.8 can spin forever, eating memory, on a malformed
    /// .drv); builds get <see cref="Timeout.InfiniteTimeSpan"/> through <see cref="RunRawAsync"/>'s caller.
    /// </summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The registered NAR hash of a valid path, from the store database only (<c>nix-store -q --hash</c>).</summary>
    /// <param name="path">The path.</param>
    /// <param name="cancellationToken">Kills the command.</param>
    /// <returns>The hash.</returns>
    /// <exception cref="NixCommandException">The path is not valid or the output is unreadable.</exception>
    public async Task<NixHash> QueryRegisteredHashAsync(StorePath path, CancellationToken cancellationToken)
    {
        var output = (await RunAsync("nix-store", ["--query", "--hash", .. StoreArguments(), path.FullPath], cancellationToken)).Trim();
        return NixHash.TryParse(output, out var hash)
            ? hash
            : throw new NixCommandException($"nix-store --query --hash printed '{output}' for {path}, not a hash.");
    }

    /// <summary>The Nix version (<c>nix --version</c> → <c>2.8.0</c>).</summary>
    /// <param name="cancellationToken">Kills the command.</param>
    /// <returns>The version number.</returns>
    public async Task<string> GetVersionAsync(CancellationToken cancellationToken)
    {
        var output = (await RunAsync("nix", ["--version"], cancellationToken)).Trim();
        var space = output.LastIndexOf(' ');
        return space < 0 ? output : output[(space + 1)..];
    }

    /// <summary>
    /// The file a tool name resolves to: under the configured bin directory, else the first <c>PATH</c> entry that
    /// holds it (as <c>execvp</c> searches); null when it is nowhere.
    /// </summary>
    /// <param name="tool">The tool, e.g. <c>nix</c>.</param>
    /// <returns>The absolute file name, or null.</returns>
    public string? ResolveTool(string tool)
    {
        ArgumentException.ThrowIfNullOrEmpty(tool);
        if (_binDirectory is not null)
        {
            var file = Path.Combine(_binDirectory, tool);
            return File.Exists(file) ? file : null;
        }

        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var file = Path.Combine(directory, tool);
            if (Path.IsPathFullyQualified(file) && File.Exists(file))
            {
                return file;
            }
        }

        return null;
    }

    /// <summary>The effective Nix settings (<c>nix show-config</c>).</summary>
    /// <param name="cancellationToken">Kills the command.</param>
    /// <returns>Setting names and values.</returns>
    public async Task<IReadOnlyDictionary<string, string>> ShowConfigAsync(CancellationToken cancellationToken) =>
        NixSettings.Parse(await RunAsync("nix", [.. NixCommand, "show-config", .. StoreArguments()], cancellationToken));

    /// <summary>Store metadata of valid paths (<c>nix path-info --json</c>), one command for all of them.</summary>
    /// <param name="paths">The paths.</param>
    /// <param name="cancellationToken">Kills the command.</param>
    /// <returns>The metadata by path.</returns>
    /// <exception cref="NixCommandException">A path is not valid in the store, or the output is unreadable.</exception>
    public async Task<IReadOnlyDictionary<StorePath, PathInfo>> QueryPathInfoAsync(
        IReadOnlyCollection<StorePath> paths, CancellationToken cancellationToken)
    {
        if (paths.Count == 0)
        {
            return new Dictionary<StorePath, PathInfo>();
        }

        var output = await RunAsync("nix",
            [.. NixCommand, "path-info", "--json", .. StoreArguments(), .. paths.Select(p => p.FullPath)], cancellationToken);
        var result = ParsePathInfo(output);
        foreach (var path in paths)
        {
            if (!result.ContainsKey(path))
            {
                throw new NixCommandException($"nix path-info did not report '{path}': it is not valid in the store.");
            }
        }

        return result;
    }

    /// <summary>
    /// Reads <c>nix path-info --json</c> output: a JSON array of objects with <c>path</c> (Nix 2.8 to 2.18) or an
    /// object keyed by path (later versions).
    /// </summary>
    /// <param name="json">The output.</param>
    /// <returns>The metadata by path.</returns>
    /// <exception cref="NixCommandException">The output is not what Nix prints.</exception>
    public static Dictionary<StorePath, PathInfo> ParsePathInfo(string json)
    {
        var result = new Dictionary<StorePath, PathInfo>();
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in root.EnumerateArray())
                {
                    var info = ReadPathInfo(item.GetProperty("path").GetString(), item);
                    result[info.Path] = info;
                }
            }
            else if (root.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in root.EnumerateObject())
                {
                    var info = ReadPathInfo(property.Name, property.Value);
                    result[info.Path] = info;
                }
            }
            else
            {
                throw new NixCommandException("nix path-info --json printed neither an array nor an object.");
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new NixCommandException($"Cannot read nix path-info --json output: {e.Message}", e);
        }

        return result;
    }

    /// <summary>Runs a Nix tool with the given arguments and returns its standard output.</summary>
    /// <param name="tool">The tool: <c>nix</c>, <c>nix-store</c>, <c>nix-build</c>, ...</param>
    /// <param name="arguments">Its arguments.</param>
    /// <param name="cancellationToken">Kills the process tree.</param>
    /// <returns>Standard output.</returns>
    /// <exception cref="NixCommandException">The tool could not be started or exited non-zero (the message holds its stderr).</exception>
    public async Task<string> RunAsync(string tool, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var result = await RunRawAsync(tool, arguments, cancellationToken);
        if (result.ExitCode != 0)
        {
            throw new NixCommandException(
                $"'{tool} {string.Join(' ', arguments)}' exited with {result.ExitCode}: {LastLines(result.StandardError)}")
            {
                ExitCode = result.ExitCode,
            };
        }

        return result.StandardOutput;
    }

    /// <summary>Runs a Nix tool and returns its exit code and both outputs without judging them.</summary>
    /// <param name="tool">The tool.</param>
    /// <param name="arguments">Its arguments.</param>
    /// <param name="cancellationToken">Kills the process tree.</param>
    /// <returns>Exit code, standard output and standard error.</returns>
    /// <exception cref="NixCommandException">The tool could not be started or printed too much.</exception>
    public async Task<(int ExitCode, string StandardOutput, string StandardError)> RunRawAsync(
        string tool, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(_binDirectory is null ? tool : Path.Combine(_binDirectory, tool))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The hook runs inside a Nix build loop that exports its whole configuration in NIX_CONFIG; the commands
        // the agent runs name their store explicitly, so they must not inherit e.g. the hook setting itself.
        start.Environment.Remove("NIX_CONFIG");

        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new NixCommandException($"Cannot start '{start.FileName}': {e.Message}", e);
        }

        process.StandardInput.Close();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CommandTimeout);
        try
        {
            var stdout = ReadCappedAsync(process.StandardOutput, timeout.Token);
            var stderr = ReadCappedAsync(process.StandardError, timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
            return (process.ExitCode, await stdout, await stderr);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            KillQuietly(process);
            throw new NixCommandException($"'{tool} {string.Join(' ', arguments)}' did not finish within {CommandTimeout.TotalSeconds} s and was killed.");
        }
        catch (OperationCanceledException)
        {
            KillQuietly(process);
            throw;
        }
        catch (InvalidDataException e)
        {
            KillQuietly(process);
            throw new NixCommandException($"'{tool}' printed more than {MaxOutputChars} characters.", e);
        }
    }

    /// <summary>The <c>--store</c> arguments for this runner's store (none for the default store).</summary>
    /// <returns>The arguments.</returns>
    public IReadOnlyList<string> StoreArguments() => Store.Uri is null ? [] : ["--store", Store.Uri];

    private static PathInfo ReadPathInfo(string? path, JsonElement item)
    {
        var storePath = StorePath.Parse(path ?? throw new FormatException("an entry has no path"));
        if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("narHash", out var narHash))
        {
            throw new FormatException($"'{path}' is not valid in the store");
        }

        var references = new List<StorePath>();
        if (item.TryGetProperty("references", out var refs))
        {
            foreach (var reference in refs.EnumerateArray())
            {
                var text = reference.GetString() ?? throw new FormatException($"a reference of '{path}' is null");
                // Newer Nix prints references as base names.
                references.Add(text.StartsWith('/') ? StorePath.Parse(text) : StorePath.FromBaseName(text));
            }
        }

        references.Sort();
        StorePath? deriver = item.TryGetProperty("deriver", out var d) && d.GetString() is { } drv
            ? drv.StartsWith('/') ? StorePath.Parse(drv) : StorePath.FromBaseName(drv)
            : null;
        DateTimeOffset? registeredAt = item.TryGetProperty("registrationTime", out var r) && r.TryGetInt64(out var seconds)
            && seconds is > 0 and < 253402300799
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : null;
        return new PathInfo(storePath, NixHash.Parse(narHash.GetString()), item.GetProperty("narSize").GetInt64(),
            references, deriver, registeredAt);
    }

    private static async Task<string> ReadCappedAsync(StreamReader reader, CancellationToken cancellationToken)
    {
        var builder = new StringBuilder();
        var buffer = new char[8192];
        int read;
        while ((read = await reader.ReadAsync(buffer, cancellationToken)) > 0)
        {
            if (builder.Length + read > MaxOutputChars)
            {
                throw new InvalidDataException("output too large");
            }

            builder.Append(buffer, 0, read);
        }

        return builder.ToString();
    }

    private static void KillQuietly(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    private static string LastLines(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? "(no output)" : string.Join(" | ", lines.TakeLast(5));
    }
}
