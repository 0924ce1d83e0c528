namespace Attest.Transparency.Notes;

/// <summary>Signature type identifier bytes this library implements (c2sp.org/signed-note, "Signature types").</summary>
public enum NoteSignatureType : byte
{
    /// <summary>0x01: Ed25519 over the note text.</summary>
    Ed25519 = 0x01,

    /// <summary>0x04: timestamped Ed25519 witness cosignatures (c2sp.org/tlog-cosignature).</summary>
    CosignatureEd25519 = 0x04,
}
