using Attest.Tpm.Structures;

namespace Attest.Tpm;

/// <summary>TPM2_CreatePrimary's result (TPM 2.0 Part 3 §24.1).</summary>
/// <param name="Handle">The transient handle of the new object.</param>
/// <param name="Public">outPublic as the TPM returned it: TPM2B_PUBLIC bytes, size prefix included.</param>
/// <param name="PublicArea">outPublic parsed.</param>
/// <param name="Name">The object's name (nameAlg || H(TPMT_PUBLIC)), checked against <paramref name="Public"/>.</param>
public sealed record CreatePrimaryResponse(uint Handle, ReadOnlyMemory<byte> Public, TpmPublic PublicArea, ReadOnlyMemory<byte> Name);

/// <summary>TPM2_ReadPublic's result (TPM 2.0 Part 3 §12.4).</summary>
/// <param name="Public">outPublic: TPM2B_PUBLIC bytes, size prefix included.</param>
/// <param name="PublicArea">outPublic parsed.</param>
/// <param name="Name">The object's name, checked against <paramref name="Public"/>.</param>
/// <param name="QualifiedName">The qualified name (H(parent's qualified name || name)).</param>
public sealed record ReadPublicResponse(ReadOnlyMemory<byte> Public, TpmPublic PublicArea, ReadOnlyMemory<byte> Name, ReadOnlyMemory<byte> QualifiedName);

/// <summary>TPM2_PCR_Read's result for one call (TPM 2.0 Part 3 §22.4): the TPM returns at most 8 digests.</summary>
/// <param name="UpdateCounter">pcrUpdateCounter.</param>
/// <param name="SelectionOut">The PCRs the digests belong to, in order.</param>
/// <param name="Digests">The digests in <paramref name="SelectionOut"/> order.</param>
public sealed record PcrReadResponse(uint UpdateCounter, PcrSelection SelectionOut, IReadOnlyList<ReadOnlyMemory<byte>> Digests);

/// <summary>TPM2_Quote's result (TPM 2.0 Part 3 §18.4).</summary>
/// <param name="Attest">The TPMS_ATTEST bytes (the contents of TPM2B_ATTEST quoted, without its size: what was signed).</param>
/// <param name="Signature">The TPMT_SIGNATURE bytes.</param>
/// <param name="ParsedAttest"><paramref name="Attest"/> parsed.</param>
/// <param name="ParsedSignature"><paramref name="Signature"/> parsed.</param>
public sealed record QuoteResponse(ReadOnlyMemory<byte> Attest, ReadOnlyMemory<byte> Signature, TpmAttest ParsedAttest, TpmSignature ParsedSignature);

/// <summary>TPM2_NV_ReadPublic's result (TPM 2.0 Part 3 §31.6, TPMS_NV_PUBLIC Part 2 §13.5).</summary>
/// <param name="Index">nvIndex.</param>
/// <param name="NameAlg">nameAlg.</param>
/// <param name="Attributes">TPMA_NV attributes.</param>
/// <param name="AuthPolicy">authPolicy.</param>
/// <param name="DataSize">dataSize: the bytes the index holds.</param>
/// <param name="Name">nvName.</param>
public sealed record NvPublic(uint Index, TpmAlgorithm NameAlg, uint Attributes, ReadOnlyMemory<byte> AuthPolicy, int DataSize, ReadOnlyMemory<byte> Name);

/// <summary>TPM2_StartAuthSession's result (TPM 2.0 Part 3 §11.1).</summary>
/// <param name="Handle">The session handle.</param>
/// <param name="NonceTpm">nonceTPM.</param>
public sealed record StartAuthSessionResponse(uint Handle, ReadOnlyMemory<byte> NonceTpm);

/// <summary>TPM2_PolicySecret's result (TPM 2.0 Part 3 §23.4).</summary>
/// <param name="Timeout">timeout (empty when expiration was 0).</param>
/// <param name="TicketTag">policyTicket.tag.</param>
/// <param name="TicketHierarchy">policyTicket.hierarchy.</param>
/// <param name="TicketDigest">policyTicket.digest.</param>
public sealed record PolicySecretResponse(ReadOnlyMemory<byte> Timeout, ushort TicketTag, uint TicketHierarchy, ReadOnlyMemory<byte> TicketDigest);

/// <summary>One TPM property from TPM2_GetCapability(TPM_CAP_TPM_PROPERTIES) (TPMS_TAGGED_PROPERTY).</summary>
/// <param name="Property">The property.</param>
/// <param name="Value">Its value.</param>
public readonly record struct TpmTaggedProperty(TpmProperty Property, uint Value);
