using Attest.Tpm.Structures;

namespace Attest.Tpm.Keys;

/// <summary>
/// TPMT_PUBLIC templates: the TCG default EK templates (TCG EK Credential Profile 2.x §B.3.3, templates L-1 and
/// L-2) and the attestation keys this library creates.
/// </summary>
public static class TpmTemplates
{
    /// <summary>
    /// The EK's authPolicy for the low-range templates: PolicySecret(TPM_RH_ENDORSEMENT) with SHA-256
    /// (TCG EK Credential Profile §B.3.2, policy A).
    /// </summary>
    public static ReadOnlyMemory<byte> EkPolicySha256 { get; } = Convert.FromHexString("837197674484B3F81A90CC8D46A5D724FD52D76E06520B64F2A1DA1B331469AA");

    private static readonly TpmSymmetricDefinition EkSymmetric = new(TpmAlgorithm.Aes, 128, TpmAlgorithm.Cfb);

    /// <summary>EK attributes: fixedTPM, fixedParent, sensitiveDataOrigin, adminWithPolicy, restricted, decrypt (0x000300B2).</summary>
    public const TpmObjectAttributes EkAttributes = TpmObjectAttributes.FixedTpm | TpmObjectAttributes.FixedParent
        | TpmObjectAttributes.SensitiveDataOrigin | TpmObjectAttributes.AdminWithPolicy | TpmObjectAttributes.Restricted
        | TpmObjectAttributes.Decrypt;

    /// <summary>AK attributes: fixedTPM, fixedParent, sensitiveDataOrigin, userWithAuth, restricted, sign (0x00050072).</summary>
    public const TpmObjectAttributes AkAttributes = TpmObjectAttributes.FixedTpm | TpmObjectAttributes.FixedParent
        | TpmObjectAttributes.SensitiveDataOrigin | TpmObjectAttributes.UserWithAuth | TpmObjectAttributes.Restricted
        | TpmObjectAttributes.Sign;

    /// <summary>Template L-1: RSA-2048, AES-128-CFB, no scheme, exponent 0, unique = 256 zero bytes.</summary>
    public static byte[] EkRsa2048() =>
        TpmPublic.EncodeRsa(TpmAlgorithm.Sha256, EkAttributes, EkPolicySha256.Span, EkSymmetric, TpmScheme.None, 2048, 0, new byte[256]);

    /// <summary>Template L-2: ECC NIST P-256, AES-128-CFB, no scheme, no KDF, unique = two 32-byte zero coordinates.</summary>
    public static byte[] EkEccP256() =>
        TpmPublic.EncodeEcc(TpmAlgorithm.Sha256, EkAttributes, EkPolicySha256.Span, EkSymmetric, TpmScheme.None, TpmEccCurve.NistP256, TpmScheme.None, new byte[32], new byte[32]);

    /// <summary>The EK template for <paramref name="kind"/>.</summary>
    public static byte[] Ek(EndorsementKeyKind kind) => kind switch
    {
        EndorsementKeyKind.Rsa2048 => EkRsa2048(),
        EndorsementKeyKind.EccP256 => EkEccP256(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown EK kind."),
    };

    /// <summary>A restricted ECDSA P-256/SHA-256 signing key with an empty authValue and no policy; unique empty, the TPM fills it in.</summary>
    public static byte[] AkEcdsaP256() =>
        TpmPublic.EncodeEcc(TpmAlgorithm.Sha256, AkAttributes, [], TpmSymmetricDefinition.None, new(TpmAlgorithm.EcDsa, TpmAlgorithm.Sha256, 0), TpmEccCurve.NistP256, TpmScheme.None, [], []);

    /// <summary>A restricted RSA-2048 RSASSA/SHA-256 signing key with an empty authValue and no policy; unique empty.</summary>
    public static byte[] AkRsaSsa2048() =>
        TpmPublic.EncodeRsa(TpmAlgorithm.Sha256, AkAttributes, [], TpmSymmetricDefinition.None, new(TpmAlgorithm.RsaSsa, TpmAlgorithm.Sha256, 0), 2048, 0, []);

    /// <summary>The AK template for <paramref name="algorithm"/>.</summary>
    public static byte[] Ak(AttestationKeyAlgorithm algorithm) => algorithm switch
    {
        AttestationKeyAlgorithm.EcdsaP256 => AkEcdsaP256(),
        AttestationKeyAlgorithm.RsaSsa2048 => AkRsaSsa2048(),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Unknown AK algorithm."),
    };
}

/// <summary>Which TCG default EK template to use.</summary>
public enum EndorsementKeyKind
{
    /// <summary>Template L-1: RSA-2048 (certificate at NV 0x01C00002).</summary>
    Rsa2048,

    /// <summary>Template L-2: ECC NIST P-256 (certificate at NV 0x01C0000A).</summary>
    EccP256,
}

/// <summary>The attestation key's algorithm.</summary>
public enum AttestationKeyAlgorithm
{
    /// <summary>ECDSA over NIST P-256 with SHA-256 (the default: fast to create and verify).</summary>
    EcdsaP256,

    /// <summary>RSA-2048 RSASSA-PKCS1-v1_5 with SHA-256.</summary>
    RsaSsa2048,
}
