namespace Attest.Nix;

/// <summary>Hash algorithms Nix names in hashes, store paths and .drv files.</summary>
public enum NixHashAlgorithm
{
    /// <summary>MD5 (16 bytes), <c>md5</c>; accepted in legacy fixed-output derivations only.</summary>
    Md5 = 1,

    /// <summary>SHA-1 (20 bytes), <c>sha1</c>.</summary>
    Sha1 = 2,

    /// <summary>SHA-256 (32 bytes), <c>sha256</c>; NAR hashes and store path computation.</summary>
    Sha256 = 3,

    /// <summary>SHA-512 (64 bytes), <c>sha512</c>.</summary>
    Sha512 = 4,
}

/// <summary>Text encodings of a hash digest Nix reads and writes.</summary>
public enum NixHashEncoding
{
    /// <summary>Nix's base-32 (<see cref="Nix32"/>), as in <c>sha256:1b8m...</c>.</summary>
    Nix32 = 0,

    /// <summary>Lower-case hexadecimal, as in <c>sha256:9f86d0...</c>.</summary>
    Base16 = 1,

    /// <summary>Padded standard base64, as in <c>sha256:n4bQ...=</c>.</summary>
    Base64 = 2,

    /// <summary>Subresource Integrity form <c>sha256-&lt;base64&gt;</c>; always carries the algorithm.</summary>
    Sri = 3,
}
