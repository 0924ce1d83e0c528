using Attest.Tpm.Marshalling;
using Attest.Tpm.Structures;

namespace Attest.Tpm.Internal;

/// <summary>
/// Encoders of the commands this library sends and decoders of their response parameters (TPM 2.0 Part 3).
/// Encoders return the whole framed command; decoders take the parameter area and must consume it exactly.
/// </summary>
internal static class TpmCommands
{
    public const int MaxName = TpmName.MaxSize;
    public const int MaxData = 2 + 64;
    public const int MaxDigest = TpmHash.MaxDigestSize;
    public const int MaxCreationData = 1024;
    public const int MaxNvBuffer = 4096;
    public const int MaxIdObject = 2 + 64 + 2 + 64;
    public const int MaxEncryptedSecret = 512;
    public const int MaxCapabilityCount = 1024;

    public static byte[] Startup(TpmStartupType type) =>
        TpmFraming.Command(TpmCommandCode.Startup, [], null, new TpmWriter(2).UInt16((ushort)type).WrittenSpan);

    public static byte[] GetCapability(TpmCapability capability, uint property, uint count) =>
        TpmFraming.Command(TpmCommandCode.GetCapability, [], null,
            new TpmWriter(12).UInt32((uint)capability).UInt32(property).UInt32(count).WrittenSpan);

    public static byte[] GetRandom(ushort count) =>
        TpmFraming.Command(TpmCommandCode.GetRandom, [], null, new TpmWriter(2).UInt16(count).WrittenSpan);

    public static byte[] CreatePrimary(uint hierarchy, TpmAuth auth, ReadOnlySpan<byte> template, ReadOnlySpan<byte> userAuth)
    {
        var p = new TpmWriter(template.Length + 32);
        int sensitive = p.BeginSized();        // TPM2B_SENSITIVE_CREATE (Part 2 §11.1.16)
        p.Sized(userAuth);                     // userAuth
        p.Sized([]);                           // data
        p.EndSized(sensitive);
        p.Sized(template);                     // inPublic: TPM2B_PUBLIC
        p.Sized([]);                           // outsideInfo
        p.UInt32(0);                           // creationPCR: empty TPML_PCR_SELECTION
        return TpmFraming.Command(TpmCommandCode.CreatePrimary, [hierarchy], [auth], p.WrittenSpan);
    }

    public static byte[] ReadPublic(uint handle) => TpmFraming.Command(TpmCommandCode.ReadPublic, [handle], null, []);

    public static byte[] PcrRead(PcrSelection selection)
    {
        var p = new TpmWriter(32);
        selection.WriteTo(p);
        return TpmFraming.Command(TpmCommandCode.PcrRead, [], null, p.WrittenSpan);
    }

    public static byte[] PcrExtend(int pcr, TpmAuth auth, IReadOnlyList<(TpmAlgorithm Hash, byte[] Digest)> digests)
    {
        var p = new TpmWriter(80);
        p.UInt32((uint)digests.Count);         // TPML_DIGEST_VALUES of TPMT_HA
        foreach ((TpmAlgorithm hash, byte[] digest) in digests)
        {
            if (TpmHash.DigestSize(hash) == 0 || digest.Length != TpmHash.DigestSize(hash))
            {
                throw new ArgumentException($"A {hash} digest is {TpmHash.DigestSize(hash)} bytes, not {digest.Length}.", nameof(digests));
            }

            p.UInt16((ushort)hash).Bytes(digest);
        }

        return TpmFraming.Command(TpmCommandCode.PcrExtend, [(uint)pcr], [auth], p.WrittenSpan);
    }

    public static byte[] Quote(uint signHandle, TpmAuth auth, ReadOnlySpan<byte> qualifyingData, PcrSelection selection)
    {
        var p = new TpmWriter(64);
        p.Sized(qualifyingData);
        p.UInt16((ushort)TpmAlgorithm.Null);   // inScheme: the key's own scheme
        selection.WriteTo(p);
        return TpmFraming.Command(TpmCommandCode.Quote, [signHandle], [auth], p.WrittenSpan);
    }

    // Part 3 §28.4: flushHandle is a parameter, not a handle, so the resource manager does not translate it.
    public static byte[] FlushContext(uint handle) =>
        TpmFraming.Command(TpmCommandCode.FlushContext, [], null, new TpmWriter(4).UInt32(handle).WrittenSpan);

    public static byte[] NvReadPublic(uint index) => TpmFraming.Command(TpmCommandCode.NvReadPublic, [index], null, []);

    public static byte[] NvRead(uint authHandle, uint index, TpmAuth auth, ushort size, ushort offset) =>
        TpmFraming.Command(TpmCommandCode.NvRead, [authHandle, index], [auth], new TpmWriter(4).UInt16(size).UInt16(offset).WrittenSpan);

    /// <summary>An unsalted, unbound policy session with no parameter encryption, hashing with <paramref name="authHash"/>.</summary>
    public static byte[] StartPolicySession(ReadOnlySpan<byte> nonceCaller, TpmAlgorithm authHash)
    {
        var p = new TpmWriter(48);
        p.Sized(nonceCaller);
        p.Sized([]);                           // encryptedSalt
        p.Byte(0x01);                          // TPM_SE_POLICY
        p.UInt16((ushort)TpmAlgorithm.Null);   // symmetric: TPMT_SYM_DEF with algorithm NULL
        p.UInt16((ushort)authHash);
        return TpmFraming.Command(TpmCommandCode.StartAuthSession, [TpmHandles.Null, TpmHandles.Null], null, p.WrittenSpan);
    }

    public static byte[] PolicySecret(uint authHandle, uint policySession, TpmAuth auth)
    {
        var p = new TpmWriter(12);
        p.Sized([]);                           // nonceTPM: not bound to the session nonce (no expiration)
        p.Sized([]);                           // cpHashA
        p.Sized([]);                           // policyRef
        p.UInt32(0);                           // expiration
        return TpmFraming.Command(TpmCommandCode.PolicySecret, [authHandle, policySession], [auth], p.WrittenSpan);
    }

    public static byte[] ActivateCredential(uint activateHandle, uint keyHandle, TpmAuth activateAuth, TpmAuth keyAuth,
        ReadOnlySpan<byte> credentialBlob, ReadOnlySpan<byte> secret)
    {
        var p = new TpmWriter(credentialBlob.Length + secret.Length + 4);
        p.Sized(credentialBlob);               // TPM2B_ID_OBJECT contents
        p.Sized(secret);                       // TPM2B_ENCRYPTED_SECRET contents
        return TpmFraming.Command(TpmCommandCode.ActivateCredential, [activateHandle, keyHandle], [activateAuth, keyAuth], p.WrittenSpan);
    }

    public static byte[] EvictControl(uint authHandle, uint objectHandle, TpmAuth auth, uint persistentHandle) =>
        TpmFraming.Command(TpmCommandCode.EvictControl, [authHandle, objectHandle], [auth], new TpmWriter(4).UInt32(persistentHandle).WrittenSpan);

    // ---- response parameter decoders ----

    public static byte[] DecodeGetRandom(ReadOnlySpan<byte> parameters)
    {
        var r = new TpmReader(parameters);
        byte[] bytes = r.ReadSized("randomBytes", MaxDigest).ToArray();
        r.EnsureEnd("TPM2_GetRandom response");
        return bytes;
    }

    public static (bool MoreData, PcrSelection Banks) DecodeCapabilityPcrs(ReadOnlySpan<byte> parameters) =>
        DecodeCapability(parameters, TpmCapability.Pcrs, PcrSelection.Read);

    public static (bool MoreData, IReadOnlyList<TpmTaggedProperty> Properties) DecodeCapabilityProperties(ReadOnlySpan<byte> parameters) =>
        DecodeCapability(parameters, TpmCapability.TpmProperties, static (ref TpmReader r) =>
        {
            var list = new TpmTaggedProperty[ReadCount(ref r, "TPML_TAGGED_TPM_PROPERTY.count", 8)];
            for (int i = 0; i < list.Length; i++)
            {
                list[i] = new TpmTaggedProperty((TpmProperty)r.ReadUInt32("property"), r.ReadUInt32("value"));
            }

            return (IReadOnlyList<TpmTaggedProperty>)list;
        });

    public static (bool MoreData, IReadOnlyList<uint> Handles) DecodeCapabilityHandles(ReadOnlySpan<byte> parameters) =>
        DecodeCapability(parameters, TpmCapability.Handles, static (ref TpmReader r) =>
        {
            var list = new uint[ReadCount(ref r, "TPML_HANDLE.count", 4)];
            for (int i = 0; i < list.Length; i++)
            {
                list[i] = r.ReadUInt32("handle");
            }

            return (IReadOnlyList<uint>)list;
        });

    /// <summary>GetCapability's response (Part 3 §30.2): moreData, then TPMS_CAPABILITY_DATA of the requested capability.</summary>
    private static (bool MoreData, T Data) DecodeCapability<T>(ReadOnlySpan<byte> parameters, TpmCapability expected, TpmStructureReader<T> readData)
    {
        var r = new TpmReader(parameters);
        byte more = r.ReadByte("moreData");
        if (more > 1)
        {
            TpmFormatException.Throw("moreData", 0, $"{more} is not a TPMI_YES_NO");
        }

        var capability = (TpmCapability)r.ReadUInt32("capabilityData.capability");
        if (capability != expected)
        {
            TpmFormatException.Throw("capabilityData.capability", 1, $"{capability} returned for a {expected} request");
        }

        T data = readData(ref r);
        r.EnsureEnd("TPM2_GetCapability response");
        return (more == 1, data);
    }

    public static CreatePrimaryResponse DecodeCreatePrimary(uint handle, ReadOnlySpan<byte> parameters)
    {
        var r = new TpmReader(parameters);
        TpmPublic publicArea = TpmPublic.ReadSized(ref r);
        ReadOnlySpan<byte> outPublic = r.ConsumedSince(0);
        r.ReadSized("creationData", MaxCreationData);
        r.ReadSized("creationHash", MaxDigest);
        r.ReadUInt16("creationTicket.tag");
        r.ReadUInt32("creationTicket.hierarchy");
        r.ReadSized("creationTicket.digest", MaxDigest);
        byte[] name = r.ReadSized("name", MaxName).ToArray();
        r.EnsureEnd("TPM2_CreatePrimary response");
        CheckName(publicArea, name, "name");
        return new CreatePrimaryResponse(handle, outPublic.ToArray(), publicArea, name);
    }

    public static ReadPublicResponse DecodeReadPublic(ReadOnlySpan<byte> parameters)
    {
        var r = new TpmReader(parameters);
        TpmPublic publicArea = TpmPublic.ReadSized(ref r);
        int publicEnd = r.Position;
        byte[] name = r.ReadSized("name", MaxName).ToArray();
        byte[] qualifiedName = r.ReadSized("qualifiedName", MaxName).ToArray();
        r.EnsureEnd("TPM2_ReadPublic response");
        CheckName(publicArea, name, "name");
        return new ReadPublicResponse(parameters[..publicEnd].ToArray(), publicArea, name, qualifiedName);
    }

    public static PcrReadResponse DecodePcrRead(ReadOnlySpan<byte> parameters)
    {
        var r = new TpmReader(parameters);
        uint counter = r.ReadUInt32("pcrUpdateCounter");
        PcrSelection selection = PcrSelection.Read(ref r);
        int countAt = r.Position;
        uint count = r.ReadUInt32("pcrValues.count");
        // Part 2 §10.9.2: TPML_DIGEST holds at most 8 digests.
        if (count > 8 || count != selection.Count)
        {
            throw new TpmFormatException($"pcrValues.count at offset {countAt}: {count} digests for {selection.Count} selected PCRs (at most 8).", "pcrValues.count", countAt);
        }

        var digests = new ReadOnlyMemory<byte>[count];
        int i = 0;
        foreach ((TpmAlgorithm hash, int _) in selection.Enumerate())
        {
            int at = r.Position;
            byte[] digest = r.ReadSized("pcrValues.digests", MaxDigest).ToArray();
            if (digest.Length != TpmHash.DigestSize(hash))
            {
                throw new TpmFormatException($"pcrValues.digests at offset {at}: {digest.Length} bytes for a {hash} PCR.", "pcrValues.digests", at);
            }

            digests[i++] = digest;
        }

        r.EnsureEnd("TPM2_PCR_Read response");
        return new PcrReadResponse(counter, selection, digests);
    }

    public static QuoteResponse DecodeQuote(ReadOnlySpan<byte> parameters)
    {
        var r = new TpmReader(parameters);
        int quotedAt = r.Position;
        ReadOnlySpan<byte> quoted = r.ReadSized("quoted", TpmAttest.MaxSize);
        int signatureAt = r.Position;
        TpmSignature signature = TpmSignature.Read(ref r);
        r.EnsureEnd("TPM2_Quote response");
        TpmAttest attest;
        try
        {
            attest = TpmAttest.Parse(quoted);
        }
        catch (TpmFormatException e)
        {
            throw new TpmFormatException($"quoted: {e.Message}", e.Field, e.Offset + quotedAt + 2);
        }

        return new QuoteResponse(quoted.ToArray(), parameters[signatureAt..].ToArray(), attest, signature);
    }

    public static NvPublic DecodeNvReadPublic(ReadOnlySpan<byte> parameters)
    {
        var r = new TpmReader(parameters);
        ReadOnlySpan<byte> inner = r.ReadSized("nvPublic", 2 + 4 + 2 + 4 + 2 + MaxDigest + 2);
        byte[] name = r.ReadSized("nvName", MaxName).ToArray();
        r.EnsureEnd("TPM2_NV_ReadPublic response");

        var n = new TpmReader(inner);
        uint index = n.ReadUInt32("nvPublic.nvIndex");
        var nameAlg = (TpmAlgorithm)n.ReadUInt16("nvPublic.nameAlg");
        uint attributes = n.ReadUInt32("nvPublic.attributes");
        byte[] policy = n.ReadSized("nvPublic.authPolicy", MaxDigest).ToArray();
        ushort dataSize = n.ReadUInt16("nvPublic.dataSize");
        n.EnsureEnd("TPMS_NV_PUBLIC");
        return new NvPublic(index, nameAlg, attributes, policy, dataSize, name);
    }

    public static byte[] DecodeNvRead(ReadOnlySpan<byte> parameters, int requested)
    {
        var r = new TpmReader(parameters);
        int at = r.Position;
        byte[] data = r.ReadSized("data", MaxNvBuffer).ToArray();
        r.EnsureEnd("TPM2_NV_Read response");
        if (data.Length != requested)
        {
            throw new TpmFormatException($"data at offset {at}: {data.Length} bytes returned for {requested} requested.", "data", at);
        }

        return data;
    }

    public static StartAuthSessionResponse DecodeStartAuthSession(uint handle, ReadOnlySpan<byte> parameters)
    {
        var r = new TpmReader(parameters);
        byte[] nonce = r.ReadSized("nonceTPM", MaxDigest).ToArray();
        r.EnsureEnd("TPM2_StartAuthSession response");
        return new StartAuthSessionResponse(handle, nonce);
    }

    public static PolicySecretResponse DecodePolicySecret(ReadOnlySpan<byte> parameters)
    {
        var r = new TpmReader(parameters);
        byte[] timeout = r.ReadSized("timeout", 8).ToArray();
        ushort tag = r.ReadUInt16("policyTicket.tag");
        uint hierarchy = r.ReadUInt32("policyTicket.hierarchy");
        byte[] digest = r.ReadSized("policyTicket.digest", MaxDigest).ToArray();
        r.EnsureEnd("TPM2_PolicySecret response");
        return new PolicySecretResponse(timeout, tag, hierarchy, digest);
    }

    public static byte[] DecodeActivateCredential(ReadOnlySpan<byte> parameters)
    {
        var r = new TpmReader(parameters);
        byte[] certInfo = r.ReadSized("certInfo", MaxDigest).ToArray();
        r.EnsureEnd("TPM2_ActivateCredential response");
        return certInfo;
    }

    public static void DecodeEmpty(ReadOnlySpan<byte> parameters, TpmCommandCode code)
    {
        if (!parameters.IsEmpty)
        {
            throw new TpmFormatException($"TPM2_{code} response at offset 0: {parameters.Length} unexpected parameter bytes.", "parameters", 0);
        }
    }

    private static int ReadCount(ref TpmReader r, string field, int elementSize)
    {
        int at = r.Position;
        uint count = r.ReadUInt32(field);
        if (count > MaxCapabilityCount || count * (long)elementSize > r.Remaining)
        {
            throw new TpmFormatException($"{field} at offset {at}: {count} entries do not fit the {r.Remaining} bytes that remain.", field, at);
        }

        return (int)count;
    }

    private static void CheckName(TpmPublic publicArea, ReadOnlySpan<byte> name, string field)
    {
        byte[] expected;
        try
        {
            expected = publicArea.ComputeName();
        }
        catch (NotSupportedException e)
        {
            throw new TpmFormatException($"{field}: {e.Message}", field, 0);
        }

        if (!expected.AsSpan().SequenceEqual(name))
        {
            throw new TpmFormatException($"{field}: the TPM's name does not match nameAlg || H(outPublic).", field, 0);
        }
    }
}
