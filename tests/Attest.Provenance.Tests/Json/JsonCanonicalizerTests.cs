using System.Text;
using Attest.Provenance.Json;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Attest.Provenance.Tests.Json;

public sealed class JsonCanonicalizerTests
{
    private static string Canon(string json) => Encoding.UTF8.GetString(JsonCanonicalizer.Canonicalize(Encoding.UTF8.GetBytes(json)));

    private static JsonCanonicalizationError Error(string json, JsonCanonicalizationOptions? options = null) =>
        Error(Encoding.UTF8.GetBytes(json), options);

    private static JsonCanonicalizationError Error(byte[] json, JsonCanonicalizationOptions? options = null)
    {
        Assert.False(JsonCanonicalizer.TryCanonicalize(json, out var canonical, out var error, options));
        Assert.Null(canonical);
        return error!;
    }

    [Fact]
    public void Canonicalize_Rfc8785Section322Example_MatchesSpec()
    {
        // RFC 8785 §3.2.2 (input) and §3.2.3/§3.2.4 (expected output, also given in hex there).
        const string input = """
            {
              "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
              "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
              "literals": [null, true, false]
            }
            """;
        const string expected =
            "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27]," +
            "\"string\":\"\u20ac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}";
        Assert.Equal(expected, Canon(input));
    }

    [Fact]
    public void Canonicalize_Rfc8785Section323SortingExample_SortsByUtf16CodeUnits()
    {
        const string input = """
            {
              "\u20ac": "Euro Sign",
              "\r": "Carriage Return",
              "\ufb33": "Hebrew Letter Dalet With Dagesh",
              "1": "One",
              "\ud83d\ude00": "Emoji: Grinning Face",
              "\u0080": "Control",
              "\u00f6": "Latin Small Letter O With Diaeresis"
            }
            """;
        var expected = "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\"," +
            "\"\u00f6\":\"Latin Small Letter O With Diaeresis\",\"\u20ac\":\"Euro Sign\"," +
            "\"\ud83d\ude00\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}";
        Assert.Equal(expected, Canon(input));
    }

    // RFC 8785 Appendix B: IEEE 754 bit patterns and their ECMAScript serialization.
    [Theory]
    [InlineData(0x0000000000000000UL, "0")]
    [InlineData(0x8000000000000000UL, "0")]
    [InlineData(0x0000000000000001UL, "5e-324")]
    [InlineData(0x8000000000000001UL, "-5e-324")]
    [InlineData(0x7fefffffffffffffUL, "1.7976931348623157e+308")]
    [InlineData(0xffefffffffffffffUL, "-1.7976931348623157e+308")]
    [InlineData(0x4340000000000000UL, "9007199254740992")]
    [InlineData(0xc340000000000000UL, "-9007199254740992")]
    [InlineData(0x4430000000000000UL, "295147905179352830000")]
    [InlineData(0x44b52d02c7e14af5UL, "9.999999999999997e+22")]
    [InlineData(0x44b52d02c7e14af6UL, "1e+23")]
    [InlineData(0x44b52d02c7e14af7UL, "1.0000000000000001e+23")]
    [InlineData(0x444b1ae4d6e2ef4eUL, "999999999999999700000")]
    [InlineData(0x444b1ae4d6e2ef4fUL, "999999999999999900000")]
    [InlineData(0x444b1ae4d6e2ef50UL, "1e+21")]
    [InlineData(0x3eb0c6f7a0b5ed8cUL, "9.999999999999997e-7")]
    [InlineData(0x3eb0c6f7a0b5ed8dUL, "0.000001")]
    [InlineData(0x41b3de4355555553UL, "333333333.3333332")]
    [InlineData(0x41b3de4355555554UL, "333333333.33333325")]
    [InlineData(0x41b3de4355555555UL, "333333333.3333333")]
    [InlineData(0x41b3de4355555556UL, "333333333.3333334")]
    [InlineData(0x41b3de4355555557UL, "333333333.33333343")]
    [InlineData(0xbecbf647612f3696UL, "-0.0000033333333333333333")]
    [InlineData(0x43143ff3c1cb0959UL, "1424953923781206.2")]
    public void FormatNumber_Rfc8785AppendixB_MatchesSpec(ulong bits, string expected)
    {
        var value = BitConverter.UInt64BitsToDouble(bits);
        Assert.Equal(expected, JsonCanonicalizer.FormatNumber(value));

        // The spec's output is itself canonical and reads back as the same double.
        Assert.Equal(expected, Canon(expected));
    }

    [Theory]
    [InlineData(0x7fffffffffffffffUL)]
    [InlineData(0x7ff0000000000000UL)]
    [InlineData(0xfff0000000000000UL)]
    public void FormatNumber_NaNOrInfinity_Throws(ulong bits) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => JsonCanonicalizer.FormatNumber(BitConverter.UInt64BitsToDouble(bits)));

    [Theory]
    [InlineData("1.0", "1")]
    [InlineData("-0", "0")]
    [InlineData("-0.0e5", "0")]
    [InlineData("100E-2", "1")]
    [InlineData("1e21", "1e+21")]
    [InlineData("1e20", "100000000000000000000")]
    [InlineData("0.0000001", "1e-7")]
    [InlineData("123e-20", "1.23e-18")]
    [InlineData("9007199254740992", "9007199254740992")]
    [InlineData("-9007199254740992", "-9007199254740992")]
    [InlineData("9007199254740993.0", "9007199254740992")]
    [InlineData("[ 1 , 2 ]", "[1,2]")]
    [InlineData("\"\\u00e9\\/\"", "\"\u00e9/\"")]
    [InlineData("\"\\u007f\\u001F\\b\\f\"", "\"\u007f\\u001f\\b\\f\"")]
    [InlineData("{\"b\":{\"d\":1,\"c\":2},\"a\":[{\"z\":0,\"y\":1}]}", "{\"a\":[{\"y\":1,\"z\":0}],\"b\":{\"c\":2,\"d\":1}}")]
    [InlineData(" {} ", "{}")]
    [InlineData("\"\"", "\"\"")]
    public void Canonicalize_Value_ProducesCanonicalForm(string input, string expected) =>
        Assert.Equal(expected, Canon(input));

    [Theory]
    [InlineData("{\"a\":1,\"a\":2}", "$.a")]
    [InlineData("{\"x\":{\"a\":1,\"\\u0061\":2}}", "$.x.a")]
    public void TryCanonicalize_DuplicateKey_ReportsDuplicateKeyWithPath(string input, string path)
    {
        var error = Error(input);
        Assert.Equal(JsonCanonicalizationErrorCode.DuplicateKey, error.Code);
        Assert.Equal(path, error.Path);
    }

    [Theory]
    [InlineData("\"\\ud800\"")]
    [InlineData("\"\\udc00\\ud800\"")]
    [InlineData("{\"\\ud83d\":1}")]
    [InlineData("\"a\\ud83dx\"")]
    public void TryCanonicalize_UnpairedSurrogate_ReportsInvalidString(string input) =>
        Assert.Equal(JsonCanonicalizationErrorCode.InvalidString, Error(input).Code);

    [Theory]
    [InlineData(new byte[] { 0x22, 0xff, 0x22 })]
    [InlineData(new byte[] { 0x22, 0xc3, 0x22 })]
    [InlineData(new byte[] { 0x22, 0xed, 0xa0, 0x80, 0x22 })]
    [InlineData(new byte[] { 0x7b, 0x22, 0xc0, 0xaf, 0x22, 0x3a, 0x31, 0x7d })]
    [InlineData(new byte[] { 0x22, 0x5c, 0x6e, 0xf0, 0x9f, 0x22 })]
    public void TryCanonicalize_InvalidUtf8_ReportsInvalidString(byte[] input) =>
        Assert.Equal(JsonCanonicalizationErrorCode.InvalidString, Error(input).Code);

    [Theory]
    [InlineData("1e400")]
    [InlineData("-1e309")]
    [InlineData("9007199254740993")]
    [InlineData("-9007199254740993")]
    [InlineData("123456789012345678901234567890")]
    [InlineData("295147905179352830001")]
    public void TryCanonicalize_NumberOutOfRange_ReportsNumberOutOfRange(string input) =>
        Assert.Equal(JsonCanonicalizationErrorCode.NumberOutOfRange, Error(input).Code);

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("{")]
    [InlineData("[1,]")]
    [InlineData("{\"a\":1,}")]
    [InlineData("// c\n1")]
    [InlineData("1 2")]
    [InlineData("{} x")]
    [InlineData("NaN")]
    [InlineData("01")]
    [InlineData("'a'")]
    [InlineData("{a:1}")]
    [InlineData("\"\t\"")]
    [InlineData("\"\\x\"")]
    public void TryCanonicalize_Malformed_ReportsMalformed(string input) =>
        Assert.Equal(JsonCanonicalizationErrorCode.Malformed, Error(input).Code);

    [Fact]
    public void TryCanonicalize_ErrorInNestedValue_NamesPath()
    {
        var error = Error("{\"a\":[1,{\"odd key\":[true,1e999]}]}");
        Assert.Equal(JsonCanonicalizationErrorCode.NumberOutOfRange, error.Code);
        Assert.Equal("$.a[1][\"odd key\"][1]", error.Path);
        Assert.Equal(25, error.ByteOffset);
    }

    [Fact]
    public void TryCanonicalize_InputOverLimit_ReportsTooLarge()
    {
        var options = new JsonCanonicalizationOptions { MaxInputBytes = 10 };
        Assert.Equal("[1,2,3,4]", Encoding.UTF8.GetString(JsonCanonicalizer.Canonicalize("[1,2,3,4]"u8, options)));
        Assert.Equal(JsonCanonicalizationErrorCode.TooLarge, Error("[1,2,3,4,5]", options).Code);
    }

    [Fact]
    public void TryCanonicalize_DefaultLimit_Is65535Bytes()
    {
        var ok = new byte[65_535];
        ok.AsSpan().Fill((byte)' ');
        ok[0] = (byte)'1';
        Assert.Equal("1"u8.ToArray(), JsonCanonicalizer.Canonicalize(ok));
        var tooLarge = new byte[65_536];
        tooLarge.AsSpan().Fill((byte)' ');
        tooLarge[0] = (byte)'1';
        Assert.Equal(JsonCanonicalizationErrorCode.TooLarge, Error(tooLarge).Code);
    }

    [Fact]
    public void TryCanonicalize_OutputGrowsOverLimit_ReportsTooLarge()
    {
        // "1e20" (4 bytes) canonicalizes to 21 digits.
        var options = new JsonCanonicalizationOptions { MaxOutputBytes = 100 };
        var input = "[" + string.Join(',', Enumerable.Repeat("1e20", 10)) + "]";
        Assert.True(input.Length < 100);
        var error = Error(input, options);
        Assert.Equal(JsonCanonicalizationErrorCode.TooLarge, error.Code);
    }

    [Fact]
    public void TryCanonicalize_TooDeep_ReportsTooDeep()
    {
        var options = new JsonCanonicalizationOptions { MaxDepth = 4 };
        Assert.Equal("[[[[]]]]", Encoding.UTF8.GetString(JsonCanonicalizer.Canonicalize("[[[[]]]]"u8, options)));
        var error = Error("[[{\"a\":[[]]}]]", options);
        Assert.Equal(JsonCanonicalizationErrorCode.TooDeep, error.Code);
        Assert.Equal("$[0][0].a[0]", error.Path);
        Assert.Equal(JsonCanonicalizationErrorCode.TooDeep, Error(new string('[', 10_000) + new string(']', 10_000)).Code);
    }

    [Fact]
    public void TryCanonicalize_TooManyElements_ReportsTooManyElements()
    {
        var options = new JsonCanonicalizationOptions { MaxContainerElements = 3, MaxTotalValues = 7 };
        Assert.Equal(JsonCanonicalizationErrorCode.TooManyElements, Error("[1,2,3,4]", options).Code);
        Assert.Equal(JsonCanonicalizationErrorCode.TooManyElements, Error("{\"a\":1,\"b\":2,\"c\":3,\"d\":4}", options).Code);
        Assert.Equal(JsonCanonicalizationErrorCode.TooManyElements, Error("[[1,2],[3,4],[5]]", options).Code);
        Assert.Equal("[[1,2],[3,4]]", Encoding.UTF8.GetString(JsonCanonicalizer.Canonicalize("[[1,2],[3,4]]"u8, options)));
    }

    [Fact]
    public void Canonicalize_Malformed_ThrowsWithError()
    {
        var ex = Assert.Throws<JsonCanonicalizationException>(() => JsonCanonicalizer.Canonicalize("{\"a\":}"u8));
        Assert.Equal(JsonCanonicalizationErrorCode.Malformed, ex.Error.Code);
    }

    [Fact]
    public void IsCanonical_CanonicalAndNonCanonical_Distinguished()
    {
        Assert.True(JsonCanonicalizer.IsCanonical("{\"a\":1,\"b\":[true]}"u8));
        Assert.False(JsonCanonicalizer.IsCanonical("{\"b\":[true],\"a\":1}"u8));
        Assert.False(JsonCanonicalizer.IsCanonical("{\"a\": 1}"u8));
        Assert.False(JsonCanonicalizer.IsCanonical("{\"a\":1"u8));
    }

    [Property(MaxTest = 300)]
    public Property Canonicalize_AnyDocument_IsIdempotent() =>
        Prop.ForAll(JsonTree.Arbitrary, ArbMap.Default.ArbFor<int>(), (tree, seed) =>
        {
            var canonical = JsonCanonicalizer.Canonicalize(Encoding.UTF8.GetBytes(tree.ToJson(new Random(seed))));
            return JsonCanonicalizer.Canonicalize(canonical).AsSpan().SequenceEqual(canonical);
        });

    [Property(MaxTest = 300)]
    public Property Canonicalize_DifferentSpellingsOfOneValue_ProduceSameBytes() =>
        Prop.ForAll(JsonTree.Arbitrary, ArbMap.Default.ArbFor<int>(), (tree, seed) =>
        {
            var a = JsonCanonicalizer.Canonicalize(Encoding.UTF8.GetBytes(tree.ToJson(new Random(seed))));
            var b = JsonCanonicalizer.Canonicalize(Encoding.UTF8.GetBytes(tree.ToJson(new Random(seed ^ 0x5bd1e995))));
            return a.AsSpan().SequenceEqual(b);
        });

    [Property(MaxTest = 300)]
    public Property Canonicalize_AnyDocument_ParsesBackToSameValue() =>
        Prop.ForAll(JsonTree.Arbitrary, ArbMap.Default.ArbFor<int>(), (tree, seed) =>
        {
            var canonical = JsonCanonicalizer.Canonicalize(Encoding.UTF8.GetBytes(tree.ToJson(new Random(seed))));
            return JsonTree.SameValue(tree, JsonTree.Parse(canonical));
        });

    [Property(MaxTest = 2000)]
    public Property FormatNumber_AnyFiniteDouble_RoundTripsAndIsCanonical() =>
        Prop.ForAll(ArbMap.Default.ArbFor<long>(), bits =>
        {
            var value = BitConverter.Int64BitsToDouble(bits);
            if (!double.IsFinite(value))
            {
                return true;
            }

            var text = JsonCanonicalizer.FormatNumber(value);
            var parsed = double.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
            return (parsed == value) && Canon(text) == text;
        });

    [Fact]
    public void TryCanonicalize_MutatedDocuments_OnlyDocumentedErrors()
    {
        var random = new Random(8785);
        var gen = JsonTree.Generate(20);
        var samples = gen.Sample(40, 20);
        foreach (var tree in samples)
        {
            var bytes = Encoding.UTF8.GetBytes(tree.ToJson(random));
            for (var round = 0; round < 50; round++)
            {
                var mutated = Fuzz.Mutate(bytes, random);
                if (JsonCanonicalizer.TryCanonicalize(mutated, out var canonical, out var error))
                {
                    Assert.True(JsonCanonicalizer.IsCanonical(canonical));
                }
                else
                {
                    Assert.True(Enum.IsDefined(error.Code));
                    Assert.StartsWith("$", error.Path, StringComparison.Ordinal);
                    Assert.InRange(error.ByteOffset, 0, mutated.Length);
                }
            }
        }
    }

    [Property(MaxTest = 300)]
    public Property Canonicalize_MemberOrder_MatchesUtf16OrdinalOrder() =>
        Prop.ForAll(
            Gen.Elements("a", "b", "\u00e9", "\u0800", "\ud7ff", "\ue000", "\uffff", "\ufb33", "\ud83d\ude00", "\ud800\udc00", "\udbff\udfff", "\u007f", "\u0080", "A", "")
                .ListOf().Select(parts => string.Concat(parts)).ListOf().ToArbitrary(),
            keys =>
            {
                var unique = keys.Distinct(StringComparer.Ordinal).ToList();
                var json = "{" + string.Join(',', unique.Select((k, i) => System.Text.Json.JsonSerializer.Serialize(k) + ":" + i)) + "}";
                var canonical = JsonCanonicalizer.Canonicalize(Encoding.UTF8.GetBytes(json));
                using var document = System.Text.Json.JsonDocument.Parse(canonical);
                var order = document.RootElement.EnumerateObject().Select(p => p.Name).ToList();
                return order.SequenceEqual(unique.OrderBy(k => k, StringComparer.Ordinal));
            });
}
