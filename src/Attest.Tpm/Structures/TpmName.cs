using System.Buffers.Binary;

namespace Attest.Tpm.Structures;

/// <summary>
/// Names and qualified names (TPM 2.0 Part 1 §16). An object's Name is nameAlg || H(TPMT_PUBLIC); its Qualified
/// Name is nameAlg || H(QN(parent) || Name), where a hierarchy's qualified name is its 4-byte handle. TPMS_ATTEST
/// carries the signer's qualified name, so it also proves which hierarchy and parent chain the AK hangs under.
/// </summary>
public static class TpmName
{
    /// <summary>The largest name: a UINT16 algorithm and a 64-byte digest (sizeof(TPMU_NAME)).</summary>
    public const int MaxSize = 2 + TpmHash.MaxDigestSize;

    /// <summary>Computes nameAlg || H_nameAlg(<paramref name="tpmtPublic"/>).</summary>
    /// <exception cref="NotSupportedException">The nameAlg is not SHA-1 or SHA-2.</exception>
    public static byte[] Compute(TpmAlgorithm nameAlg, ReadOnlySpan<byte> tpmtPublic)
    {
        if (!TpmHash.IsComputable(nameAlg))
        {
            throw new NotSupportedException($"Name algorithm 0x{(ushort)nameAlg:X4} is not supported.");
        }

        var name = new byte[2 + TpmHash.DigestSize(nameAlg)];
        BinaryPrimitives.WriteUInt16BigEndian(name, (ushort)nameAlg);
        TpmHash.Hash(nameAlg, tpmtPublic, name.AsSpan(2));
        return name;
    }

    /// <summary>Whether <paramref name="name"/> is an algorithm-prefixed digest of a known hash (a TPMT_HA-shaped Name).</summary>
    public static bool IsDigestName(ReadOnlySpan<byte> name) =>
        name.Length >= 2 && name.Length == 2 + TpmHash.DigestSize((TpmAlgorithm)BinaryPrimitives.ReadUInt16BigEndian(name));

    /// <summary>The name (and qualified name) of a permanent handle such as a hierarchy: the handle itself.</summary>
    public static byte[] OfHandle(uint handle)
    {
        var name = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(name, handle);
        return name;
    }

    /// <summary>QN(object) = nameAlg || H_nameAlg(QN(parent) || Name(object)), nameAlg taken from the object's name.</summary>
    /// <exception cref="ArgumentException">The object name is not an algorithm-prefixed SHA-1/SHA-2 digest.</exception>
    public static byte[] Qualify(ReadOnlySpan<byte> parentQualifiedName, ReadOnlySpan<byte> objectName)
    {
        if (objectName.Length < 2)
        {
            throw new ArgumentException("An object name starts with its UINT16 nameAlg.", nameof(objectName));
        }

        var nameAlg = (TpmAlgorithm)BinaryPrimitives.ReadUInt16BigEndian(objectName);
        if (!TpmHash.IsComputable(nameAlg) || !IsDigestName(objectName))
        {
            throw new ArgumentException("The object name is not a SHA-1/SHA-2 name of the right length.", nameof(objectName));
        }

        Span<byte> buffer = stackalloc byte[(2 * MaxSize) + 4];
        int length = parentQualifiedName.Length + objectName.Length;
        if (length > buffer.Length)
        {
            throw new ArgumentException("The parent qualified name is too long.", nameof(parentQualifiedName));
        }

        parentQualifiedName.CopyTo(buffer);
        objectName.CopyTo(buffer[parentQualifiedName.Length..]);
        var qualified = new byte[objectName.Length];
        BinaryPrimitives.WriteUInt16BigEndian(qualified, (ushort)nameAlg);
        TpmHash.Hash(nameAlg, buffer[..length], qualified.AsSpan(2));
        return qualified;
    }

    /// <summary>
    /// The qualified names an AK in the endorsement hierarchy can have: as a primary key
    /// (QN = H(TPM_RH_ENDORSEMENT || AK)) and, when <paramref name="ekName"/> is given, as a child of that primary
    /// EK (QN = H(H(TPM_RH_ENDORSEMENT || EK) || AK), as tpm2_createak makes it).
    /// </summary>
    public static IReadOnlyList<byte[]> EndorsementQualifiedNames(ReadOnlySpan<byte> akName, ReadOnlySpan<byte> ekName)
    {
        byte[] hierarchy = OfHandle(TpmHandles.Endorsement);
        var names = new List<byte[]>(2) { Qualify(hierarchy, akName) };
        if (!ekName.IsEmpty)
        {
            names.Add(Qualify(Qualify(hierarchy, ekName), akName));
        }

        return names;
    }
}
