namespace Attest.Nix.Nar;

/// <summary>The hash and size of a NAR serialisation, as in narinfo <c>NarHash</c>/<c>NarSize</c>.</summary>
/// <param name="Hash">SHA-256 of the NAR bytes.</param>
/// <param name="Size">Length of the NAR in bytes.</param>
public readonly record struct NarHashResult(NixHash Hash, long Size);
