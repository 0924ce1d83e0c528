using System.Text;

namespace Attest.Nix.Derivations;

/// <summary>
/// A store derivation (<c>.drv</c> file): the ATerm
/// <c>Derive([outputs],[inputDrvs],[inputSrcs],"system","builder",[args],[env])</c> that <c>nix-instantiate</c> writes.
/// </summary>
/// <remarks>
/// <see cref="Parse(ReadOnlySpan{byte}, string)"/> accepts exactly the canonical form Nix writes: strings escape
/// only <c>\" \\ \n \r \t</c> (raw control characters are refused), outputs, input derivations, their output names,
/// input sources and environment keys are sorted bytewise without duplicates, paths are valid store paths, and the
/// text is UTF-8. So <see cref="Format"/> of a parsed derivation reproduces the input byte for byte. Input is capped
/// at <see cref="MaxSize"/> bytes and every list at <see cref="MaxListCount"/> items.
/// </remarks>
public sealed class Derivation
{
    /// <summary>Largest .drv accepted, in bytes.</summary>
    public const int MaxSize = 64 * 1024 * 1024;

    /// <summary>Largest number of items accepted in any list.</summary>
    public const int MaxListCount = 1_000_000;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Creates a derivation from its parts; lists are sorted as Nix would store them.</summary>
    /// <param name="outputs">The outputs.</param>
    /// <param name="inputDerivations">The input derivations.</param>
    /// <param name="inputSources">The input source store paths.</param>
    /// <param name="system">The system, such as <c>x86_64-linux</c>.</param>
    /// <param name="builder">The builder executable.</param>
    /// <param name="arguments">The builder's arguments.</param>
    /// <param name="environment">The environment variables.</param>
    /// <exception cref="ArgumentException">A list has duplicates.</exception>
    public Derivation(
        IEnumerable<DerivationOutput> outputs,
        IEnumerable<DerivationInput> inputDerivations,
        IEnumerable<string> inputSources,
        string system,
        string builder,
        IEnumerable<string> arguments,
        IEnumerable<KeyValuePair<string, string>> environment)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(builder);
        Outputs = SortedUnique(outputs, o => o.Name, "output name");
        InputDerivations = SortedUnique(
            inputDerivations.Select(i => i with { Outputs = SortedUnique(i.Outputs, o => o, "input output name") }),
            i => i.Path, "input derivation");
        InputSources = SortedUnique(inputSources, s => s, "input source");
        System = system;
        Builder = builder;
        Arguments = [.. arguments];
        Environment = SortedUnique(environment, e => e.Key, "environment variable");
    }

    private Derivation(
        List<DerivationOutput> outputs, List<DerivationInput> inputDerivations, List<string> inputSources, string system,
        string builder, List<string> arguments, List<KeyValuePair<string, string>> environment)
    {
        Outputs = outputs;
        InputDerivations = inputDerivations;
        InputSources = inputSources;
        System = system;
        Builder = builder;
        Arguments = arguments;
        Environment = environment;
    }

    /// <summary>The outputs, sorted by name.</summary>
    public IReadOnlyList<DerivationOutput> Outputs { get; }

    /// <summary>The input derivations, sorted by path.</summary>
    public IReadOnlyList<DerivationInput> InputDerivations { get; }

    /// <summary>The input source store paths, sorted.</summary>
    public IReadOnlyList<string> InputSources { get; }

    /// <summary>The system type, such as <c>x86_64-linux</c>.</summary>
    public string System { get; }

    /// <summary>The builder executable.</summary>
    public string Builder { get; }

    /// <summary>The builder's arguments, in order.</summary>
    public IReadOnlyList<string> Arguments { get; }

    /// <summary>The environment, sorted by key.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Environment { get; }

    /// <summary>The derivation name (the <c>name</c> environment variable), or null.</summary>
    public string? Name => GetEnvironment("name");

    /// <summary>Whether every output is fixed-output (a fetch: network access allowed, contents checked by hash).</summary>
    public bool IsFixedOutput => Outputs.Count > 0 && Outputs.All(o => o.IsFixedOutput);

    /// <summary>Finds an output by name.</summary>
    /// <param name="name">The output name.</param>
    /// <returns>The output, or null.</returns>
    public DerivationOutput? GetOutput(string name) => Outputs.FirstOrDefault(o => o.Name == name);

    /// <summary>Looks up an environment variable.</summary>
    /// <param name="key">The variable name.</param>
    /// <returns>The value, or null.</returns>
    public string? GetEnvironment(string key)
    {
        foreach (var pair in Environment)
        {
            if (pair.Key == key)
            {
                return pair.Value;
            }
        }

        return null;
    }

    /// <summary>Parses a .drv file's bytes.</summary>
    /// <param name="utf8">The file contents.</param>
    /// <param name="storeDir">The store directory paths must lie in.</param>
    /// <returns>The derivation.</returns>
    /// <exception cref="NixFormatException">The text is not a canonical derivation; the message gives the offset.</exception>
    public static Derivation Parse(ReadOnlySpan<byte> utf8, string storeDir = StorePath.DefaultStoreDir)
    {
        var parser = new Parser(utf8, storeDir);
        return parser.ParseDerivation();
    }

    /// <summary>Parses a .drv file's bytes; see <see cref="Parse(ReadOnlySpan{byte}, string)"/>.</summary>
    /// <param name="utf8">The file contents.</param>
    /// <param name="storeDir">The store directory paths must lie in.</param>
    /// <param name="derivation">The derivation on success.</param>
    /// <param name="error">Why parsing failed, or null.</param>
    /// <returns>Whether the text is a canonical derivation.</returns>
    public static bool TryParse(
        ReadOnlySpan<byte> utf8, string storeDir, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Derivation? derivation,
        out string? error)
    {
        try
        {
            derivation = Parse(utf8, storeDir);
            error = null;
            return true;
        }
        catch (NixFormatException e)
        {
            derivation = null;
            error = e.Message;
            return false;
        }
    }

    /// <summary>Reads and parses a .drv file, refusing files larger than <see cref="MaxSize"/>.</summary>
    /// <param name="path">The file path.</param>
    /// <param name="storeDir">The store directory paths must lie in.</param>
    /// <returns>The derivation.</returns>
    /// <exception cref="NixFormatException">The file is not a canonical derivation.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static Derivation Load(string path, string storeDir = StorePath.DefaultStoreDir)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        if (stream.Length > MaxSize)
        {
            throw new NixFormatException($"Derivation '{path}' is {stream.Length} bytes; the limit is {MaxSize}.");
        }

        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        try
        {
            return Parse(bytes, storeDir);
        }
        catch (NixFormatException e)
        {
            throw new NixFormatException($"Derivation '{path}': {e.Message}", e);
        }
    }

    /// <summary>Writes the canonical ATerm, byte for byte what Nix writes to the .drv file.</summary>
    /// <returns>The UTF-8 bytes.</returns>
    /// <exception cref="ArgumentException">A string holds an unpaired surrogate, which has no UTF-8 form.</exception>
    public byte[] Format() => StrictUtf8.GetBytes(ToString());

    /// <summary>The canonical ATerm as text.</summary>
    /// <returns>The ATerm.</returns>
    public override string ToString()
    {
        var builder = new StringBuilder(1024);
        builder.Append("Derive([");
        Join(builder, Outputs, static (b, o) =>
        {
            b.Append('(');
            AppendString(b, o.Name).Append(',');
            AppendString(b, o.Path).Append(',');
            AppendString(b, o.HashAlgorithm).Append(',');
            AppendString(b, o.Hash).Append(')');
        });
        builder.Append("],[");
        Join(builder, InputDerivations, static (b, i) =>
        {
            b.Append('(');
            AppendString(b, i.Path).Append(",[");
            Join(b, i.Outputs, static (b2, s) => AppendString(b2, s));
            b.Append("])");
        });
        builder.Append("],[");
        Join(builder, InputSources, static (b, s) => AppendString(b, s));
        builder.Append("],");
        AppendString(builder, System).Append(',');
        AppendString(builder, Builder).Append(",[");
        Join(builder, Arguments, static (b, s) => AppendString(b, s));
        builder.Append("],[");
        Join(builder, Environment, static (b, e) =>
        {
            b.Append('(');
            AppendString(b, e.Key).Append(',');
            AppendString(b, e.Value).Append(')');
        });
        builder.Append("])");
        return builder.ToString();
    }

    private static void Join<T>(StringBuilder builder, IReadOnlyList<T> items, Action<StringBuilder, T> append)
    {
        for (var i = 0; i < items.Count; i++)
        {
            if (i > 0)
            {
                builder.Append(',');
            }

            append(builder, items[i]);
        }
    }

    private static StringBuilder AppendString(StringBuilder builder, string value)
    {
        // Nix's printString: escape the quote, the backslash and \n \r \t; everything else is literal.
        builder.Append('"');
        foreach (var c in value)
        {
            _ = c switch
            {
                '"' => builder.Append("\\\""),
                '\\' => builder.Append("\\\\"),
                '\n' => builder.Append("\\n"),
                '\r' => builder.Append("\\r"),
                '\t' => builder.Append("\\t"),
                _ => builder.Append(c),
            };
        }

        return builder.Append('"');
    }

    private static List<T> SortedUnique<T>(IEnumerable<T> items, Func<T, string> key, string what)
    {
        ArgumentNullException.ThrowIfNull(items);
        var list = items.ToList();
        list.Sort((a, b) => CompareUtf8(key(a), key(b)));
        for (var i = 1; i < list.Count; i++)
        {
            if (CompareUtf8(key(list[i - 1]), key(list[i])) == 0)
            {
                throw new ArgumentException($"Duplicate {what} '{key(list[i])}'.");
            }
        }

        return list;
    }

    // Nix orders std::string keys bytewise; ordinal UTF-16 order differs for characters above U+FFFF.
    private static int CompareUtf8(string a, string b) =>
        Encoding.UTF8.GetBytes(a).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b));

    private ref struct Parser
    {
        private readonly ReadOnlySpan<byte> _input;
        private readonly string _storeDir;
        private int _position;

        public Parser(ReadOnlySpan<byte> input, string storeDir)
        {
            if (!StorePath.IsValidStoreDir(storeDir))
            {
                throw new ArgumentException($"Invalid store directory '{storeDir}'.", nameof(storeDir));
            }

            _input = input;
            _storeDir = storeDir;
            _position = 0;
        }

        public Derivation ParseDerivation()
        {
            if (_input.Length > MaxSize)
            {
                throw Error($"The derivation is {_input.Length} bytes; the limit is {MaxSize}.");
            }

            Expect("Derive(["u8);
            var outputs = new List<DerivationOutput>();
            byte[]? previous = null;
            if (!TryConsume((byte)']'))
            {
                do
                {
                    Expect((byte)'(');
                    var at = _position;
                    var name = ReadString(out var nameBytes);
                    CheckOrder(ref previous, nameBytes, "output names", at);
                    if (name.Length == 0)
                    {
                        throw Error("An output name is empty.", at);
                    }

                    Expect((byte)',');
                    at = _position;
                    var path = ReadString(out _);
                    if (path.Length > 0)
                    {
                        CheckStorePath(path, at);
                    }

                    Expect((byte)',');
                    at = _position;
                    var hashAlgo = ReadString(out _);
                    Expect((byte)',');
                    var hashAt = _position;
                    var hash = ReadString(out _);
                    Expect((byte)')');
                    var output = new DerivationOutput(name, path, hashAlgo, hash);
                    CheckOutputHash(output, at, hashAt);
                    outputs.Add(Capped(outputs, output));
                }
                while (TryConsume((byte)','));

                Expect((byte)']');
            }

            Expect(",["u8);
            var inputs = new List<DerivationInput>();
            previous = null;
            if (!TryConsume((byte)']'))
            {
                do
                {
                    Expect((byte)'(');
                    var at = _position;
                    var path = ReadString(out var pathBytes);
                    CheckOrder(ref previous, pathBytes, "input derivations", at);
                    if (!CheckStorePath(path, at).IsDerivation)
                    {
                        throw Error($"Input derivation '{path}' does not end in .drv.", at);
                    }

                    Expect(",["u8);
                    var names = ReadStringList(sorted: true, "input derivation outputs");
                    if (names.Count == 0)
                    {
                        throw Error($"Input derivation '{path}' names no outputs.", at);
                    }

                    Expect((byte)')');
                    inputs.Add(Capped(inputs, new DerivationInput(path, names)));
                }
                while (TryConsume((byte)','));

                Expect((byte)']');
            }

            Expect(",["u8);
            var sourcesAt = _position;
            var sources = ReadStringList(sorted: true, "input sources");
            foreach (var source in sources)
            {
                CheckStorePath(source, sourcesAt);
            }

            Expect((byte)',');
            var system = ReadString(out _);
            Expect((byte)',');
            var builder = ReadString(out _);
            Expect(",["u8);
            var arguments = ReadStringList(sorted: false, "arguments");
            Expect(",["u8);
            var environment = new List<KeyValuePair<string, string>>();
            previous = null;
            if (!TryConsume((byte)']'))
            {
                do
                {
                    Expect((byte)'(');
                    var at = _position;
                    var key = ReadString(out var keyBytes);
                    CheckOrder(ref previous, keyBytes, "environment variables", at);
                    Expect((byte)',');
                    var value = ReadString(out _);
                    Expect((byte)')');
                    environment.Add(Capped(environment, new KeyValuePair<string, string>(key, value)));
                }
                while (TryConsume((byte)','));

                Expect((byte)']');
            }

            Expect((byte)')');
            if (_position != _input.Length)
            {
                throw Error("Unexpected data after the derivation.");
            }

            return new Derivation(outputs, inputs, sources, system, builder, arguments, environment);
        }

        private List<string> ReadStringList(bool sorted, string what)
        {
            var list = new List<string>();
            byte[]? previous = null;
            if (TryConsume((byte)']'))
            {
                return list;
            }

            do
            {
                var at = _position;
                var value = ReadString(out var bytes);
                if (sorted)
                {
                    CheckOrder(ref previous, bytes, what, at);
                }

                list.Add(Capped(list, value));
            }
            while (TryConsume((byte)','));

            Expect((byte)']');
            return list;
        }

        private T Capped<T>(List<T> list, T item)
        {
            if (list.Count >= MaxListCount)
            {
                throw Error($"A list has more than {MaxListCount} items.");
            }

            return item;
        }

        private string ReadString(out byte[] raw)
        {
            var start = _position;
            Expect((byte)'"');

            // Fast path: no escapes between the quotes.
            var rest = _input[_position..];
            var end = rest.IndexOfAny((byte)'"', (byte)'\\');
            if (end < 0)
            {
                throw Error("Unterminated string.", start);
            }

            byte[] bytes;
            if (rest[end] == (byte)'"')
            {
                bytes = rest[..end].ToArray();
                _position += end + 1;
            }
            else
            {
                var buffer = new List<byte>(end + 16);
                while (true)
                {
                    if (_position >= _input.Length)
                    {
                        throw Error("Unterminated string.", start);
                    }

                    var b = _input[_position++];
                    if (b == (byte)'"')
                    {
                        break;
                    }

                    if (b == (byte)'\\')
                    {
                        if (_position >= _input.Length)
                        {
                            throw Error("Unterminated string.", start);
                        }

                        var escaped = _input[_position++];
                        buffer.Add(escaped switch
                        {
                            (byte)'"' or (byte)'\\' => escaped,
                            (byte)'n' => (byte)'\n',
                            (byte)'r' => (byte)'\r',
                            (byte)'t' => (byte)'\t',
                            _ => throw Error($"Unknown escape '\\{(char)escaped}' in a string.", _position - 2),
                        });
                    }
                    else
                    {
                        buffer.Add(b);
                    }
                }

                bytes = [.. buffer];
            }

            // Nix escapes these three; a raw one means the text was not written by Nix.
            var control = bytes.AsSpan().IndexOfAny((byte)'\n', (byte)'\r', (byte)'\t');
            if (control >= 0 && _input.Slice(start, _position - start).IndexOfAny((byte)'\n', (byte)'\r', (byte)'\t') >= 0)
            {
                throw Error("A string contains a raw newline, carriage return or tab; Nix escapes them.", start);
            }

            raw = bytes;
            try
            {
                return StrictUtf8.GetString(bytes);
            }
            catch (DecoderFallbackException)
            {
                throw Error("A string is not valid UTF-8.", start);
            }
        }

        private StorePath CheckStorePath(string path, int at)
        {
            if (!StorePath.TryParse(path, _storeDir, out var storePath))
            {
                throw Error($"'{Shorten(path)}' is not a valid store path in '{_storeDir}'.", at);
            }

            return storePath;
        }

        private readonly void CheckOutputHash(DerivationOutput output, int algoAt, int hashAt)
        {
            if (output.HashAlgorithm.Length == 0)
            {
                if (output.Hash.Length > 0)
                {
                    throw Error($"Output '{output.Name}' has a hash but no hash algorithm.", hashAt);
                }

                return;
            }

            var algorithmName = output.Method switch
            {
                OutputHashMethod.Recursive => output.HashAlgorithm[2..],
                OutputHashMethod.Text => output.HashAlgorithm[5..],
                _ => output.HashAlgorithm,
            };
            if (!NixHash.TryParseAlgorithm(algorithmName, out var algorithm))
            {
                throw Error($"Output '{output.Name}' has unknown hash algorithm '{Shorten(output.HashAlgorithm)}'.", algoAt);
            }

            if (output.Hash.Length > 0
                && (output.Hash.Length != 2 * NixHash.GetDigestSize(algorithm)
                    || !output.Hash.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f')))
            {
                throw Error($"Output '{output.Name}' hash is not {2 * NixHash.GetDigestSize(algorithm)} lower-case hex digits.", hashAt);
            }
        }

        private readonly void CheckOrder(ref byte[]? previous, byte[] current, string what, int at)
        {
            if (previous is not null && current.AsSpan().SequenceCompareTo(previous) <= 0)
            {
                throw Error($"The {what} are not sorted or have duplicates at '{Shorten(Encoding.UTF8.GetString(current))}'.", at);
            }

            previous = current;
        }

        private void Expect(byte expected)
        {
            if (_position >= _input.Length || _input[_position] != expected)
            {
                throw Error($"Expected '{(char)expected}'.");
            }

            _position++;
        }

        private void Expect(ReadOnlySpan<byte> expected)
        {
            if (!_input[_position..].StartsWith(expected))
            {
                throw Error($"Expected '{Encoding.ASCII.GetString(expected)}'.");
            }

            _position += expected.Length;
        }

        private bool TryConsume(byte b)
        {
            if (_position < _input.Length && _input[_position] == b)
            {
                _position++;
                return true;
            }

            return false;
        }

        private readonly NixFormatException Error(string message) => Error(message, _position);

        private static NixFormatException Error(string message, int offset) =>
            new($"Malformed derivation: {message}", offset);

        private static string Shorten(string text) => text.Length <= 200 ? text : string.Concat(text.AsSpan(0, 200), "...");
    }
}
