using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Attest.Transparency.Notes;

/// <summary>
/// The 32-bit key ID that starts every note signature: the first four bytes, big-endian, of
/// SHA-256(key name || 0x0A || signature type || public key) (c2sp.org/signed-note, "Signatures").
/// </summary>
/// <param name="Value">The key ID as an unsigned integer.</param>
public readonly record struct NoteKeyId(uint Value)
{
    /// <summary>Computes the key ID of a key from its name, signature type byte and encoded public key.</summary>
    /// <param name="name">The key name.</param>
    /// <param name="signatureType">The signature type byte (0x01 Ed25519, 0x04 Ed25519 cosignature).</param>
    /// <param name="publicKey">The encoded public key (32 bytes for Ed25519).</param>
    public static NoteKeyId Compute(string name, byte signatureType, ReadOnlySpan<byte> publicKey)
    {
        ArgumentNullException.ThrowIfNull(name);
        int nameLength = Encoding.UTF8.GetByteCount(name);
        int total = nameLength + 2 + publicKey.Length;
        byte[]? rented = null;
        Span<byte> buffer = total <= 512 ? stackalloc byte[total] : (rented = new byte[total]);
        Encoding.UTF8.GetBytes(name, buffer);
        buffer[nameLength] = (byte)'\n';
        buffer[nameLength + 1] = signatureType;
        publicKey.CopyTo(buffer[(nameLength + 2)..]);
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(buffer[..total], digest);
        return new NoteKeyId(BinaryPrimitives.ReadUInt32BigEndian(digest));
    }

    /// <summary>Parses the eight lowercase or uppercase hexadecimal digits used in encoded keys.</summary>
    public static bool TryParseHex(ReadOnlySpan<char> text, out NoteKeyId keyId)
    {
        keyId = default;
        foreach (char c in text)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        if (text.Length != 8 || !uint.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint value))
        {
            return false;
        }

        keyId = new NoteKeyId(value);
        return true;
    }

    /// <summary>The key ID as eight lowercase hexadecimal digits, as in encoded keys.</summary>
    public override string ToString() => Value.ToString("x8", CultureInfo.InvariantCulture);
}
