using System.Globalization;
using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;

namespace Attest.Provenance.Tests.Json;

/// <summary>A JSON value model for property tests, independent of the code under test.</summary>
internal abstract record JsonTree
{
    private static readonly string[] Keys =
    [
        "", "a", "b", "A", "aa", "1", "10", "\r", "\u0080", "\u00f6", "\u20ac", "\ud83d\ude00", "\ufb33", "\"", "\\",
        "\u0000", "\u001f", "\u007f", "\u2028", "payload", "payloadType", "_type", "z\u00e9",
    ];

    private static readonly string[] Strings =
    [
        "", "x", "/nix/store/abc", "\u20ac$\u000F\nA'B\"\\\\\"/", "\ud83d\ude00", "\t\b\f", "\u00ff\u0100", "</script>",
        "line\u2028sep", "\u0001",
    ];

    public static Arbitrary<JsonTree> Arbitrary { get; } = Arb.From(Gen.Sized(size => Generate(Math.Min(size, 24))));

    public static Gen<JsonTree> Generate(int size)
    {
        var scalars = Gen.OneOf(
            Gen.Constant<JsonTree>(new JNull()),
            Gen.Elements(true, false).Select(b => (JsonTree)new JBool(b)),
            Gen.Choose(-1_000_000, 1_000_000).Select(i => (JsonTree)new JNumber(i)),
            Gen.Choose(0, int.MaxValue).Two().Select(t => (JsonTree)new JNumber(FiniteDouble(t.Item1, t.Item2))),
            Gen.Elements(Strings).Select(s => (JsonTree)new JString(s)),
            ArbMap.Default.GeneratorFor<string>().Where(s => s is not null && IsWellFormed(s))
                .Select(s => (JsonTree)new JString(s)));
        if (size <= 1)
        {
            return scalars;
        }

        var child = Gen.Sized(_ => Generate(size / 3));
        var array = child.ListOf().Select(items => (JsonTree)new JArray([.. items.Take(6)]));
        var member = Gen.OneOf(Gen.Elements(Keys), ArbMap.Default.GeneratorFor<string>()
                .Where(s => s is not null && IsWellFormed(s)))
            .Zip(child);
        var obj = member.ListOf().Select(members =>
        {
            var unique = new List<(string, JsonTree)>();
            foreach (var (key, value) in members.Take(6))
            {
                if (!unique.Exists(m => m.Item1 == key))
                {
                    unique.Add((key, value));
                }
            }

            return (JsonTree)new JObject(unique);
        });
        return Gen.Frequency((3, scalars), (1, array), (2, obj));
    }

    private static double FiniteDouble(int high, int low)
    {
        var bits = ((long)high << 33) ^ ((long)low << 1) ^ low;
        var value = BitConverter.Int64BitsToDouble(bits);
        return double.IsFinite(value) ? value : high / 7.0;
    }

    private static bool IsWellFormed(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]))
            {
                if (i + 1 >= s.Length || !char.IsLowSurrogate(s[i + 1]))
                {
                    return false;
                }

                i++;
            }
            else if (char.IsLowSurrogate(s[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Serializes with a random member order, whitespace, escaping and number spelling.</summary>
    public string ToJson(Random random)
    {
        var builder = new StringBuilder();
        Write(this, builder, random);
        return builder.ToString();
    }

    public static JsonTree Parse(ReadOnlySpan<byte> utf8)
    {
        using var document = JsonDocument.Parse(utf8.ToArray());
        return FromElement(document.RootElement);
    }

    private static JsonTree FromElement(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Null => new JNull(),
        JsonValueKind.True => new JBool(true),
        JsonValueKind.False => new JBool(false),
        JsonValueKind.Number => new JNumber(element.GetDouble()),
        JsonValueKind.String => new JString(element.GetString()!),
        JsonValueKind.Array => new JArray([.. element.EnumerateArray().Select(FromElement)]),
        JsonValueKind.Object => new JObject([.. element.EnumerateObject().Select(p => (p.Name, FromElement(p.Value)))]),
        _ => throw new InvalidOperationException(element.ValueKind.ToString()),
    };

    public static bool SameValue(JsonTree a, JsonTree b) => (a, b) switch
    {
        (JNull, JNull) => true,
        (JBool x, JBool y) => x.Value == y.Value,
        (JNumber x, JNumber y) => x.Value.Equals(y.Value) || (x.Value == 0 && y.Value == 0),
        (JString x, JString y) => x.Value == y.Value,
        (JArray x, JArray y) => x.Items.Count == y.Items.Count && x.Items.Zip(y.Items).All(p => SameValue(p.First, p.Second)),
        (JObject x, JObject y) => x.Members.Count == y.Members.Count && x.Members.All(m =>
            y.Members.Exists(n => n.Key == m.Key && SameValue(m.Value, n.Value))),
        _ => false,
    };

    private static void Write(JsonTree tree, StringBuilder builder, Random random)
    {
        Space(builder, random);
        switch (tree)
        {
            case JNull:
                builder.Append("null");
                break;
            case JBool b:
                builder.Append(b.Value ? "true" : "false");
                break;
            case JNumber n:
                builder.Append(random.Next(3) switch
                {
                    0 => n.Value.ToString("R", CultureInfo.InvariantCulture),
                    1 => n.Value.ToString("E16", CultureInfo.InvariantCulture),
                    _ => n.Value.ToString("R", CultureInfo.InvariantCulture).Contains('E', StringComparison.Ordinal) ||
                         Math.Abs(n.Value) > 1e15
                        ? n.Value.ToString("e16", CultureInfo.InvariantCulture)
                        : n.Value.ToString("R", CultureInfo.InvariantCulture) + (n.Value % 1 == 0 ? ".000" : "00"),
                });
                break;
            case JString s:
                WriteString(s.Value, builder, random);
                break;
            case JArray a:
                builder.Append('[');
                for (var i = 0; i < a.Items.Count; i++)
                {
                    if (i > 0)
                    {
                        builder.Append(',');
                    }

                    Write(a.Items[i], builder, random);
                }

                Space(builder, random);
                builder.Append(']');
                break;
            case JObject o:
                builder.Append('{');
                var order = o.Members.OrderBy(_ => random.Next()).ToList();
                for (var i = 0; i < order.Count; i++)
                {
                    if (i > 0)
                    {
                        builder.Append(',');
                    }

                    Space(builder, random);
                    WriteString(order[i].Key, builder, random);
                    Space(builder, random);
                    builder.Append(':');
                    Write(order[i].Value, builder, random);
                }

                Space(builder, random);
                builder.Append('}');
                break;
            default:
                throw new InvalidOperationException(tree.GetType().Name);
        }

        Space(builder, random);
    }

    private static void Space(StringBuilder builder, Random random)
    {
        var count = random.Next(4) == 0 ? random.Next(3) : 0;
        for (var i = 0; i < count; i++)
        {
            builder.Append(" \t\r\n"[random.Next(4)]);
        }
    }

    private static void WriteString(string value, StringBuilder builder, Random random)
    {
        builder.Append('"');
        var escapeNext = false;
        foreach (var c in value)
        {
            // Both halves of a surrogate pair are escaped, or neither.
            var escape = char.IsLowSurrogate(c) ? escapeNext : random.Next(3) == 0;
            escapeNext = escape;
            if (c is '"' or '\\')
            {
                builder.Append('\\').Append(c);
            }
            else if (c == '/' && escape && random.Next(2) == 0)
            {
                builder.Append("\\/");
            }
            else if (c < 0x20 || escape)
            {
                builder.Append("\\u").Append(((int)c).ToString(random.Next(2) == 0 ? "x4" : "X4", CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        builder.Append('"');
    }
}

internal sealed record JNull : JsonTree;

internal sealed record JBool(bool Value) : JsonTree;

internal sealed record JNumber(double Value) : JsonTree;

internal sealed record JString(string Value) : JsonTree;

internal sealed record JArray(List<JsonTree> Items) : JsonTree;

internal sealed record JObject(List<(string Key, JsonTree Value)> Members) : JsonTree;
