using System.Security.Cryptography;
using System.Text;
using Attest.Nix;
using Attest.Provenance.Attestations;
using Attest.Provenance.Registry;
using Attest.Provenance.Signing;
using Attest.Tpm.Verification.Enrollment;
using Attest.Tpm.Verification.Evidence;
using Attest.Tpm.Verification.Tests.Support;
using Attest.Verifier.Bundles;
using Attest.Verifier.Logs;
using Attest.Verifier.Policy;
using Attest.Verifier.Tests.Verification;

namespace Attest.Verifier.Tests.Tpm;

/// <summary>An attestation key made in software (the TPM library's test support), with quotes over any statement.</summary>
internal sealed class SoftwareAk : IDisposable
{
    private readonly SoftwareTpm.Quote _tpm = new();

    public SoftwareAk()
    {
        byte[] publicArea = SoftwareTpm.EccPublic(_tpm.Key);
        PublicArea = [(byte)(publicArea.Length >> 8), (byte)publicArea.Length, .. publicArea];
        // TPM 2.0 Part 1 §16: Name = nameAlg (TPM_ALG_SHA256) || SHA-256(TPMT_PUBLIC).
        Name = [0x00, 0x0B, .. SHA256.HashData(publicArea)];
        EkName = [0x00, 0x0B, .. RandomNumberGenerator.GetBytes(32)];
    }

    public byte[] PublicArea { get; }

    public byte[] Name { get; }

    public byte[] EkName { get; }

    public string NameHex => Convert.ToHexStringLower(Name);

    public TpmAkBinding RegistryBinding => new(Name, PublicArea, EkName, Convert.ToHexStringLower(SHA256.HashData(EkName)));

    /// <summary>The sha256 PCR values every quote of this AK carries (the library's sample PCRs, seed 1).</summary>
    public static string PcrHex(int index) => Convert.ToHexStringLower(SHA256.HashData([1, (byte)index]));

    /// <summary>The <c>tpm</c> object of a quote with <paramref name="extraData"/> at TPM clock <paramref name="clock"/>.</summary>
    public byte[] Evidence(ReadOnlySpan<byte> extraData, ulong clock, uint resetCount = 2)
    {
        using var key = new AkBinding(Name, PublicArea, EkName, "00", "any", DateTimeOffset.UnixEpoch).CreateAttestationKey();
        var attest = SoftwareTpm.Attest(key.QualifiedNames[0].Span, extraData, new(clock, resetCount, 0, true), _tpm.Selection, SoftwareTpm.PcrDigest(_tpm.Selection, _tpm.Pcrs));
        var signature = SoftwareTpm.SignEcdsa(_tpm.Key, attest);
        return new TpmEvidence(attest, signature, _tpm.Pcrs, Name).ToJson();
    }

    public void Dispose() => _tpm.Dispose();
}

/// <summary>
/// An in-memory log with an admin key: registry changes (add, revoke, ak-binding) signed by it, and attestations by
/// builders with software TPM evidence; verified through an offline bundle, which is both an evidence and a registry source.
/// </summary>
internal sealed class TpmScenario : IDisposable
{
    private static readonly DateTimeOffset Time = new(2026, 11, 22, 18, 0, 0, TimeSpan.Zero);
    private readonly List<IdentityKey> _keys = [];
    private ulong _clock = 1000;

    public TpmScenario()
    {
        Admin = Key("log-admin");
        TpmBuilder = Key("tpm-builder");
        PlainBuilder = Key("plain-builder");
        Ak = new SoftwareAk();
    }

    public InMemoryLog Log { get; } = new("tpm.example/log");

    public IdentityKey Admin { get; }

    public IdentityKey TpmBuilder { get; }

    public IdentityKey PlainBuilder { get; }

    public SoftwareAk Ak { get; }

    public IdentityKey Key(string name)
    {
        var key = IdentityKey.Generate(name);
        _keys.Add(key);
        return key;
    }

    public ulong Register(IdentityKey builder) =>
        Log.Append(new RegistryChange(RegistryAction.Add, builder.PublicKey, "tests", null, Time, "new builder").ToLogEntry(Admin));

    public ulong Revoke(IdentityKey builder) =>
        Log.Append(new RegistryChange(RegistryAction.Revoke, builder.PublicKey, "tests", null, Time, "key lost").ToLogEntry(Admin));

    public ulong Bind(IdentityKey builder, SoftwareAk ak, IdentityKey? signedBy = null) =>
        Log.Append(new RegistryChange(RegistryAction.AkBinding, builder.PublicKey, "registrar", null, Time, "TPM enrollment")
        {
            AkBinding = ak.RegistryBinding,
        }.ToLogEntry(signedBy ?? Admin));

    /// <summary>Registers both builders and binds <see cref="Ak"/> to the TPM builder.</summary>
    public TpmScenario Enrolled()
    {
        Register(TpmBuilder);
        Register(PlainBuilder);
        Bind(TpmBuilder, Ak);
        return this;
    }

    /// <summary>
    /// Appends an attestation of <c>path</c> by <c>builder</c>, with a quote by <c>ak</c> when given, over <c>quoteOver</c>
    /// (default: the attestation's own statement digest) at TPM clock <c>clock</c> (default: later than the previous
    /// quote) and TPM <c>resetCount</c>, or with the given <c>evidence</c> object instead.
    /// </summary>
    public ulong Attest(
        IdentityKey builder, StorePath path, NixHash hash, SoftwareAk? ak, byte[]? quoteOver = null, ulong? clock = null, byte[]? evidence = null, uint resetCount = 2)
    {
        var envelope = TestAttestations.Statement(path, hash, builder.Name).Sign(builder);
        byte[] qualifyingData = quoteOver ?? AttestationDocument.ComputeTpmQualifyingData(envelope);
        byte[]? tpm = evidence ?? ak?.Evidence(qualifyingData, clock ?? (_clock += 10), resetCount);
        return Log.Append(AttestationDocument.Serialize(envelope, tpm));
    }

    /// <summary>The tpm object the attestation at <paramref name="index"/> carries.</summary>
    public byte[] EvidenceOf(ulong index)
    {
        var evidence = Log.Evidence(index, Log.Checkpoint());
        return AttestationDocument.Parse(evidence.Entry.Span).TpmEvidence!.Value.ToArray();
    }

    /// <summary>The whole log as an offline bundle (attestations and registry entries), proved against its current checkpoint.</summary>
    public OfflineBundle Bundle(bool withRegistry = true)
    {
        IReadOnlyList<LogEvidence> all = Log.All();
        return OfflineBundle.Create(
            all.Where(e => LogEntries.Classify(e.Entry.Span) == LogEntryKind.Attestation),
            withRegistry ? all.Where(e => LogEntries.Classify(e.Entry.Span) == LogEntryKind.RegistryChange) : []);
    }

    /// <summary>
    /// A policy naming both builders; <c>tpmRequiredPcrs</c> and <c>builderRequiredPcrs</c> are the JSON objects of the
    /// policy's and the TPM builder's <c>tpmRequiredPcrs</c> members, left out when null.
    /// </summary>
    public TrustPolicy Policy(
        bool requireTpm = true, int minAgreeing = 1, int minTpmAttested = 0, string? goldenValues = null, bool pinAdminKey = true, IdentityKey? adminKey = null,
        string? tpmRequiredPcrs = null, string? builderRequiredPcrs = null)
    {
        string golden = (goldenValues is null ? string.Empty : $",\"goldenValues\":{goldenValues}")
            + (tpmRequiredPcrs is null ? string.Empty : $",\"tpmRequiredPcrs\":{tpmRequiredPcrs}");
        string builderGolden = (goldenValues is null ? string.Empty : ",\"goldenValues\":\"tpm-machine\"")
            + (builderRequiredPcrs is null ? string.Empty : $",\"tpmRequiredPcrs\":{builderRequiredPcrs}");
        string admin = pinAdminKey ? $",\"adminKey\":\"{(adminKey ?? Admin).PublicKey}\"" : string.Empty;
        string json = "{\"version\":1,\"logs\":[{\"origin\":\"" + Log.Origin + "\",\"key\":\"" + Log.Verifier.Encode() + "\",\"url\":\"http://127.0.0.1:1/\"" + admin + "}],"
            + "\"builders\":[{\"name\":\"tpm-builder\",\"key\":\"" + TpmBuilder.PublicKey + "\",\"operator\":\"alice\",\"requireTpm\":" + (requireTpm ? "true" : "false") + builderGolden + "},"
            + "{\"name\":\"plain-builder\",\"key\":\"" + PlainBuilder.PublicKey + "\",\"operator\":\"bob\"}],"
            + $"\"quorum\":{{\"minAgreeing\":{minAgreeing},\"minOperators\":1,\"maxDissenting\":0,\"minTpmAttested\":{minTpmAttested}}}{golden}}}";
        return TrustPolicyReader.Parse(Encoding.UTF8.GetBytes(json));
    }

    /// <summary>A golden values document with one configuration "tpm-machine" requiring PCR 0 and 7 (as given).</summary>
    public static string GoldenValues(string pcr0, string pcr7) =>
        "{\"version\":1,\"configurations\":[{\"name\":\"tpm-machine\",\"pcrs\":{\"sha256\":{\"0\":\"" + pcr0 + "\",\"7\":\"" + pcr7 + "\"}}}]}";

    public void Dispose()
    {
        Ak.Dispose();
        foreach (IdentityKey key in _keys)
        {
            key.Dispose();
        }
    }
}
