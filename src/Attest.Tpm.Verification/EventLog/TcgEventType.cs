namespace Attest.Tpm.Verification.EventLog;

/// <summary>Event types of the TCG PC Client Platform Firmware Profile (§10.4.1) used by the verifier.</summary>
public static class TcgEventType
{
    /// <summary>EV_PREBOOT_CERT.</summary>
    public const uint PrebootCert = 0x00000000;

    /// <summary>EV_POST_CODE.</summary>
    public const uint PostCode = 0x00000001;

    /// <summary>EV_NO_ACTION: informational, never extended into a PCR.</summary>
    public const uint NoAction = 0x00000003;

    /// <summary>EV_SEPARATOR: the digest is of the event data.</summary>
    public const uint Separator = 0x00000004;

    /// <summary>EV_ACTION: the digest is of the action string in the event data.</summary>
    public const uint Action = 0x00000005;

    /// <summary>EV_EVENT_TAG.</summary>
    public const uint EventTag = 0x00000006;

    /// <summary>EV_S_CRTM_CONTENTS.</summary>
    public const uint SCrtmContents = 0x00000007;

    /// <summary>EV_S_CRTM_VERSION.</summary>
    public const uint SCrtmVersion = 0x00000008;

    /// <summary>EV_CPU_MICROCODE.</summary>
    public const uint CpuMicrocode = 0x00000009;

    /// <summary>EV_PLATFORM_CONFIG_FLAGS.</summary>
    public const uint PlatformConfigFlags = 0x0000000A;

    /// <summary>EV_TABLE_OF_DEVICES.</summary>
    public const uint TableOfDevices = 0x0000000B;

    /// <summary>EV_COMPACT_HASH.</summary>
    public const uint CompactHash = 0x0000000C;

    /// <summary>EV_IPL.</summary>
    public const uint Ipl = 0x0000000D;

    /// <summary>EV_IPL_PARTITION_DATA.</summary>
    public const uint IplPartitionData = 0x0000000E;

    /// <summary>EV_NONHOST_CODE.</summary>
    public const uint NonhostCode = 0x0000000F;

    /// <summary>EV_NONHOST_CONFIG.</summary>
    public const uint NonhostConfig = 0x00000010;

    /// <summary>EV_NONHOST_INFO.</summary>
    public const uint NonhostInfo = 0x00000011;

    /// <summary>EV_OMIT_BOOT_DEVICE_EVENTS.</summary>
    public const uint OmitBootDeviceEvents = 0x00000012;

    /// <summary>EV_EFI_VARIABLE_DRIVER_CONFIG: digest of the UEFI_VARIABLE_DATA.</summary>
    public const uint EfiVariableDriverConfig = 0x80000001;

    /// <summary>EV_EFI_VARIABLE_BOOT.</summary>
    public const uint EfiVariableBoot = 0x80000002;

    /// <summary>EV_EFI_BOOT_SERVICES_APPLICATION: digest of the PE image, not of the event data.</summary>
    public const uint EfiBootServicesApplication = 0x80000003;

    /// <summary>EV_EFI_BOOT_SERVICES_DRIVER.</summary>
    public const uint EfiBootServicesDriver = 0x80000004;

    /// <summary>EV_EFI_RUNTIME_SERVICES_DRIVER.</summary>
    public const uint EfiRuntimeServicesDriver = 0x80000005;

    /// <summary>EV_EFI_GPT_EVENT.</summary>
    public const uint EfiGptEvent = 0x80000006;

    /// <summary>EV_EFI_ACTION: digest of the action string.</summary>
    public const uint EfiAction = 0x80000007;

    /// <summary>EV_EFI_PLATFORM_FIRMWARE_BLOB.</summary>
    public const uint EfiPlatformFirmwareBlob = 0x80000008;

    /// <summary>EV_EFI_HANDOFF_TABLES.</summary>
    public const uint EfiHandoffTables = 0x80000009;

    /// <summary>EV_EFI_PLATFORM_FIRMWARE_BLOB2.</summary>
    public const uint EfiPlatformFirmwareBlob2 = 0x8000000A;

    /// <summary>EV_EFI_HANDOFF_TABLES2.</summary>
    public const uint EfiHandoffTables2 = 0x8000000B;

    /// <summary>EV_EFI_VARIABLE_BOOT2.</summary>
    public const uint EfiVariableBoot2 = 0x8000000C;

    /// <summary>EV_EFI_HCRTM_EVENT.</summary>
    public const uint EfiHcrtmEvent = 0x80000010;

    /// <summary>EV_EFI_VARIABLE_AUTHORITY.</summary>
    public const uint EfiVariableAuthority = 0x800000E0;

    /// <summary>
    /// Types whose digest the PC Client PFP defines unambiguously as the hash of the event data (§10.4.1:
    /// EV_SEPARATOR, EV_ACTION, EV_EFI_ACTION). For these a digest that does not match the data is a tampered
    /// log, not a firmware quirk.
    /// </summary>
    public static bool DigestMustCoverData(uint eventType) => eventType is Separator or Action or EfiAction;

    /// <summary>The specification name of <paramref name="eventType"/>, or its hex value.</summary>
    public static string Name(uint eventType) => eventType switch
    {
        PrebootCert => "EV_PREBOOT_CERT",
        PostCode => "EV_POST_CODE",
        NoAction => "EV_NO_ACTION",
        Separator => "EV_SEPARATOR",
        Action => "EV_ACTION",
        EventTag => "EV_EVENT_TAG",
        SCrtmContents => "EV_S_CRTM_CONTENTS",
        SCrtmVersion => "EV_S_CRTM_VERSION",
        CpuMicrocode => "EV_CPU_MICROCODE",
        PlatformConfigFlags => "EV_PLATFORM_CONFIG_FLAGS",
        TableOfDevices => "EV_TABLE_OF_DEVICES",
        CompactHash => "EV_COMPACT_HASH",
        Ipl => "EV_IPL",
        IplPartitionData => "EV_IPL_PARTITION_DATA",
        NonhostCode => "EV_NONHOST_CODE",
        NonhostConfig => "EV_NONHOST_CONFIG",
        NonhostInfo => "EV_NONHOST_INFO",
        OmitBootDeviceEvents => "EV_OMIT_BOOT_DEVICE_EVENTS",
        EfiVariableDriverConfig => "EV_EFI_VARIABLE_DRIVER_CONFIG",
        EfiVariableBoot => "EV_EFI_VARIABLE_BOOT",
        EfiBootServicesApplication => "EV_EFI_BOOT_SERVICES_APPLICATION",
        EfiBootServicesDriver => "EV_EFI_BOOT_SERVICES_DRIVER",
        EfiRuntimeServicesDriver => "EV_EFI_RUNTIME_SERVICES_DRIVER",
        EfiGptEvent => "EV_EFI_GPT_EVENT",
        EfiAction => "EV_EFI_ACTION",
        EfiPlatformFirmwareBlob => "EV_EFI_PLATFORM_FIRMWARE_BLOB",
        EfiHandoffTables => "EV_EFI_HANDOFF_TABLES",
        EfiPlatformFirmwareBlob2 => "EV_EFI_PLATFORM_FIRMWARE_BLOB2",
        EfiHandoffTables2 => "EV_EFI_HANDOFF_TABLES2",
        EfiVariableBoot2 => "EV_EFI_VARIABLE_BOOT2",
        EfiHcrtmEvent => "EV_EFI_HCRTM_EVENT",
        EfiVariableAuthority => "EV_EFI_VARIABLE_AUTHORITY",
        _ => $"0x{eventType:X8}",
    };

    /// <summary>Parses a name written by <see cref="Name"/> (specification name or 0x-prefixed hex).</summary>
    public static bool TryParse(string? text, out uint eventType)
    {
        eventType = 0;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        if (text.StartsWith("0x", StringComparison.Ordinal))
        {
            return uint.TryParse(text.AsSpan(2), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out eventType);
        }

        for (uint candidate = 0; candidate <= 0x12; candidate++)
        {
            if (Name(candidate) == text)
            {
                eventType = candidate;
                return true;
            }
        }

        foreach (uint candidate in (ReadOnlySpan<uint>)[0x80000001, 0x80000002, 0x80000003, 0x80000004, 0x80000005, 0x80000006, 0x80000007,
            0x80000008, 0x80000009, 0x8000000A, 0x8000000B, 0x8000000C, 0x80000010, 0x800000E0])
        {
            if (Name(candidate) == text)
            {
                eventType = candidate;
                return true;
            }
        }

        return false;
    }
}
