namespace Attest.Agent.Core.NixTools;

/// <summary>
/// Reads Nix's <c>name = value</c> configuration text, as printed by <c>nix show-config</c> and as exported to
/// the post-build hook in <c>NIX_CONFIG</c>.
/// </summary>
public static class NixSettings
{
    /// <summary>Largest configuration text read.</summary>
    public const int MaxChars = 1 << 20;

    /// <summary>Parses configuration text; comments (<c>#</c>) and lines without <c>=</c> are skipped.</summary>
    /// <param name="text">The text.</param>
    /// <returns>Names and values (later lines win).</returns>
    /// <exception cref="ArgumentException">The text exceeds <see cref="MaxChars"/>.</exception>
    public static IReadOnlyDictionary<string, string> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > MaxChars)
        {
            throw new ArgumentException($"Nix configuration text is {text.Length} characters; the limit is {MaxChars}.", nameof(text));
        }

        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine;
            var hash = line.IndexOf('#', StringComparison.Ordinal);
            if (hash >= 0)
            {
                line = line[..hash];
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                continue;
            }

            var name = line[..equals].Trim();
            if (name.Length > 0 && !name.Contains(' ', StringComparison.Ordinal))
            {
                settings[name] = line[(equals + 1)..].Trim();
            }
        }

        return settings;
    }
}
