using System.Text.Json;
using System.Text.Json.Serialization;
using Attest.Agent.Core.Internal;
using Attest.Agent.Core.Tpm;
using Attest.Provenance.Signing;

namespace Attest.Agent.Core.Configuration;

/// <summary>
/// The agent's configuration, read from a JSON file (by default <see cref="DefaultPath"/>; the
/// <see cref="PathEnvironmentVariable"/> environment variable or the CLI's <c>--config</c> option name another).
/// </summary>
public sealed record AgentOptions
{
    /// <summary>The configuration file used when neither <c>--config</c> nor the environment names one.</summary>
    public const string DefaultPath = "/etc/attest/agent.json";

    /// <summary>Environment variable naming the configuration file.</summary>
    public const string PathEnvironmentVariable = "ATTEST_AGENT_CONFIG";

    /// <summary>Largest configuration file read, a guard against pointing the agent at the wrong file.</summary>
    public const int MaxFileBytes = 1 << 20;

    /// <summary>The builder's name, recorded in every statement as the builder id.</summary>
    public required string BuilderName { get; init; }

    /// <summary>Path of the builder's Ed25519 private key file (created by <c>attest-agent init</c>, mode 0600).</summary>
    public required string KeyPath { get; init; }

    /// <summary>The spool directory holding the outbox, delivered receipts, dead letters and state.</summary>
    public required string SpoolDirectory { get; init; }

    /// <summary>Base URLs of the transparency logs every attestation is delivered to.</summary>
    public IReadOnlyList<Uri> LogUrls { get; init; } = [];

    /// <summary>Nix settings.</summary>
    public NixOptions Nix { get; init; } = new();

    /// <summary>Delivery retry settings.</summary>
    public DeliveryOptions Delivery { get; init; } = new();

    /// <summary>
    /// The TPM each statement is quoted with (TCTI, PCR selection, AK handle, EK kind, event log);
    /// <see langword="null"/> for no TPM evidence.
    /// </summary>
    public AgentTpmOptions? Tpm { get; init; }

    /// <summary>
    /// Whether a failing hook fails the build (non-zero exit). Off by default: Nix stops scheduling builds when
    /// the post-build hook fails, so an attestation problem would otherwise halt the build farm.
    /// </summary>
    public bool FailBuildOnError { get; init; }

    /// <summary>Directory of not-yet-delivered documents.</summary>
    [JsonIgnore]
    public string OutboxDirectory => Path.Combine(SpoolDirectory, "outbox");

    /// <summary>
    /// Picks the configuration file: <paramref name="explicitPath"/> if given, else the environment variable, else
    /// <see cref="DefaultPath"/>.
    /// </summary>
    /// <param name="explicitPath">The <c>--config</c> value, if any.</param>
    /// <returns>The path to read.</returns>
    public static string ResolvePath(string? explicitPath)
    {
        if (!string.IsNullOrEmpty(explicitPath))
        {
            return explicitPath;
        }

        var fromEnvironment = Environment.GetEnvironmentVariable(PathEnvironmentVariable);
        return string.IsNullOrEmpty(fromEnvironment) ? DefaultPath : fromEnvironment;
    }

    /// <summary>Reads and validates a configuration file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The options.</returns>
    /// <exception cref="AgentConfigurationException">The file is missing, unreadable, not valid JSON or invalid.</exception>
    public static AgentOptions Load(string path)
    {
        byte[] bytes;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                throw new AgentConfigurationException($"Configuration file '{path}' does not exist.");
            }

            if (info.Length > MaxFileBytes)
            {
                throw new AgentConfigurationException(
                    $"Configuration file '{path}' is {info.Length} bytes; the limit is {MaxFileBytes}.");
            }

            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AgentConfigurationException($"Cannot read configuration file '{path}': {e.Message}", e);
        }

        return Parse(bytes, path);
    }

    /// <summary>Parses and validates configuration JSON.</summary>
    /// <param name="json">UTF-8 JSON.</param>
    /// <param name="source">Where the JSON came from, for error messages.</param>
    /// <returns>The options.</returns>
    /// <exception cref="AgentConfigurationException">The JSON is malformed or a setting is invalid.</exception>
    public static AgentOptions Parse(ReadOnlySpan<byte> json, string source)
    {
        AgentOptions options;
        try
        {
            options = AgentOptionsReader.Read(json.ToArray());
        }
        catch (JsonException e)
        {
            var where = e.Path is null ? string.Empty : $" at {e.Path}";
            throw new AgentConfigurationException($"Configuration '{source}' is invalid{where}: {e.Message}", e);
        }

        options.Validate(source);
        return options;
    }

    /// <summary>Serializes these options as indented JSON (the format <see cref="Parse"/> reads).</summary>
    /// <returns>UTF-8 JSON.</returns>
    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, ConfigurationJsonContext.Default.AgentOptions);

    /// <summary>Writes these options to a configuration file atomically (mode 0644: it holds no secrets).</summary>
    /// <param name="path">The file.</param>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public void Save(string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        PosixFile.WriteAtomically(directory, Path.GetFileName(path), ToJson(),
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }

    private void Validate(string source)
    {
        static void Require(bool condition, string source, string message)
        {
            if (!condition)
            {
                throw new AgentConfigurationException($"Configuration '{source}': {message}");
            }
        }

        Require(IdentityPublicKey.IsValidName(BuilderName), source,
            $"builderName '{BuilderName}' must be 1 to {IdentityPublicKey.MaxNameLength} characters from [A-Za-z0-9._-], starting with a letter or digit.");
        Require(Path.IsPathFullyQualified(KeyPath), source, $"keyPath '{KeyPath}' must be an absolute path.");
        Require(Path.IsPathFullyQualified(SpoolDirectory), source,
            $"spoolDirectory '{SpoolDirectory}' must be an absolute path.");
        foreach (var url in LogUrls)
        {
            Require(url.IsAbsoluteUri && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps), source,
                $"log URL '{url}' must be an absolute http(s) URL.");
        }

        Require(Nix.BinDirectory is null || Path.IsPathFullyQualified(Nix.BinDirectory), source,
            "nix.binDirectory must be an absolute path.");
        Require(Delivery.InitialBackoff > TimeSpan.Zero && Delivery.MaxBackoff >= Delivery.InitialBackoff, source,
            "delivery.initialBackoff must be positive and not above delivery.maxBackoff.");
        Require(Delivery.RequestTimeout > TimeSpan.Zero, source, "delivery.requestTimeout must be positive.");
        var tpmProblem = Tpm?.Validate();
        Require(tpmProblem is null, source, tpmProblem!);
    }
}

/// <summary>Nix settings of the agent.</summary>
public sealed record NixOptions
{
    /// <summary>
    /// The Nix store to read outputs from when Nix does not say (the hook learns the store of the running build
    /// from <c>NIX_CONFIG</c>); <see langword="null"/> for Nix's default store.
    /// </summary>
    public string? Store { get; init; }

    /// <summary>Directory holding <c>nix</c> and <c>nix-store</c>; <see langword="null"/> to search <c>PATH</c>.</summary>
    public string? BinDirectory { get; init; }

    /// <summary>
    /// The rebuilder's own store (a chroot store directory) used by <c>rebuild</c>; <see langword="null"/> to
    /// rebuild with <c>--check</c> in the default store.
    /// </summary>
    public string? RebuildStore { get; init; }

    /// <summary>Extra <c>--option name value</c> pairs passed to Nix when rebuilding.</summary>
    public IReadOnlyDictionary<string, string> RebuildOptions { get; init; } = new Dictionary<string, string>();
}

/// <summary>Delivery retry settings.</summary>
public sealed record DeliveryOptions
{
    /// <summary>First retry delay after a transient failure.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest retry delay.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Timeout of one submission request.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
