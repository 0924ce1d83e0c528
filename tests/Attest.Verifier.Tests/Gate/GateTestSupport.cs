using System.Security.Cryptography;
using System.Text;
using Attest.Nix;
using Attest.Nix.BinaryCache;
using Attest.Nix.Signing;
using Attest.Provenance.Signing;
using Attest.Verifier.Cli.Gate;
using Attest.Verifier.Gate;
using Attest.Verifier.Policy;
using Attest.Verifier.Quorum;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Attest.Verifier.Tests.Gate;

/// <summary>A decider made from the real <see cref="QuorumEvaluator"/> over prepared checked attestations.</summary>
internal sealed class PreparedDecider : IPathDecider
{
    private readonly QuorumEvaluator _evaluator;
    private readonly Dictionary<StorePath, CheckedAttestation[]> _attestations = [];
    private int _calls;

    public PreparedDecider(TrustPolicy policy) => _evaluator = new QuorumEvaluator(policy);

    public int Calls => Volatile.Read(ref _calls);

    /// <summary>When set, every decision waits for it (to hold decisions in flight).</summary>
    public Task? Hold { get; set; }

    public Exception? Failure { get; set; }

    public void Attest(StorePath path, params CheckedAttestation[] attestations) => _attestations[path] = attestations;

    /// <summary>Alice and Bob (two operators) both attest <paramref name="hash"/>: the 2-of-2 quorum holds.</summary>
    public void AttestByBoth(StorePath path, NixHash hash) =>
        Attest(path, GatePolicy.Attestation(GatePolicy.Alice, hash, 1), GatePolicy.Attestation(GatePolicy.Bob, hash, 2));

    public async ValueTask<QuorumVerdict> DecideAsync(StorePath storePath, NixHash narHash, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        if (Hold is { } hold)
        {
            await hold.WaitAsync(cancellationToken);
        }

        return Failure is { } failure
            ? throw failure
            : _evaluator.Evaluate(storePath, narHash, _attestations.GetValueOrDefault(storePath) ?? []);
    }
}

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualTime : TimeProvider
{
    private long _ticks = 1_000_000;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Read(ref _ticks);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}

/// <summary>Two builders of two operators, a 2-of-2 policy, and helpers for their checked attestations.</summary>
internal static class GatePolicy
{
    public static readonly BuilderPolicy Alice = Builder("alice", "alpha");
    public static readonly BuilderPolicy Bob = Builder("bob", "beta");

    public static TrustPolicy TwoOperators { get; } = new([], [Alice, Bob], new QuorumRule(2, 2, 0, 0));

    public static CheckedAttestation Attestation(BuilderPolicy builder, NixHash hash, ulong index) =>
        new("test-log", index, builder.Key.KeyId, hash, false, []);

    private static BuilderPolicy Builder(string name, string op)
    {
        using var key = IdentityKey.Generate(name);
        return new BuilderPolicy(name, key.PublicKey, op, false, null);
    }
}

/// <summary>A file:// upstream cache in a temp folder, a gate over it on Kestrel (loopback, free port), and an HTTP client.</summary>
internal sealed class GateFixture : IAsyncDisposable
{
    private readonly WebApplication _app;

    private GateFixture(string directory, NixCacheGate gate, WebApplication app, NixSigningKey key, NixSigningKey upstreamKey)
    {
        Directory = directory;
        Gate = gate;
        _app = app;
        GateKey = key;
        UpstreamKey = upstreamKey;
        Http = new HttpClient { BaseAddress = new Uri(app.Urls.First() + "/") };
    }

    public string Directory { get; }

    public NixCacheGate Gate { get; }

    public NixSigningKey GateKey { get; }

    public NixSigningKey UpstreamKey { get; }

    public HttpClient Http { get; }

    public Uri Url => Http.BaseAddress!;

    public static async Task<GateFixture> StartAsync(IPathDecider decider, Func<NixSigningKey, NixCacheGateOptions>? options = null, TimeProvider? time = null, UpstreamCache? upstream = null)
    {
        string directory = Path.Combine(Path.GetTempPath(), $"attest-gate-test-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(Path.Combine(directory, "nar"));
        await File.WriteAllTextAsync(Path.Combine(directory, "nix-cache-info"), "StoreDir: /nix/store\n");
        var key = NixSigningKey.Generate("gate-test-1");
        var gateOptions = options?.Invoke(key) ?? new NixCacheGateOptions { SigningKey = key, Priority = 42 };
        var gate = new NixCacheGate(upstream ?? new FileUpstreamCache(directory), decider, gateOptions, time);
        WebApplication app = GateHost.Build(gate, "http://127.0.0.1:0", logging => logging.ClearProviders());
        await app.StartAsync();
        return new GateFixture(directory, gate, app, key, NixSigningKey.Generate("upstream-1"));
    }

    /// <summary>Writes a NAR file and a signed narinfo for a new store path into the upstream; returns the path, its NAR hash and the NAR bytes.</summary>
    public (StorePath Path, NixHash NarHash, byte[] Nar, string Url) AddPath(string name, int size = 1000)
    {
        byte[] nar = RandomNumberGenerator.GetBytes(size);
        StorePath path = StorePath.Create(SHA256.HashData(Encoding.UTF8.GetBytes(name + Guid.NewGuid())).AsSpan(0, StorePath.HashSize), name);
        NixHash narHash = NixHash.ComputeSha256(nar);
        string url = $"nar/{narHash.ToNix32()}.nar";
        File.WriteAllBytes(Path.Combine(Directory, url), nar);
        var info = new NarInfo
        {
            StorePath = path,
            Url = url,
            Compression = "none",
            FileHash = narHash,
            FileSize = nar.Length,
            NarHash = narHash,
            NarSize = nar.Length,
        }.Sign(UpstreamKey);
        WriteNarInfo(path.HashPart, info.Format());
        return (path, narHash, nar, url);
    }

    public void WriteNarInfo(string hashPart, string text) => File.WriteAllText(Path.Combine(Directory, hashPart + ".narinfo"), text);

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        Gate.Dispose();
        GateKey.Dispose();
        UpstreamKey.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Left for /tmp cleanup.
        }
    }
}
