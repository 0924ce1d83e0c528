using Attest.Tpm.Structures;

namespace Attest.Tpm.Verification.Enrollment;

/// <summary>What the registrar requires of EKs and AKs (TCG EK Credential Profile §2.2; go-attestation's AK checks).</summary>
public static class KeyRequirements
{
    /// <summary>Attributes an AK must have: fixedTPM, fixedParent, sensitiveDataOrigin, restricted, sign.</summary>
    public const TpmObjectAttributes AkRequired = TpmObjectAttributes.FixedTpm | TpmObjectAttributes.FixedParent
        | TpmObjectAttributes.SensitiveDataOrigin | TpmObjectAttributes.Restricted | TpmObjectAttributes.Sign;

    /// <summary>Attributes an EK must have: fixedTPM, fixedParent, sensitiveDataOrigin, restricted, decrypt.</summary>
    public const TpmObjectAttributes EkRequired = TpmObjectAttributes.FixedTpm | TpmObjectAttributes.FixedParent
        | TpmObjectAttributes.SensitiveDataOrigin | TpmObjectAttributes.Restricted | TpmObjectAttributes.Decrypt;

    /// <summary>
    /// Every way <paramref name="ak"/> falls short of an attestation key: the attributes above and no decrypt; nameAlg
    /// SHA-256; ECDSA P-256 with SHA-256 or RSA-2048 RSASSA with SHA-256; no symmetric algorithm; an importable key.
    /// </summary>
    public static IReadOnlyList<string> CheckAttestationKey(TpmPublic ak)
    {
        ArgumentNullException.ThrowIfNull(ak);
        var problems = new List<string>();
        foreach (TpmObjectAttributes flag in Enum.GetValues<TpmObjectAttributes>())
        {
            if (flag != TpmObjectAttributes.None && AkRequired.HasFlag(flag) && !ak.Attributes.HasFlag(flag))
            {
                problems.Add($"AK attribute {flag} is not set");
            }
        }

        if (ak.Attributes.HasFlag(TpmObjectAttributes.Decrypt))
        {
            problems.Add("AK attribute Decrypt is set");
        }

        if (ak.NameAlg != TpmAlgorithm.Sha256)
        {
            problems.Add($"AK nameAlg 0x{(ushort)ak.NameAlg:X4} is not SHA-256");
        }

        if (ak.Symmetric.Algorithm != TpmAlgorithm.Null)
        {
            problems.Add("AK has a symmetric algorithm (a signing key has none)");
        }

        if (ak.Type == TpmAlgorithm.Ecc)
        {
            if (ak.EccCurve != TpmEccCurve.NistP256 || ak.Scheme != new TpmScheme(TpmAlgorithm.EcDsa, TpmAlgorithm.Sha256, 0))
            {
                problems.Add("ECC AK is not P-256 with ECDSA-SHA256");
            }
            else
            {
                try
                {
                    using System.Security.Cryptography.ECDsa key = ak.CreateECDsa();
                }
                catch (System.Security.Cryptography.CryptographicException)
                {
                    problems.Add("ECC AK's public point is not on P-256");
                }
            }
        }
        else if (ak.RsaKeyBits != 2048 || ak.Scheme != new TpmScheme(TpmAlgorithm.RsaSsa, TpmAlgorithm.Sha256, 0))
        {
            problems.Add("RSA AK is not RSA-2048 with RSASSA-SHA256");
        }

        return problems;
    }

    /// <summary>Every way <paramref name="ek"/> falls short of an endorsement key MakeCredential can target.</summary>
    public static IReadOnlyList<string> CheckEndorsementKey(TpmPublic ek)
    {
        ArgumentNullException.ThrowIfNull(ek);
        var problems = new List<string>();
        if ((ek.Attributes & EkRequired) != EkRequired)
        {
            problems.Add($"EK attributes 0x{(uint)ek.Attributes:X8} lack fixedTPM, fixedParent, sensitiveDataOrigin, restricted or decrypt");
        }

        if (ek.Attributes.HasFlag(TpmObjectAttributes.Sign))
        {
            problems.Add("EK attribute Sign is set");
        }

        if (ek.Type == TpmAlgorithm.Ecc && ek.EccCurve is not (TpmEccCurve.NistP256 or TpmEccCurve.NistP384 or TpmEccCurve.NistP521))
        {
            problems.Add($"ECC EK curve 0x{(ushort)ek.EccCurve:X4} is not a NIST curve");
        }

        if (ek.Symmetric.Algorithm != TpmAlgorithm.Aes || ek.Symmetric.Mode != TpmAlgorithm.Cfb)
        {
            problems.Add("EK symmetric algorithm is not AES-CFB");
        }

        return problems;
    }
}
