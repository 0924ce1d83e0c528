using Attest.Tpm.Structures;

namespace Attest.Tpm.Keys;

/// <summary>An endorsement key loaded in the TPM.</summary>
/// <param name="Handle">Its handle: transient (created from a template, flush when done) or persistent.</param>
/// <param name="Public">TPM2B_PUBLIC bytes as the TPM returned them.</param>
/// <param name="PublicArea">The parsed public area.</param>
/// <param name="Name">nameAlg || H(TPMT_PUBLIC).</param>
public sealed record EndorsementKey(uint Handle, ReadOnlyMemory<byte> Public, TpmPublic PublicArea, ReadOnlyMemory<byte> Name)
{
    /// <summary>True when <see cref="Handle"/> is transient and should be flushed after use.</summary>
    public bool IsTransient => TpmHandles.TypeOf(Handle) == TpmHandles.TypeTransient;

    /// <summary>
    /// The NV index where the TCG EK Credential Profile (§2.2.1.4/5) puts the certificate for this key's
    /// algorithm: 0x01C00002 (RSA-2048), 0x01C0000A (ECC P-256), 0x01C00016 (ECC P-384).
    /// </summary>
    public uint CertificateIndex => PublicArea.Type == TpmAlgorithm.Rsa ? TpmHandles.EkCertificateRsa2048
        : PublicArea.EccCurve == TpmEccCurve.NistP384 ? TpmHandles.EkCertificateEccP384
        : TpmHandles.EkCertificateEccP256;
}

/// <summary>
/// An attestation key (restricted signing key in the endorsement hierarchy) loaded in the TPM, as the quoting side
/// holds it. The verifying side's imported key is <c>Attest.Tpm.Verification.Quotes.AttestationKey</c>.
/// </summary>
/// <param name="Handle">Its handle (persistent once <c>EnsureAttestationKeyAsync</c> returns).</param>
/// <param name="Public">TPM2B_PUBLIC bytes as the TPM returned them.</param>
/// <param name="PublicArea">The parsed public area.</param>
/// <param name="Name">nameAlg || H(TPMT_PUBLIC): what MakeCredential binds to and what the registrar records.</param>
public sealed record LoadedAttestationKey(uint Handle, ReadOnlyMemory<byte> Public, TpmPublic PublicArea, ReadOnlyMemory<byte> Name);
