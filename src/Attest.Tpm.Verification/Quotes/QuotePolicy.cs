using Attest.Tpm.Structures;

namespace Attest.Tpm.Verification.Quotes;

/// <summary>What a quote must cover and satisfy beyond its signature.</summary>
public sealed record QuotePolicy
{
    /// <summary>The default: sha256 PCRs 0-7 (firmware and boot loader measurements) and clockInfo.safe = 1.</summary>
    public static QuotePolicy Default { get; } = new();

    /// <summary>PCRs the quote's selection must include.</summary>
    public PcrSelection RequiredPcrs { get; init; } = PcrSelection.Sha256(0, 1, 2, 3, 4, 5, 6, 7);

    /// <summary>Whether clockInfo.safe must be 1.</summary>
    public bool RequireSafeClock { get; init; } = true;
}
