using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using Attest.Transparency.Notes;
using Org.BouncyCastle.Crypto.Parameters;

namespace Attest.Transparency.Cosignatures;

/// <summary>
/// A witness's Ed25519 cosigner (signature type 0x04, c2sp.org/tlog-cosignature). Each signature carries the time
/// of signing from the signer's <see cref="TimeProvider"/>, in whole seconds since the Unix epoch.
/// </summary>
public sealed class CosignatureSigner : NoteSigner
{
    private readonly Ed25519PrivateKeyParameters _key;
    private readonly TimeProvider _timeProvider;

    internal CosignatureSigner(string name, Ed25519PrivateKeyParameters key, TimeProvider timeProvider)
        : base(new CosignatureVerifier(name, key.GeneratePublicKey()))
    {
        _key = key;
        _timeProvider = timeProvider;
    }

    /// <summary>The matching cosignature verifier key.</summary>
    public new CosignatureVerifier Verifier => (CosignatureVerifier)base.Verifier;

    /// <summary>Generates a new random cosigner key with the given name.</summary>
    /// <param name="name">The cosigner name, ideally a schema-less URL.</param>
    /// <param name="timeProvider">The clock for timestamps; the system clock when null.</param>
    public static CosignatureSigner Generate(string name, TimeProvider? timeProvider = null) =>
        new(name, Ed25519Core.GeneratePrivateKey(), timeProvider ?? TimeProvider.System);

    /// <summary>Creates a cosigner from its name and 32-byte Ed25519 seed.</summary>
    public static CosignatureSigner FromSeed(string name, ReadOnlySpan<byte> seed, TimeProvider? timeProvider = null) =>
        seed.Length == Ed25519Core.SeedSize
            ? new(name, Ed25519Core.PrivateKeyFromSeed(seed), timeProvider ?? TimeProvider.System)
            : throw CosignatureError.BadSeed(nameof(seed));

    /// <summary>Reads a private key <c>PRIVATE+KEY+name+hash+base64(0x04||seed)</c>.</summary>
    /// <exception cref="FormatException">The key is malformed or not a cosignature key.</exception>
    public static new CosignatureSigner Import(string privateKey, TimeProvider? timeProvider = null) =>
        TryImport(privateKey, out var signer, out string? error, timeProvider) ? signer : throw CosignatureError.Format(error);

    /// <summary>Reads a private key of type 0x04, reporting what is wrong on failure.</summary>
    public static bool TryImport(
        string? privateKey,
        [NotNullWhen(true)] out CosignatureSigner? signer,
        [NotNullWhen(false)] out string? error,
        TimeProvider? timeProvider = null)
    {
        signer = null;
        if (!NoteSigner.TryImport(privateKey, out var any, out error, timeProvider))
        {
            return false;
        }

        signer = any as CosignatureSigner;
        if (signer is null)
        {
            error = CosignatureError.NotCosignatureKey((byte)any.Verifier.SignatureType);
            return false;
        }

        return true;
    }

    /// <summary>Cosigns a checkpoint text at the current time of the signer's clock.</summary>
    public override byte[] Sign(ReadOnlySpan<byte> text)
    {
        long seconds = _timeProvider.GetUtcNow().ToUnixTimeSeconds();
        if (seconds < 0)
        {
            throw CosignatureError.ClockBeforeEpoch();
        }

        return Sign(text, (ulong)seconds);
    }

    /// <summary>Cosigns a checkpoint text with an explicit POSIX timestamp (seconds).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The timestamp exceeds 2^63-1.</exception>
    public byte[] Sign(ReadOnlySpan<byte> text, ulong timestamp)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(timestamp, CosignatureMessage.MaxTimestamp);
        byte[] message = CosignatureMessage.Build(timestamp, text);
        var payload = new byte[CosignatureMessage.PayloadSize];
        BinaryPrimitives.WriteUInt64BigEndian(payload, timestamp);
        Ed25519Core.Sign(_key, message, payload.AsSpan(8));
        return payload;
    }

    /// <inheritdoc/>
    public override string ExportPrivateKey() => ExportSeed(Name, KeyId, NoteSignatureType.CosignatureEd25519, _key);
}
