using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using Attest.Nix.Signing;

namespace Attest.Nix.BinaryCache;

/// <summary>
/// A binary cache <c>.narinfo</c>: the metadata of one store path (<c>StorePath</c>, <c>URL</c>,
/// <c>Compression</c>, <c>FileHash</c>, <c>FileSize</c>, <c>NarHash</c>, <c>NarSize</c>, <c>References</c>,
/// <c>Deriver</c>, <c>System</c>, <c>Sig</c>, <c>CA</c>).
/// </summary>
/// <remarks>
/// Parsing follows Nix's <c>NarInfo</c> constructor: <c>Key: value</c> lines ending in <c>\n</c>; StorePath, URL,
/// NarHash and a positive NarSize are required; Compression defaults to <c>bzip2</c>; <c>Deriver: unknown-deriver</c>
/// means none; unknown keys are kept in <see cref="UnknownFields"/>. Stricter than Nix: repeated single-valued keys,
/// invalid store paths or hashes, and inputs over <see cref="MaxSize"/> bytes or <see cref="MaxReferences"/>
/// references are refused. <see cref="Format"/> writes Nix's field order.
/// </remarks>
public sealed record NarInfo
{
    /// <summary>Largest narinfo text accepted, in characters.</summary>
    public const int MaxSize = 4 * 1024 * 1024;

    /// <summary>Largest number of references accepted.</summary>
    public const int MaxReferences = 100_000;

    /// <summary>Largest number of signatures accepted.</summary>
    public const int MaxSignatures = 1_000;

    /// <summary>The store path described.</summary>
    public required StorePath StorePath { get; init; }

    /// <summary>The (usually relative) URL of the compressed NAR, such as <c>nar/&lt;hash&gt;.nar.xz</c>.</summary>
    public required string Url { get; init; }

    /// <summary>The compression of the file at <see cref="Url"/>: <c>xz</c>, <c>bzip2</c>, <c>zstd</c>, <c>none</c>, ...</summary>
    public string Compression { get; init; } = "bzip2";

    /// <summary>SHA-256 of the compressed file, or an empty hash when absent.</summary>
    public NixHash FileHash { get; init; }

    /// <summary>Size of the compressed file, or null when absent.</summary>
    public long? FileSize { get; init; }

    /// <summary>SHA-256 of the NAR serialisation.</summary>
    public required NixHash NarHash { get; init; }

    /// <summary>Size of the NAR serialisation.</summary>
    public required long NarSize { get; init; }

    /// <summary>The store paths this path references.</summary>
    public IReadOnlyList<StorePath> References { get; init; } = [];

    /// <summary>The derivation that produced this path, or an empty path when unknown.</summary>
    public StorePath Deriver { get; init; }

    /// <summary>The system the path was built for, or null.</summary>
    public string? System { get; init; }

    /// <summary>Signatures <c>keyname:base64</c> over the path's fingerprint.</summary>
    public IReadOnlyList<string> Signatures { get; init; } = [];

    /// <summary>The content address (<c>fixed:r:sha256:...</c>, <c>text:sha256:...</c>), or null.</summary>
    public string? ContentAddress { get; init; }

    /// <summary>Fields Nix does not know, kept in order so <see cref="Format"/> preserves them.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> UnknownFields { get; init; } = [];

    /// <summary>The fingerprint signatures cover; see <see cref="PathFingerprint"/>.</summary>
    /// <returns>The fingerprint text.</returns>
    public string GetFingerprint() => PathFingerprint.Compute(StorePath, NarHash, NarSize, References);

    /// <summary>Returns a copy with a signature by <paramref name="key"/> added (replacing one by the same key name).</summary>
    /// <param name="key">The signing key.</param>
    /// <returns>The signed narinfo.</returns>
    public NarInfo Sign(NixSigningKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var signature = key.Sign(Encoding.UTF8.GetBytes(GetFingerprint()));
        var others = Signatures.Where(s => !s.StartsWith(key.Name + ":", StringComparison.Ordinal));
        return this with { Signatures = [.. others, signature] };
    }

    /// <summary>Checks the signatures against trusted keys.</summary>
    /// <param name="trustedKeys">The keys to accept signatures from.</param>
    /// <returns>Which trusted keys signed validly, and why the others did not count.</returns>
    public NarInfoSignatureVerdict VerifySignatures(IEnumerable<NixPublicKey> trustedKeys)
    {
        ArgumentNullException.ThrowIfNull(trustedKeys);
        var keys = trustedKeys.ToList();
        var fingerprint = Encoding.UTF8.GetBytes(GetFingerprint());
        var valid = new List<string>();
        var reasons = new List<string>();
        foreach (var signature in Signatures)
        {
            if (!NixPublicKey.TrySplitSignature(signature, out var name, out _))
            {
                reasons.Add($"Signature '{Shorten(signature)}' is not of the form keyname:base64(64 bytes).");
                continue;
            }

            var key = keys.FirstOrDefault(k => k.Name == name);
            if (key is null)
            {
                reasons.Add($"Signature by '{name}' is not from a trusted key.");
            }
            else if (!key.Verify(fingerprint, signature))
            {
                reasons.Add($"Signature by '{name}' does not verify over the fingerprint of {StorePath}.");
            }
            else if (!valid.Contains(name))
            {
                valid.Add(name);
            }
        }

        if (Signatures.Count == 0)
        {
            reasons.Add($"{StorePath} carries no signatures.");
        }

        return new NarInfoSignatureVerdict(valid, reasons);
    }

    /// <summary>Parses narinfo text.</summary>
    /// <param name="text">The text.</param>
    /// <param name="storeDir">The store directory of the cache (<c>StoreDir</c> in <c>nix-cache-info</c>).</param>
    /// <returns>The narinfo.</returns>
    /// <exception cref="NixFormatException">The text is not a valid narinfo; the message names the line.</exception>
    public static NarInfo Parse(string text, string storeDir = StorePath.DefaultStoreDir)
    {
        ArgumentNullException.ThrowIfNull(text);
        var error = TryParseCore(text, storeDir, out var info);
        return error is null ? info! : throw new NixFormatException(error);
    }

    /// <summary>Parses narinfo text; see <see cref="Parse"/>.</summary>
    /// <param name="text">The text.</param>
    /// <param name="storeDir">The store directory of the cache.</param>
    /// <param name="info">The narinfo on success.</param>
    /// <param name="error">Why parsing failed, or null.</param>
    /// <returns>Whether the text is a valid narinfo.</returns>
    public static bool TryParse(
        string? text, string storeDir, [NotNullWhen(true)] out NarInfo? info, [NotNullWhen(false)] out string? error)
    {
        if (text is null)
        {
            info = null;
            error = "The narinfo is null.";
            return false;
        }

        error = TryParseCore(text, storeDir, out info);
        return error is null;
    }

    /// <summary>Writes the narinfo in Nix's field order.</summary>
    /// <returns>The text, each line ending in <c>\n</c>.</returns>
    public string Format()
    {
        var builder = new StringBuilder(512);
        Line(builder, "StorePath", StorePath.FullPath);
        Line(builder, "URL", Url);
        Line(builder, "Compression", Compression);
        if (!FileHash.IsEmpty)
        {
            Line(builder, "FileHash", FileHash.ToString());
        }

        if (FileSize is { } fileSize)
        {
            Line(builder, "FileSize", fileSize.ToString(CultureInfo.InvariantCulture));
        }

        Line(builder, "NarHash", NarHash.ToString());
        Line(builder, "NarSize", NarSize.ToString(CultureInfo.InvariantCulture));
        Line(builder, "References", string.Join(' ', References.Select(r => r.BaseName)));
        if (!Deriver.IsEmpty)
        {
            Line(builder, "Deriver", Deriver.BaseName);
        }

        if (!string.IsNullOrEmpty(System))
        {
            Line(builder, "System", System);
        }

        foreach (var signature in Signatures)
        {
            Line(builder, "Sig", signature);
        }

        if (ContentAddress is not null)
        {
            Line(builder, "CA", ContentAddress);
        }

        foreach (var (key, value) in UnknownFields)
        {
            Line(builder, key, value);
        }

        return builder.ToString();
    }

    /// <inheritdoc/>
    public override string ToString() => Format();

    private static void Line(StringBuilder builder, string key, string value)
    {
        if (value.Contains('\n', StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"The narinfo field {key} contains a newline.");
        }

        builder.Append(key).Append(": ").Append(value).Append('\n');
    }

    private static string? TryParseCore(string text, string storeDir, out NarInfo? info)
    {
        info = null;
        if (!StorePath.IsValidStoreDir(storeDir))
        {
            throw new ArgumentException($"Invalid store directory '{storeDir}'.", nameof(storeDir));
        }

        if (text.Length > MaxSize)
        {
            return $"The narinfo is {text.Length} characters long; the limit is {MaxSize}.";
        }

        StorePath? path = null;
        string? url = null;
        string? compression = null;
        NixHash? fileHash = null;
        long? fileSize = null;
        NixHash? narHash = null;
        long? narSize = null;
        List<StorePath>? references = null;
        StorePath? deriver = null;
        string? system = null;
        string? ca = null;
        var signatures = new List<string>();
        var unknown = new List<KeyValuePair<string, string>>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var lineNumber = 0;
        var position = 0;
        while (position < text.Length)
        {
            lineNumber++;
            var end = text.IndexOf('\n', position);
            if (end < 0)
            {
                return $"Line {lineNumber} does not end in a newline.";
            }

            var line = text.AsSpan(position, end - position);
            position = end + 1;
            var colon = line.IndexOf(": ", StringComparison.Ordinal);
            if (colon <= 0)
            {
                return $"Line {lineNumber} is not 'Key: value'.";
            }

            var key = line[..colon].ToString();
            var value = line[(colon + 2)..].ToString();
            if (key != "Sig" && !seen.Add(key))
            {
                return $"Line {lineNumber} repeats the field {Shorten(key)}.";
            }

            string? error = null;
            switch (key)
            {
                case "StorePath":
                    path = ParsePath(value, storeDir, "StorePath", ref error);
                    break;
                case "URL":
                    url = value;
                    break;
                case "Compression":
                    compression = value;
                    break;
                case "FileHash":
                    fileHash = ParseHash(value, "FileHash", ref error);
                    break;
                case "FileSize":
                    fileSize = ParseSize(value, "FileSize", ref error);
                    break;
                case "NarHash":
                    narHash = ParseHash(value, "NarHash", ref error);
                    break;
                case "NarSize":
                    narSize = ParseSize(value, "NarSize", ref error);
                    break;
                case "References":
                    references = [];
                    foreach (var range in value.AsSpan().Split(' '))
                    {
                        var reference = value.AsSpan()[range];
                        if (reference.IsEmpty)
                        {
                            continue;
                        }

                        if (references.Count >= MaxReferences)
                        {
                            error = $"more than {MaxReferences} references";
                            break;
                        }

                        if (!StorePath.TryFromBaseName(reference, storeDir, out var referencePath))
                        {
                            error = $"invalid reference '{Shorten(reference.ToString())}'";
                            break;
                        }

                        references.Add(referencePath);
                    }

                    break;
                case "Deriver":
                    if (value != "unknown-deriver")
                    {
                        if (StorePath.TryFromBaseName(value, storeDir, out var deriverPath) && deriverPath.IsDerivation)
                        {
                            deriver = deriverPath;
                        }
                        else
                        {
                            error = $"invalid deriver '{Shorten(value)}'";
                        }
                    }

                    break;
                case "System":
                    system = value;
                    break;
                case "Sig":
                    if (signatures.Count >= MaxSignatures)
                    {
                        error = $"more than {MaxSignatures} signatures";
                    }

                    signatures.Add(value);
                    break;
                case "CA":
                    ca = value;
                    break;
                default:
                    unknown.Add(new KeyValuePair<string, string>(key, value));
                    break;
            }

            if (error is not null)
            {
                return $"Line {lineNumber} ({Shorten(key)}): {error}.";
            }
        }

        if (path is null || url is null || url.Length == 0 || narHash is null || narSize is null or 0)
        {
            return "The narinfo lacks one of StorePath, URL, NarHash or a positive NarSize.";
        }

        info = new NarInfo
        {
            StorePath = path.Value,
            Url = url,
            Compression = string.IsNullOrEmpty(compression) ? "bzip2" : compression,
            FileHash = fileHash ?? default,
            FileSize = fileSize,
            NarHash = narHash.Value,
            NarSize = narSize.Value,
            References = references ?? [],
            Deriver = deriver ?? default,
            System = system,
            Signatures = signatures,
            ContentAddress = ca,
            UnknownFields = unknown,
        };
        return null;
    }

    private static StorePath? ParsePath(string value, string storeDir, string field, ref string? error)
    {
        if (StorePath.TryParse(value, storeDir, out var path))
        {
            return path;
        }

        error = $"{field} '{Shorten(value)}' is not a store path in '{storeDir}'";
        return null;
    }

    private static NixHash? ParseHash(string value, string field, ref string? error)
    {
        if (NixHash.TryParse(value, out var hash) && hash.Algorithm == NixHashAlgorithm.Sha256)
        {
            return hash;
        }

        error = $"{field} '{Shorten(value)}' is not a sha256 hash";
        return null;
    }

    private static long? ParseSize(string value, string field, ref string? error)
    {
        if (value.Length is > 0 and <= 19 && value.All(char.IsAsciiDigit)
            && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var size)
            && (value.Length == 1 || value[0] != '0'))
        {
            return size;
        }

        error = $"{field} '{Shorten(value)}' is not a decimal size";
        return null;
    }

    private static string Shorten(string text) => text.Length <= 120 ? text : string.Concat(text.AsSpan(0, 120), "...");
}

/// <summary>The outcome of checking a narinfo's signatures against trusted keys.</summary>
/// <param name="ValidSigners">Names of trusted keys whose signatures verified.</param>
/// <param name="Reasons">Why each other signature did not count (untrusted key, bad signature, malformed).</param>
public sealed record NarInfoSignatureVerdict(IReadOnlyList<string> ValidSigners, IReadOnlyList<string> Reasons)
{
    /// <summary>Whether at least one trusted key signed validly.</summary>
    public bool IsTrusted => ValidSigners.Count > 0;

    /// <summary>Whether at least <paramref name="required"/> distinct trusted keys signed validly.</summary>
    /// <param name="required">The number of signatures needed (Nix's <c>--sigs-needed</c>).</param>
    /// <returns>Whether enough did.</returns>
    public bool HasAtLeast(int required) => ValidSigners.Count >= required;
}
