using System.Security.Cryptography;
using Attest.Agent.Core.Configuration;
using Attest.Agent.Core.Identity;
using Attest.Agent.Core.NixTools;
using Attest.Agent.Core.Spool;
using Attest.Agent.Core.Tpm;
using Attest.Nix;
using Attest.Nix.Nar;
using Attest.Provenance;
using Attest.Provenance.Attestations;
using Attest.Provenance.Statements;

namespace Attest.Agent.Core.Hook;

/// <summary>
/// The post-build hook: reads the derivation Nix just built, hashes every output, collects the environment,
/// signs an in-toto/SLSA statement with the builder key and spools the attestation document atomically.
/// </summary>
/// <remarks>
/// Everything is checked before anything is written: an unreadable or malformed .drv, a missing output, an output
/// whose NAR hash differs from what Nix registered, or a full disk ends in an <see cref="AttestationException"/>
/// and leaves the outbox as it was.
/// </remarks>
public sealed class HookRunner
{
    /// <summary>Largest .drv file read.</summary>
    public const int MaxDerivationBytes = 16 << 20;

    private readonly AgentOptions _options;
    private readonly TimeProvider _time;

    /// <summary>Creates a runner.</summary>
    /// <param name="options">The agent configuration.</param>
    /// <param name="time">The clock.</param>
    public HookRunner(AgentOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Attests one build and spools the document.</summary>
    /// <param name="request">What Nix passed.</param>
    /// <param name="cancellationToken">Cancels the work (nothing is spooled then).</param>
    /// <returns>The spooled document and the statement it carries.</returns>
    /// <exception cref="AttestationException">The build cannot be attested; nothing was spooled.</exception>
    public async Task<HookResult> RunAsync(HookRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var settings = string.IsNullOrEmpty(request.NixConfig) ? null : NixSettings.Parse(request.NixConfig);
        var store = ResolveStore(settings);
        var nix = new NixCli(_options.Nix.BinDirectory, store);
        var attested = await AttestAsync(nix, request.DrvPath, request.OutPaths, settings, cancellationToken);
        var document = Sign(attested);
        TpmAttachment? tpm = null;
        if (_options.Tpm is { } tpmOptions)
        {
            tpm = await TpmEvidenceCollector.AttachAsync(document, tpmOptions, cancellationToken);
            if (!tpm.HasEvidence && tpmOptions.Required)
            {
                throw new AttestationException($"The TPM is required but could not quote: {tpm.Warning}");
            }

            document = tpm.Document;
        }

        var outbox = new Outbox(_options.SpoolDirectory, _time);
        try
        {
            return new HookResult(outbox.Enqueue(document), attested, document) { TpmWarning = tpm?.Warning };
        }
        catch (SpoolException e)
        {
            throw new AttestationException(e.Message, e);
        }
    }

    /// <summary>
    /// Builds the statement for a derivation whose outputs are valid in <paramref name="nix"/>'s store, without
    /// signing or spooling it (also used by <c>rebuild</c>).
    /// </summary>
    /// <param name="nix">The Nix runner for the store the outputs are in.</param>
    /// <param name="drvPath">The derivation path.</param>
    /// <param name="outPaths">Output paths reported by Nix (space-separated), or null/empty to take them from the .drv.</param>
    /// <param name="settings">Nix settings of the build, or null to ask <c>nix show-config</c>.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>The statement.</returns>
    /// <exception cref="AttestationException">The build cannot be attested.</exception>
    public async Task<NixProvenance> AttestAsync(
        NixCli nix, string? drvPath, string? outPaths, IReadOnlyDictionary<string, string>? settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(nix);
        if (!StorePath.TryParse(drvPath, out var derivationPath) || !derivationPath.IsDerivation)
        {
            throw new AttestationException(
                $"DRV_PATH '{drvPath}' is not a derivation store path (/nix/store/<hash>-<name>.drv); is the agent running as Nix's post-build-hook?");
        }

        // Nix queries run concurrently with the parsing and hashing; each reads only the store database (Nix 2.8
        // spins without bound on some malformed .drv files, so Nix never parses one for us).
        var registeredDrv = nix.QueryRegisteredHashAsync(derivationPath, cancellationToken);
        var (drvBytes, derivation) = ReadDerivation(nix.Store, derivationPath);
        var outputs = ResolveOutputs(derivationPath, derivation, outPaths);

        var environment = BuildEnvironment.CollectAsync(_options.BuilderName, nix, settings, cancellationToken);
        var pathInfo = nix.QueryPathInfoAsync(outputs.Select(o => o.Path).ToList(), cancellationToken);
        var hashes = outputs.Select(o => Task.Run(() => HashOutput(nix.Store, o.Path, cancellationToken), cancellationToken)).ToList();

        IReadOnlyDictionary<StorePath, PathInfo> registered;
        NixBuildEnvironment env;
        NarHashResult[] narHashes;
        try
        {
            narHashes = await Task.WhenAll(hashes);
            registered = await pathInfo;
            env = await environment;
            await VerifyDerivationAsync(registeredDrv, drvBytes, nix.Store.PhysicalPath(derivationPath));
        }
        catch (NixCommandException e)
        {
            throw new AttestationException($"Cannot attest {derivationPath}: {e.Message}", e);
        }

        var built = new List<NixBuildOutput>(outputs.Count);
        for (var i = 0; i < outputs.Count; i++)
        {
            var (name, path) = outputs[i];
            var info = registered[path];
            var ours = narHashes[i];
            // The store database holds the hash Nix computed when it registered the output; a difference means
            // the output changed on disk since (or one of the two hashers is wrong): attest nothing.
            if (!ours.Hash.Equals(info.NarHash) || ours.Size != info.NarSize)
            {
                throw new AttestationException(
                    $"Output '{name}' ({path}) hashes to {ours.Hash} ({ours.Size} bytes) but the Nix store registered {info.NarHash} ({info.NarSize} bytes); it was modified after the build.");
            }

            built.Add(new NixBuildOutput(name, path, ours.Hash, ours.Size, info.References));
        }

        var finishedOn = registered.Values.Select(v => v.RegisteredAt).Max() ?? _time.GetUtcNow();
        var startedOn = BuildStart(nix.Store, derivationPath) is { } start && start <= finishedOn ? start : finishedOn;
        try
        {
            return new NixProvenance
            {
                Derivation = derivationPath,
                DerivationSha256 = NixHash.FromSha256(SHA256.HashData(drvBytes)),
                Outputs = built,
                Environment = env,
                Dependencies = derivation.Dependencies,
                BuilderId = NixProvenance.BuilderIdFor(_options.BuilderName),
                InvocationId = $"urn:uuid:{Guid.NewGuid()}",
                StartedOn = startedOn,
                FinishedOn = finishedOn,
            };
        }
        catch (ArgumentException e)
        {
            throw new AttestationException($"Cannot describe {derivationPath}: {e.Message}", e);
        }
    }

    /// <summary>Signs a statement with the builder key and wraps it as an attestation document.</summary>
    /// <param name="statement">The statement.</param>
    /// <returns>The document's canonical bytes.</returns>
    /// <exception cref="AttestationException">The key cannot be loaded or the statement breaks the format's rules.</exception>
    public byte[] Sign(NixProvenance statement)
    {
        ArgumentNullException.ThrowIfNull(statement);
        try
        {
            using var key = BuilderIdentity.Load(_options.KeyPath);
            if (!string.Equals(key.Name, _options.BuilderName, StringComparison.Ordinal))
            {
                throw new AttestationException(
                    $"The key '{_options.KeyPath}' belongs to builder '{key.Name}', but the configuration names '{_options.BuilderName}'.");
            }

            return AttestationDocument.Serialize(statement.Sign(key));
        }
        catch (IOException e)
        {
            throw new AttestationException(e.Message, e);
        }
        catch (DocumentException e)
        {
            throw new AttestationException($"The statement for {statement.Derivation} is not acceptable: {e.Message}", e);
        }
    }

    private NixStoreLocation ResolveStore(IReadOnlyDictionary<string, string>? settings)
    {
        // The store of the running build wins: Nix exports it (e.g. --store /tmp/b) in NIX_CONFIG.
        var store = settings is not null && settings.TryGetValue("store", out var s) && s.Length > 0 ? s : _options.Nix.Store;
        try
        {
            return NixStoreLocation.Parse(store);
        }
        catch (ArgumentException e)
        {
            throw new AttestationException(e.Message, e);
        }
    }

    private static (byte[] Bytes, DerivationFacts Derivation) ReadDerivation(NixStoreLocation store, StorePath derivationPath)
    {
        var file = store.PhysicalPath(derivationPath);
        byte[] bytes;
        try
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.None);
            if (stream.Length > MaxDerivationBytes)
            {
                throw new AttestationException($"Derivation '{file}' is {stream.Length} bytes; the limit is {MaxDerivationBytes}.");
            }

            bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AttestationException($"Cannot read derivation '{file}': {e.Message}", e);
        }

        try
        {
            return (bytes, DerivationFacts.Parse(bytes));
        }
        catch (FormatException e)
        {
            throw new AttestationException($"Derivation '{file}' is malformed: {e.Message}", e);
        }
    }

    /// <summary>
    /// Checks the .drv bytes against the NAR hash the store registered for them (the NAR of a regular file is its
    /// bytes in a fixed frame), so a .drv edited after instantiation is not attested as if Nix had built it.
    /// </summary>
    private static async Task VerifyDerivationAsync(Task<NixHash> registered, byte[] drvBytes, string file)
    {
        NixHash expected;
        try
        {
            expected = await registered;
        }
        catch (NixCommandException e)
        {
            throw new AttestationException($"Derivation '{file}' is not valid in the store: {e.Message}", e);
        }

        // Hash the very bytes that were parsed, not the file again, so what is attested is what was checked.
        var actual = NixHash.ComputeSha256(NarOfRegularFile(drvBytes));
        if (!actual.Equals(expected))
        {
            throw new AttestationException(
                $"Derivation '{file}' was modified: its NAR hash is {actual}, the store registered {expected}.");
        }
    }

    private static byte[] NarOfRegularFile(byte[] contents)
    {
        using var nar = new MemoryStream();
        using (var writer = new NarWriter(nar))
        {
            writer.WriteRegularFile(contents, executable: false);
        }

        return nar.ToArray();
    }

    private static List<(string Name, StorePath Path)> ResolveOutputs(StorePath derivationPath, DerivationFacts derivation, string? outPaths)
    {
        var reported = new HashSet<StorePath>();
        foreach (var text in (outPaths ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!StorePath.TryParse(text, out var path))
            {
                throw new AttestationException($"OUT_PATHS lists '{text}', which is not a store path.");
            }

            reported.Add(path);
        }

        var outputs = new List<(string, StorePath)>();
        foreach (var (name, path) in derivation.Outputs)
        {
            if (path is not { } known)
            {
                throw new AttestationException(
                    $"Output '{name}' of {derivationPath} has no fixed path (a content-addressed derivation); the agent attests input-addressed and fixed-output derivations.");
            }

            if (reported.Count > 0 && !reported.Contains(known))
            {
                throw new AttestationException($"OUT_PATHS does not list output '{name}' ({known}) of {derivationPath}.");
            }

            outputs.Add((name, known));
        }

        foreach (var path in reported)
        {
            if (!outputs.Exists(o => o.Item2 == path))
            {
                throw new AttestationException($"OUT_PATHS lists {path}, which is not an output of {derivationPath}.");
            }
        }

        return outputs;
    }

    private static NarHashResult HashOutput(NixStoreLocation store, StorePath path, CancellationToken cancellationToken)
    {
        var physical = store.PhysicalPath(path);
        if (!Path.Exists(physical) && new FileInfo(physical).LinkTarget is null)
        {
            throw new AttestationException($"Output {path} does not exist at '{physical}'.");
        }

        try
        {
            return NarHasher.HashPath(physical, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AttestationException($"Cannot read output {path} ('{physical}'): {e.Message}", e);
        }
    }

    /// <summary>
    /// When the build started: Nix creates the build log (<c>/nix/var/log/nix/drvs/&lt;2&gt;/&lt;rest&gt;.drv.bz2</c>)
    /// as the builder starts, so its birth time is the start; null when there is no log or no birth time.
    /// </summary>
    private static DateTimeOffset? BuildStart(NixStoreLocation store, StorePath derivationPath)
    {
        var baseName = derivationPath.BaseName;
        var directory = Path.Combine(store.Root + "/nix/var/log/nix/drvs", baseName[..2]);
        foreach (var suffix in new[] { ".bz2", string.Empty })
        {
            var file = new FileInfo(Path.Combine(directory, baseName[2..] + suffix));
            if (file.Exists)
            {
                return new DateTimeOffset(file.CreationTimeUtc, TimeSpan.Zero);
            }
        }

        return null;
    }
}

/// <summary>The outcome of a hook run.</summary>
/// <param name="Document">Where the document was spooled.</param>
/// <param name="Statement">The statement it carries.</param>
/// <param name="Bytes">The document's canonical bytes.</param>
public sealed record HookResult(SpooledDocument Document, NixProvenance Statement, byte[] Bytes)
{
    /// <summary>Why the document carries no TPM evidence although a TPM is configured; null otherwise.</summary>
    public string? TpmWarning { get; init; }
}
