using System.Security.Cryptography;
using Attest.Tpm.Structures;

namespace Attest.Tpm.Verification.Quotes;

/// <summary>
/// An enrolled attestation key, imported once for fast repeated verification: its public area, Name, the
/// qualified names a quote's qualifiedSigner may carry, and the imported .NET key. Verification only reads
/// immutable public-key state, so one instance may be shared by concurrent verifications.
/// </summary>
public sealed class AttestationKey : IDisposable
{
    private readonly RSA? _rsa;
    private readonly ECDsa? _ecdsa;
    private readonly byte[][] _qualifiedNames;
    private readonly byte[] _name;

    private AttestationKey(TpmPublic publicArea, byte[] name, byte[][] qualifiedNames, RSA? rsa, ECDsa? ecdsa)
    {
        Public = publicArea;
        _name = name;
        _qualifiedNames = qualifiedNames;
        _rsa = rsa;
        _ecdsa = ecdsa;
    }

    /// <summary>The AK's public area.</summary>
    public TpmPublic Public { get; }

    /// <summary>The AK's Name.</summary>
    public ReadOnlyMemory<byte> Name => _name;

    /// <summary>The qualified names accepted as the quote's qualifiedSigner.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> QualifiedNames => [.. _qualifiedNames.Select(n => (ReadOnlyMemory<byte>)n)];

    /// <summary>The size of an ECDSA r or s for this key's curve (0 for RSA).</summary>
    internal int EcdsaFieldSize => Public.EccCurve switch
    {
        TpmEccCurve.NistP256 => 32,
        TpmEccCurve.NistP384 => 48,
        TpmEccCurve.NistP521 => 66,
        _ => 0,
    };

    /// <summary>
    /// Imports an AK. <paramref name="qualifiedNames"/> are the qualifiedSigner values a quote may carry; when
    /// empty, the endorsement-hierarchy qualified names of <see cref="TpmName.EndorsementQualifiedNames"/> for
    /// <paramref name="ekName"/> are used.
    /// </summary>
    /// <exception cref="ArgumentException">The key is not a supported RSA or ECC signing key.</exception>
    public static AttestationKey Create(TpmPublic publicArea, ReadOnlySpan<byte> ekName = default, IEnumerable<ReadOnlyMemory<byte>>? qualifiedNames = null)
    {
        ArgumentNullException.ThrowIfNull(publicArea);
        byte[] name;
        try
        {
            name = publicArea.ComputeName();
        }
        catch (NotSupportedException e)
        {
            throw new ArgumentException(e.Message, nameof(publicArea), e);
        }

        byte[][] qns = qualifiedNames is null ? [] : [.. qualifiedNames.Select(q => q.ToArray())];
        if (qns.Length == 0)
        {
            qns = [.. TpmName.EndorsementQualifiedNames(name, ekName)];
        }

        try
        {
            return publicArea.Type == TpmAlgorithm.Rsa
                ? new AttestationKey(publicArea, name, qns, publicArea.CreateRsa(), null)
                : new AttestationKey(publicArea, name, qns, null, publicArea.CreateECDsa());
        }
        catch (Exception e) when (e is CryptographicException or InvalidOperationException)
        {
            throw new ArgumentException($"The AK public key cannot be imported: {e.Message}", nameof(publicArea), e);
        }
    }

    /// <summary>Whether <paramref name="qualifiedSigner"/> is one of the accepted qualified names.</summary>
    public bool MatchesQualifiedSigner(ReadOnlySpan<byte> qualifiedSigner)
    {
        foreach (byte[] qn in _qualifiedNames)
        {
            if (qualifiedSigner.SequenceEqual(qn))
            {
                return true;
            }
        }

        return false;
    }

    internal bool VerifyRsaSsa(ReadOnlySpan<byte> hash, ReadOnlySpan<byte> signature) =>
        _rsa is not null && _rsa.VerifyHash(hash, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);

    internal bool VerifyEcdsa(ReadOnlySpan<byte> hash, ReadOnlySpan<byte> rs) =>
        _ecdsa is not null && _ecdsa.VerifyHash(hash, rs, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    /// <inheritdoc/>
    public void Dispose()
    {
        _rsa?.Dispose();
        _ecdsa?.Dispose();
    }
}
