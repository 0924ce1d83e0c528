namespace Attest.Provenance.Registry;

/// <summary>
/// The TPM attestation key (AK) a registry change of action <see cref="RegistryAction.AkBinding"/> binds to a builder
/// key, after the log's registrar checked the EK certificate and the agent proved (TPM2_ActivateCredential) that the AK
/// lives in the EK's TPM. Written as the payload member <c>tpm</c> (docs/formats.md).
/// </summary>
/// <param name="AkName">The AK's TPM Name (nameAlg ‖ H(TPMT_PUBLIC)), written as lowercase hex.</param>
/// <param name="AkPublic">The AK's <c>TPM2B_PUBLIC</c>, written as base64.</param>
/// <param name="EkName">The EK's Name (the AK's qualified name is derived from it), written as lowercase hex.</param>
/// <param name="EkCertificateSha256">SHA-256 of the EK certificate (DER), lowercase hex.</param>
public sealed record TpmAkBinding(
    ReadOnlyMemory<byte> AkName,
    ReadOnlyMemory<byte> AkPublic,
    ReadOnlyMemory<byte> EkName,
    string EkCertificateSha256)
{
    /// <summary>Longest TPM Name accepted (a SHA-512 name: 2 + 64 bytes).</summary>
    public const int MaxNameSize = 66;

    /// <summary>Largest <c>TPM2B_PUBLIC</c> accepted.</summary>
    public const int MaxPublicSize = 1024;
}
