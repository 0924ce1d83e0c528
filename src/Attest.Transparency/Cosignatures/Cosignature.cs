using System.Buffers.Binary;
using Attest.Transparency.Notes;

namespace Attest.Transparency.Cosignatures;

/// <summary>
/// The decoded payload of an Ed25519 cosignature line (c2sp.org/tlog-cosignature): <c>timestamped_signature</c>, a
/// big-endian u64 POSIX timestamp followed by the 64-byte Ed25519 signature.
/// </summary>
/// <param name="Name">The cosigner name.</param>
/// <param name="KeyId">The key ID (computed with type byte 0x04).</param>
/// <param name="Timestamp">Seconds since the Unix epoch at which the cosigner signed.</param>
public readonly record struct Cosignature(string Name, NoteKeyId KeyId, ulong Timestamp)
{
    /// <summary>The timestamp as a date and time (UTC).</summary>
    public DateTimeOffset Time => DateTimeOffset.FromUnixTimeSeconds((long)Math.Min(Timestamp, (ulong)DateTimeOffset.MaxValue.ToUnixTimeSeconds()));

    /// <summary>
    /// Reads the timestamp of a signature line shaped like an Ed25519 cosignature (72 bytes after the key ID, a
    /// timestamp not above 2^63-1). This does not verify the signature: use a <see cref="CosignatureVerifier"/>.
    /// </summary>
    public static bool TryDecode(NoteSignature signature, out Cosignature cosignature)
    {
        cosignature = default;
        if (signature.Name is null || signature.Signature.Length != CosignatureMessage.PayloadSize)
        {
            return false;
        }

        ulong timestamp = BinaryPrimitives.ReadUInt64BigEndian(signature.Signature);
        if (timestamp > CosignatureMessage.MaxTimestamp)
        {
            return false;
        }

        cosignature = new Cosignature(signature.Name, signature.KeyId, timestamp);
        return true;
    }
}
