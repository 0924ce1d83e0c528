using System.Diagnostics;
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

    /// <summary>
    /// Whether store metadata is read from Nix's database directly (<see cref="NixStoreDatabase"/>) before asking
    /// the Nix CLI. On by default; tests turn it off to compare both sources.
    /// </summary>
    internal bool UseStoreDatabase { get; init; } = true;

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
        var outbox = new Outbox(_options.SpoolDirectory, _time);
        try
        {
            // Created first so the Nix version can be cached next to the spool on a builder's first build.
            outbox.EnsureCreated();
        }
        catch (SpoolException e)
        {
            throw new AttestationException(e.Message, e);
        }

        var (attested, hashing) = await AttestCoreAsync(nix, request.DrvPath, request.OutPaths, settings, _options.SpoolDirectory, cancellationToken);
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

        try
        {
            return new HookResult(outbox.Enqueue(document), attested, document) { TpmWarning = tpm?.Warning, HashingTime = hashing };
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
        NixCli nix, string? drvPath, string? outPaths, IReadOnlyDictionary<string, string>? settings, CancellationToken cancellationToken) =>
        (await AttestCoreAsync(nix, drvPath, outPaths, settings, null, cancellationToken)).Statement;

    private async Task<(NixProvenance Statement, TimeSpan Hashing)> AttestCoreAsync(
        NixCli nix, string? drvPath, string? outPaths, IReadOnlyDictionary<string, string>? settings, string? stateDirectory,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(nix);
        if (!StorePath.TryParse(drvPath, out var derivationPath) || !derivationPath.IsDerivation)
        {
            throw new AttestationException(
                $"DRV_PATH '{drvPath}' is not a derivation store path (/nix/store/<hash>-<name>.drv); is the agent running as Nix's post-build-hook?");
        }

        var (drvBytes, derivation) = ReadDerivation(nix.Store, derivationPath);
        var outputs = ResolveOutputs(derivationPath, derivation, outPaths);

        // Hashing runs on the thread pool while the store metadata is read; Nix never parses the .drv for us
        // (Nix 2.8 spins without bound on some malformed .drv files).
        var hashes = outputs.Select(o => Task.Run(() => HashOutput(nix.Store, o.Path, cancellationToken), cancellationToken)).ToList();
        var environment = BuildEnvironment.CollectAsync(_options.BuilderName, nix, settings, stateDirectory, cancellationToken);
        var query = QueryStoreAsync(nix, derivationPath, outputs.Select(o => o.Path).ToList(), cancellationToken);

        NixBuildEnvironment env;
        (NarHashResult Result, TimeSpan Elapsed)[] narHashes;
        Dictionary<StorePath, PathInfo> registered;
        try
        {
            // Hashes first: a missing or unreadable output is the clearer error than its missing registration.
            narHashes = await Task.WhenAll(hashes);
            registered = await query;
            env = await environment;
        }
        catch (NixCommandException e)
        {
            throw new AttestationException($"Cannot attest {derivationPath}: {e.Message}", e);
        }

        VerifyDerivation(registered[derivationPath].NarHash, drvBytes, nix.Store.PhysicalPath(derivationPath));
        var built = new List<NixBuildOutput>(outputs.Count);
        for (var i = 0; i < outputs.Count; i++)
        {
            var (name, path) = outputs[i];
            var info = registered[path];
            var ours = narHashes[i].Result;
            // The store database holds the hash Nix computed when it registered the output; a difference means
            // the output changed on disk since (or one of the two hashers is wrong): attest nothing.
            if (!ours.Hash.Equals(info.NarHash) || ours.Size != info.NarSize)
            {
                throw new AttestationException(
                    $"Output '{name}' ({path}) hashes to {ours.Hash} ({ours.Size} bytes) but the Nix store registered {info.NarHash} ({info.NarSize} bytes); it was modified after the build.");
            }

            built.Add(new NixBuildOutput(name, path, ours.Hash, ours.Size, info.References));
        }

        var finishedOn = outputs.Select(o => registered[o.Path].RegisteredAt).Max() ?? _time.GetUtcNow();
        var startedOn = BuildStart(nix.Store, derivationPath) is { } start && start <= finishedOn ? start : finishedOn;
        try
        {
            var statement = new NixProvenance
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
            return (statement, TimeSpan.FromTicks(narHashes.Sum(h => h.Elapsed.Ticks)));
        }
        catch (ArgumentException e)
        {
            throw new AttestationException($"Cannot describe {derivationPath}: {e.Message}", e);
        }
    }

    /// <summary>
    /// What the store registered for the .drv and the outputs: read from Nix's database when it can be opened,
    /// else (and for anything the database did not answer) from the Nix CLI, which reads the same database
    /// through Nix or the daemon.
    /// </summary>
    private async Task<Dictionary<StorePath, PathInfo>> QueryStoreAsync(
        NixCli nix, StorePath derivationPath, List<StorePath> outputs, CancellationToken cancellationToken)
    {
        var registered = new Dictionary<StorePath, PathInfo>();
        if (UseStoreDatabase && NixStoreDatabase.TryOpen(nix.Store, out var database, out _))
        {
            using (database)
            {
                try
                {
                    foreach (var path in outputs.Prepend(derivationPath))
                    {
                        if (database.QueryPathInfo(path) is { } info)
                        {
                            registered[path] = info;
                        }
                    }
                }
                catch (Exception e) when (e is IOException or InvalidDataException)
                {
                    // A locked or unexpected database: the CLI below answers everything instead.
                    registered.Clear();
                }
            }
        }

        try
        {
            if (!registered.ContainsKey(derivationPath))
            {
                var hash = await nix.QueryRegisteredHashAsync(derivationPath, cancellationToken);
                registered[derivationPath] = new PathInfo(derivationPath, hash, 0, [], null, null);
            }

            var missing = outputs.Where(o => !registered.ContainsKey(o)).ToList();
            foreach (var (path, info) in await nix.QueryPathInfoAsync(missing, cancellationToken))
            {
                registered[path] = info;
            }
        }
        catch (NixCommandException e)
        {
            var drvMissing = !registered.ContainsKey(derivationPath);
            throw new AttestationException(drvMissing
                ? $"Derivation '{nix.Store.PhysicalPath(derivationPath)}' is not valid in the store: {e.Message}"
                : $"Cannot attest {derivationPath}: {e.Message}", e);
        }

        return registered;
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

    internal static (byte[] Bytes, DerivationFacts Derivation) ReadDerivation(NixStoreLocation store, StorePath derivationPath)
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
    private static void VerifyDerivation(NixHash expected, byte[] drvBytes, string file)
    {
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

    private static (NarHashResult Result, TimeSpan Elapsed) HashOutput(NixStoreLocation store, StorePath path, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var physical = store.PhysicalPath(path);
        if (!Path.Exists(physical) && new FileInfo(physical).LinkTarget is null)
        {
            throw new AttestationException($"Output {path} does not exist at '{physical}'.");
        }

        try
        {
            return (NarHasher.HashPath(physical, cancellationToken), Stopwatch.GetElapsedTime(started));
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

    /// <summary>Time spent NAR-hashing the outputs (summed over outputs hashed in parallel).</summary>
    public TimeSpan HashingTime { get; init; }
}
