using System.Diagnostics.CodeAnalysis;

namespace Attest.Provenance.Attestations;

/// <summary>A document the log may append: structurally valid and signed by an active registered builder.</summary>
/// <param name="Document">The parsed document; its <see cref="AttestationDocument.CanonicalBytes"/> are the leaf.</param>
/// <param name="Builder">The registered builder whose key signed it (indexed as <c>builder</c>).</param>
public sealed record AdmittedAttestation(AttestationDocument Document, RegisteredBuilder Builder);

/// <summary>
/// The log's admission check for submitted attestations, in order: size (413), JSON, envelope, payload type,
/// statement, predicate type, subjects, predicate (400), key registration (403), signature over the PAE (401).
/// Nothing is admitted unless every check passes.
/// </summary>
public static class AttestationAdmission
{
    /// <summary>Admits a submission or says why not.</summary>
    /// <param name="body">The request body.</param>
    /// <param name="keys">The builder registry.</param>
    /// <param name="admitted">The admitted document on success.</param>
    /// <param name="error">Why it was refused (with HTTP status and field), on failure.</param>
    /// <param name="options">Limits; <see cref="AttestationOptions.Default"/> when null.</param>
    /// <returns>Whether the document is admitted.</returns>
    public static bool TryAdmit(
        ReadOnlySpan<byte> body,
        IBuilderKeyResolver keys,
        [NotNullWhen(true)] out AdmittedAttestation? admitted,
        [NotNullWhen(false)] out DocumentError? error,
        AttestationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(keys);
        admitted = null;
        if (!AttestationDocument.TryParse(body, out var document, out error, options) ||
            !document.TryVerify(keys, out var builder, out error))
        {
            return false;
        }

        admitted = new AdmittedAttestation(document, builder);
        return true;
    }

    /// <summary>Admits a submission or throws.</summary>
    /// <param name="body">The request body.</param>
    /// <param name="keys">The builder registry.</param>
    /// <param name="options">Limits; <see cref="AttestationOptions.Default"/> when null.</param>
    /// <returns>The admitted document.</returns>
    /// <exception cref="DocumentException">The document is refused.</exception>
    public static AdmittedAttestation Admit(ReadOnlySpan<byte> body, IBuilderKeyResolver keys, AttestationOptions? options = null)
    {
        if (!TryAdmit(body, keys, out var admitted, out var error, options))
        {
            throw new DocumentException(error);
        }

        return admitted;
    }
}
