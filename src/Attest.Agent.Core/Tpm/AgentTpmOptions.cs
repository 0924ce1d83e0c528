using System.Text.Json.Serialization;
using Attest.Tpm.Keys;
using Attest.Tpm.Structures;

namespace Attest.Agent.Core.Tpm;

/// <summary>The agent's TPM settings (configuration member <c>tpm</c>); absent means no TPM evidence.</summary>
public sealed record AgentTpmOptions
{
    /// <summary>The persistent handle the AK is kept at when none is configured (owner-chosen range, TPM 2.0 Part 2 §7.5).</summary>
    public const uint DefaultAkHandle = 0x8101_0002;

    /// <summary>The TPM as a TCTI string: <c>device:/dev/tpmrm0</c>, <c>swtpm:host=127.0.0.1,port=2321</c>.</summary>
    public required string Tcti { get; init; }

    /// <summary>The PCRs quoted, tpm2-tools style (default <c>sha256:0-7,11</c>: firmware, boot loader, Secure Boot, and systemd's PCR 11).</summary>
    public string Pcrs { get; init; } = "sha256:0-7,11";

    /// <summary>The AK's persistent handle.</summary>
    public uint AkHandle { get; init; } = DefaultAkHandle;

    /// <summary>The AK's algorithm (created at enrollment when the handle is empty).</summary>
    [JsonConverter(typeof(JsonStringEnumConverter<AttestationKeyAlgorithm>))]
    public AttestationKeyAlgorithm AkAlgorithm { get; init; } = AttestationKeyAlgorithm.EcdsaP256;

    /// <summary>The EK the AK is enrolled under (its certificate is read from the TCG NV index).</summary>
    [JsonConverter(typeof(JsonStringEnumConverter<EndorsementKeyKind>))]
    public EndorsementKeyKind EkKind { get; init; } = EndorsementKeyKind.Rsa2048;

    /// <summary>A persistent EK handle to use instead of creating the EK from its template, or null.</summary>
    public uint? EkHandle { get; init; }

    /// <summary>The boot event log attached to each quote when readable.</summary>
    public string EventLogPath { get; init; } = "/sys/kernel/security/tpm0/binary_bios_measurements";

    /// <summary>Whether the event log itself goes into the evidence (otherwise only its SHA-256).</summary>
    public bool IncludeEventLog { get; init; } = true;

    /// <summary>Whether the hook fails (exit non-zero, with <c>failBuildOnError</c>) when no quote can be taken, instead of spooling without evidence.</summary>
    public bool Required { get; init; }

    /// <summary>The parsed PCR selection.</summary>
    /// <exception cref="FormatException"><see cref="Pcrs"/> is not a selection.</exception>
    public PcrSelection ParsePcrs() => PcrSelection.Parse(Pcrs);

    /// <summary>Checks the settings; returns the first problem or null.</summary>
    public string? Validate()
    {
        if (string.IsNullOrWhiteSpace(Tcti))
        {
            return "tpm.tcti is required (e.g. device:/dev/tpmrm0).";
        }

        try
        {
            if (ParsePcrs().Banks.Count == 0)
            {
                return "tpm.pcrs selects no PCR.";
            }
        }
        catch (FormatException e)
        {
            return $"tpm.pcrs '{Pcrs}' is not a PCR selection: {e.Message}";
        }

        if (AkHandle is < 0x8101_0000 or > 0x8101_7FFF)
        {
            return $"tpm.akHandle 0x{AkHandle:x8} is not a persistent handle in the endorsement range 0x81010000-0x81017fff.";
        }

        return Path.IsPathFullyQualified(EventLogPath) ? null : "tpm.eventLogPath must be an absolute path.";
    }
}
