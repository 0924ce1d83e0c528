namespace Attest.Tpm;

/// <summary>TPM_CC: the command codes this library sends (TPM 2.0 Part 2 §6.5.2).</summary>
public enum TpmCommandCode : uint
{
    /// <summary>TPM2_EvictControl.</summary>
    EvictControl = 0x0000_0120,

    /// <summary>TPM2_CreatePrimary.</summary>
    CreatePrimary = 0x0000_0131,

    /// <summary>TPM2_Startup.</summary>
    Startup = 0x0000_0144,

    /// <summary>TPM2_Shutdown.</summary>
    Shutdown = 0x0000_0145,

    /// <summary>TPM2_ActivateCredential.</summary>
    ActivateCredential = 0x0000_0147,

    /// <summary>TPM2_NV_Read.</summary>
    NvRead = 0x0000_014E,

    /// <summary>TPM2_PolicySecret.</summary>
    PolicySecret = 0x0000_0151,

    /// <summary>TPM2_Quote.</summary>
    Quote = 0x0000_0158,

    /// <summary>TPM2_FlushContext.</summary>
    FlushContext = 0x0000_0165,

    /// <summary>TPM2_NV_ReadPublic.</summary>
    NvReadPublic = 0x0000_0169,

    /// <summary>TPM2_ReadPublic.</summary>
    ReadPublic = 0x0000_0173,

    /// <summary>TPM2_StartAuthSession.</summary>
    StartAuthSession = 0x0000_0176,

    /// <summary>TPM2_GetCapability.</summary>
    GetCapability = 0x0000_017A,

    /// <summary>TPM2_GetRandom.</summary>
    GetRandom = 0x0000_017B,

    /// <summary>TPM2_PCR_Read.</summary>
    PcrRead = 0x0000_017E,

    /// <summary>TPM2_PCR_Extend.</summary>
    PcrExtend = 0x0000_0182,
}

/// <summary>TPM_ALG_ID values used here (TPM 2.0 Part 2 §6.3, TCG Algorithm Registry).</summary>
public enum TpmAlgorithm : ushort
{
    /// <summary>TPM_ALG_ERROR.</summary>
    Error = 0x0000,

    /// <summary>TPM_ALG_RSA.</summary>
    Rsa = 0x0001,

    /// <summary>TPM_ALG_SHA1.</summary>
    Sha1 = 0x0004,

    /// <summary>TPM_ALG_HMAC.</summary>
    Hmac = 0x0005,

    /// <summary>TPM_ALG_AES.</summary>
    Aes = 0x0006,

    /// <summary>TPM_ALG_KEYEDHASH.</summary>
    KeyedHash = 0x0008,

    /// <summary>TPM_ALG_XOR.</summary>
    Xor = 0x000A,

    /// <summary>TPM_ALG_SHA256.</summary>
    Sha256 = 0x000B,

    /// <summary>TPM_ALG_SHA384.</summary>
    Sha384 = 0x000C,

    /// <summary>TPM_ALG_SHA512.</summary>
    Sha512 = 0x000D,

    /// <summary>TPM_ALG_NULL.</summary>
    Null = 0x0010,

    /// <summary>TPM_ALG_SM3_256.</summary>
    Sm3_256 = 0x0012,

    /// <summary>TPM_ALG_SM4.</summary>
    Sm4 = 0x0013,

    /// <summary>TPM_ALG_RSASSA (PKCS#1 v1.5 signatures).</summary>
    RsaSsa = 0x0014,

    /// <summary>TPM_ALG_RSAES.</summary>
    RsaEs = 0x0015,

    /// <summary>TPM_ALG_RSAPSS.</summary>
    RsaPss = 0x0016,

    /// <summary>TPM_ALG_OAEP.</summary>
    Oaep = 0x0017,

    /// <summary>TPM_ALG_ECDSA.</summary>
    EcDsa = 0x0018,

    /// <summary>TPM_ALG_ECDH.</summary>
    EcDh = 0x0019,

    /// <summary>TPM_ALG_ECDAA.</summary>
    EcDaa = 0x001A,

    /// <summary>TPM_ALG_SM2.</summary>
    Sm2 = 0x001B,

    /// <summary>TPM_ALG_ECSCHNORR.</summary>
    EcSchnorr = 0x001C,

    /// <summary>TPM_ALG_ECMQV.</summary>
    EcMqv = 0x001D,

    /// <summary>TPM_ALG_KDF1_SP800_56A.</summary>
    Kdf1Sp800_56A = 0x0020,

    /// <summary>TPM_ALG_KDF2.</summary>
    Kdf2 = 0x0021,

    /// <summary>TPM_ALG_KDF1_SP800_108.</summary>
    Kdf1Sp800_108 = 0x0022,

    /// <summary>TPM_ALG_ECC.</summary>
    Ecc = 0x0023,

    /// <summary>TPM_ALG_SYMCIPHER.</summary>
    SymCipher = 0x0025,

    /// <summary>TPM_ALG_CAMELLIA.</summary>
    Camellia = 0x0026,

    /// <summary>TPM_ALG_SHA3_256.</summary>
    Sha3_256 = 0x0027,

    /// <summary>TPM_ALG_SHA3_384.</summary>
    Sha3_384 = 0x0028,

    /// <summary>TPM_ALG_SHA3_512.</summary>
    Sha3_512 = 0x0029,

    /// <summary>TPM_ALG_CFB.</summary>
    Cfb = 0x0043,
}

/// <summary>TPM_ECC_CURVE values (TPM 2.0 Part 2 §6.4).</summary>
public enum TpmEccCurve : ushort
{
    /// <summary>TPM_ECC_NONE.</summary>
    None = 0x0000,

    /// <summary>TPM_ECC_NIST_P256.</summary>
    NistP256 = 0x0003,

    /// <summary>TPM_ECC_NIST_P384.</summary>
    NistP384 = 0x0004,

    /// <summary>TPM_ECC_NIST_P521.</summary>
    NistP521 = 0x0005,
}

/// <summary>TPM_SU: the startup type (TPM 2.0 Part 2 §6.9).</summary>
public enum TpmStartupType : ushort
{
    /// <summary>TPM_SU_CLEAR: a TPM Reset or Restart.</summary>
    Clear = 0x0000,

    /// <summary>TPM_SU_STATE: a TPM Resume.</summary>
    State = 0x0001,
}

/// <summary>TPM_CAP values (TPM 2.0 Part 2 §6.12).</summary>
public enum TpmCapability : uint
{
    /// <summary>TPM_CAP_ALGS.</summary>
    Algorithms = 0x0000_0000,

    /// <summary>TPM_CAP_HANDLES.</summary>
    Handles = 0x0000_0001,

    /// <summary>TPM_CAP_COMMANDS.</summary>
    Commands = 0x0000_0002,

    /// <summary>TPM_CAP_PCRS.</summary>
    Pcrs = 0x0000_0005,

    /// <summary>TPM_CAP_TPM_PROPERTIES.</summary>
    TpmProperties = 0x0000_0006,
}

/// <summary>TPM_PT values this library reads (TPM 2.0 Part 2 §6.13; PT_FIXED = 0x100).</summary>
public enum TpmProperty : uint
{
    /// <summary>TPM_PT_FAMILY_INDICATOR: "2.0" as a 4-byte string.</summary>
    FamilyIndicator = 0x0000_0100,

    /// <summary>TPM_PT_MANUFACTURER: the vendor ID as a 4-byte string.</summary>
    Manufacturer = 0x0000_0105,

    /// <summary>TPM_PT_FIRMWARE_VERSION_1: high 32 bits of the firmware version.</summary>
    FirmwareVersion1 = 0x0000_010B,

    /// <summary>TPM_PT_FIRMWARE_VERSION_2: low 32 bits of the firmware version.</summary>
    FirmwareVersion2 = 0x0000_010C,

    /// <summary>TPM_PT_INPUT_BUFFER: the largest TPM2B_MAX_BUFFER accepted.</summary>
    InputBuffer = 0x0000_010D,

    /// <summary>TPM_PT_PCR_COUNT: number of PCRs.</summary>
    PcrCount = 0x0000_0112,

    /// <summary>TPM_PT_MAX_DIGEST: size of the largest digest the TPM produces.</summary>
    MaxDigest = 0x0000_0120,

    /// <summary>TPM_PT_NV_BUFFER_MAX: the largest NV_Read/NV_Write data size.</summary>
    NvBufferMax = 0x0000_012C,
}

/// <summary>Permanent handles and handle ranges (TPM 2.0 Part 2 §7).</summary>
public static class TpmHandles
{
    /// <summary>TPM_RH_OWNER: the storage (owner) hierarchy.</summary>
    public const uint Owner = 0x4000_0001;

    /// <summary>TPM_RH_NULL.</summary>
    public const uint Null = 0x4000_0007;

    /// <summary>TPM_RS_PW: the password authorization session.</summary>
    public const uint Password = 0x4000_0009;

    /// <summary>TPM_RH_LOCKOUT.</summary>
    public const uint Lockout = 0x4000_000A;

    /// <summary>TPM_RH_ENDORSEMENT: the endorsement hierarchy.</summary>
    public const uint Endorsement = 0x4000_000B;

    /// <summary>TPM_RH_PLATFORM.</summary>
    public const uint Platform = 0x4000_000C;

    /// <summary>TCG EK Credential Profile §2.2.1.4: NV index of the RSA-2048 EK certificate.</summary>
    public const uint EkCertificateRsa2048 = 0x01C0_0002;

    /// <summary>TCG EK Credential Profile §2.2.1.4: NV index of the ECC NIST P-256 EK certificate.</summary>
    public const uint EkCertificateEccP256 = 0x01C0_000A;

    /// <summary>TCG EK Credential Profile §2.2.1.5: NV index of the ECC NIST P-384 EK certificate (swtpm's second EK).</summary>
    public const uint EkCertificateEccP384 = 0x01C0_0016;

    /// <summary>TCG TPM v2.0 Provisioning Guidance §7.8: the conventional persistent handle of the RSA EK.</summary>
    public const uint PersistentEkRsa = 0x8101_0001;

    /// <summary>Default persistent handle for the attestation key created by this library.</summary>
    public const uint DefaultPersistentAk = 0x8101_0002;

    /// <summary>TPM_HT_NV_INDEX in the top byte.</summary>
    public const byte TypeNvIndex = 0x01;

    /// <summary>TPM_HT_HMAC_SESSION in the top byte.</summary>
    public const byte TypeHmacSession = 0x02;

    /// <summary>TPM_HT_POLICY_SESSION in the top byte.</summary>
    public const byte TypePolicySession = 0x03;

    /// <summary>TPM_HT_PERMANENT in the top byte.</summary>
    public const byte TypePermanent = 0x40;

    /// <summary>TPM_HT_TRANSIENT in the top byte.</summary>
    public const byte TypeTransient = 0x80;

    /// <summary>TPM_HT_PERSISTENT in the top byte.</summary>
    public const byte TypePersistent = 0x81;

    /// <summary>The handle type (top byte) of <paramref name="handle"/>.</summary>
    public static byte TypeOf(uint handle) => (byte)(handle >> 24);

    /// <summary>True for a persistent object handle in the owner range 0x81000000-0x817FFFFF (Part 2 §7.5).</summary>
    public static bool IsOwnerPersistent(uint handle) => handle is >= 0x8100_0000 and <= 0x817F_FFFF;
}

/// <summary>TPMA_OBJECT bits (TPM 2.0 Part 2 §8.3).</summary>
[Flags]
public enum TpmObjectAttributes : uint
{
    /// <summary>No attributes.</summary>
    None = 0,

    /// <summary>fixedTPM: the object cannot be duplicated.</summary>
    FixedTpm = 1u << 1,

    /// <summary>stClear.</summary>
    StClear = 1u << 2,

    /// <summary>fixedParent.</summary>
    FixedParent = 1u << 4,

    /// <summary>sensitiveDataOrigin: the TPM generated the sensitive part.</summary>
    SensitiveDataOrigin = 1u << 5,

    /// <summary>userWithAuth: USER role by authValue.</summary>
    UserWithAuth = 1u << 6,

    /// <summary>adminWithPolicy: ADMIN role by policy only.</summary>
    AdminWithPolicy = 1u << 7,

    /// <summary>noDA.</summary>
    NoDa = 1u << 10,

    /// <summary>encryptedDuplication.</summary>
    EncryptedDuplication = 1u << 11,

    /// <summary>restricted.</summary>
    Restricted = 1u << 16,

    /// <summary>decrypt.</summary>
    Decrypt = 1u << 17,

    /// <summary>sign / encrypt.</summary>
    Sign = 1u << 18,
}

/// <summary>TPM_ST structure tags (TPM 2.0 Part 2 §6.9).</summary>
internal static class TpmSt
{
    public const ushort RspCommand = 0x00C4;
    public const ushort NoSessions = 0x8001;
    public const ushort Sessions = 0x8002;
}
