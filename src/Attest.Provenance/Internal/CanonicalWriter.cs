using System.Buffers;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Attest.Provenance.Json;

namespace Attest.Provenance.Internal;

/// <summary>
/// One RFC 8785 canonicalization run. Values are written to one growing buffer in input order; when an object
/// ends, its members are sorted, the object is composed after the buffer's end and moved down over the unsorted
/// values, so no per-value allocations are needed beyond member names.
/// </summary>
internal sealed class CanonicalWriter
{
    private static readonly SearchValues<byte> MustEscape = SearchValues.Create(
        "\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u0009\u000a\u000b\u000c\u000d\u000e\u000f"u8 +
        "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f\"\\"u8);

    private readonly JsonCanonicalizationOptions _options;
    private readonly Segment[] _path;
    private readonly List<Member>?[] _members;
    private readonly Comparison<Member> _compareKeys;
    private byte[] _buffer;
    private int _length;
    private int _depth;
    private int _totalValues;
    private byte[]? _scratch;

    // Unescaped member names, appended as read; members refer to them by offset so sorting needs no strings.
    private byte[] _keys;
    private int _keysLength;

    public CanonicalWriter(JsonCanonicalizationOptions options)
    {
        _options = options;
        _path = new Segment[options.MaxDepth + 1];
        Array.Fill(_path, Segment.None);
        _members = new List<Member>?[options.MaxDepth + 1];
        _compareKeys = CompareKeys;
        _buffer = [];
        _keys = [];
    }

    public bool TryRun(
        ReadOnlySpan<byte> json,
        [NotNullWhen(true)] out byte[]? canonical,
        [NotNullWhen(false)] out JsonCanonicalizationError? error)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(256, json.Length + 64));
        var reader = new Utf8JsonReader(json, new JsonReaderOptions
        {
            CommentHandling = JsonCommentHandling.Disallow,
            AllowTrailingCommas = false,
            MaxDepth = _options.MaxDepth + 1,
        });
        try
        {
            if (!reader.Read())
            {
                throw new Failure(JsonCanonicalizationErrorCode.Malformed, "$", 0, "The input holds no JSON value.");
            }

            WriteValue(ref reader);
            if (reader.Read())
            {
                throw new Failure(
                    JsonCanonicalizationErrorCode.Malformed,
                    "$",
                    reader.TokenStartIndex,
                    "Data follows the JSON value.");
            }

            if (_length > _options.MaxOutputBytes)
            {
                throw OutputTooLarge(reader.BytesConsumed);
            }

            canonical = _buffer.AsSpan(0, _length).ToArray();
            error = null;
            return true;
        }
        catch (Failure failure)
        {
            canonical = null;
            error = failure.Error;
            return false;
        }
        catch (JsonException ex)
        {
            canonical = null;
            error = new JsonCanonicalizationError(
                JsonCanonicalizationErrorCode.Malformed,
                BuildPath(),
                reader.BytesConsumed,
                "Malformed JSON: " + ex.Message);
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
            if (_keys.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_keys);
                _keys = [];
            }

            if (_scratch is not null)
            {
                ArrayPool<byte>.Shared.Return(_scratch);
                _scratch = null;
            }
        }
    }

    private void WriteValue(ref Utf8JsonReader reader)
    {
        if (++_totalValues > _options.MaxTotalValues)
        {
            throw new Failure(
                JsonCanonicalizationErrorCode.TooManyElements,
                BuildPath(),
                reader.TokenStartIndex,
                $"The document holds more than {_options.MaxTotalValues} values.");
        }

        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                WriteObject(ref reader);
                break;
            case JsonTokenType.StartArray:
                WriteArray(ref reader);
                break;
            case JsonTokenType.String:
                WriteString(ReadString(ref reader), reader.TokenStartIndex);
                break;
            case JsonTokenType.Number:
                WriteNumber(ref reader);
                break;
            case JsonTokenType.True:
                Append("true"u8, reader.TokenStartIndex);
                break;
            case JsonTokenType.False:
                Append("false"u8, reader.TokenStartIndex);
                break;
            case JsonTokenType.Null:
                Append("null"u8, reader.TokenStartIndex);
                break;
            default:
                throw new Failure(
                    JsonCanonicalizationErrorCode.Malformed,
                    BuildPath(),
                    reader.TokenStartIndex,
                    $"Unexpected token {reader.TokenType}.");
        }
    }

    private void WriteObject(ref Utf8JsonReader reader)
    {
        EnterContainer(ref reader);
        var members = _members[_depth] ??= [];
        members.Clear();
        var start = _length;
        while (true)
        {
            ReadNext(ref reader);
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                break;
            }

            Debug.Assert(reader.TokenType == JsonTokenType.PropertyName);
            if (members.Count >= _options.MaxContainerElements)
            {
                throw new Failure(
                    JsonCanonicalizationErrorCode.TooManyElements,
                    BuildPath(),
                    reader.TokenStartIndex,
                    $"An object holds more than {_options.MaxContainerElements} members.");
            }

            var keyOffset = reader.TokenStartIndex;
            var (keyStart, keyLength) = StoreKey(ReadString(ref reader));
            _path[_depth] = Segment.ForKey(keyStart, keyLength);
            ReadNext(ref reader);
            var valueStart = _length;
            WriteValue(ref reader);
            members.Add(new Member(keyStart, keyLength, valueStart, _length - valueStart, keyOffset));
        }

        members.Sort(_compareKeys);
        for (var i = 1; i < members.Count; i++)
        {
            if (CompareKeys(members[i - 1], members[i]) == 0)
            {
                _path[_depth] = Segment.ForKey(members[i].KeyStart, members[i].KeyLength);
                throw new Failure(
                    JsonCanonicalizationErrorCode.DuplicateKey,
                    BuildPath(),
                    Math.Max(members[i - 1].KeyOffset, members[i].KeyOffset),
                    $"The member name \"{KeyString(members[i].KeyStart, members[i].KeyLength)}\" occurs more than once.");
            }
        }

        var composedStart = _length;
        AppendByte((byte)'{');
        for (var i = 0; i < members.Count; i++)
        {
            var member = members[i];
            if (i > 0)
            {
                AppendByte((byte)',');
            }

            WriteStringCore(_keys.AsSpan(member.KeyStart, member.KeyLength));
            AppendByte((byte)':');
            EnsureCapacity(member.Length);
            _buffer.AsSpan(member.Start, member.Length).CopyTo(_buffer.AsSpan(_length));
            _length += member.Length;
        }

        AppendByte((byte)'}');
        var composedLength = _length - composedStart;
        _buffer.AsSpan(composedStart, composedLength).CopyTo(_buffer.AsSpan(start));
        _length = start + composedLength;
        members.Clear();
        CheckOutputLength(reader.TokenStartIndex);
        ExitContainer();
    }

    private void WriteArray(ref Utf8JsonReader reader)
    {
        EnterContainer(ref reader);
        AppendByte((byte)'[');
        var count = 0;
        while (true)
        {
            ReadNext(ref reader);
            if (reader.TokenType == JsonTokenType.EndArray)
            {
                break;
            }

            if (count >= _options.MaxContainerElements)
            {
                throw new Failure(
                    JsonCanonicalizationErrorCode.TooManyElements,
                    BuildPath(),
                    reader.TokenStartIndex,
                    $"An array holds more than {_options.MaxContainerElements} items.");
            }

            if (count > 0)
            {
                AppendByte((byte)',');
            }

            _path[_depth] = Segment.ForIndex(count);
            WriteValue(ref reader);
            count++;
        }

        AppendByte((byte)']');
        ExitContainer();
    }

    private void WriteNumber(ref Utf8JsonReader reader)
    {
        var raw = reader.ValueSpan;
        if (!double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ||
            !double.IsFinite(value))
        {
            throw new Failure(
                JsonCanonicalizationErrorCode.NumberOutOfRange,
                BuildPath(),
                reader.TokenStartIndex,
                "The number is outside the range of an IEEE 754 double.");
        }

        Span<byte> text = stackalloc byte[EcmaScriptNumber.MaxLength];
        var length = EcmaScriptNumber.Format(value, text);

        // An integer literal must survive as written: beyond 2^53 only the canonical spelling of a double is
        // accepted (so canonical output reads back), never one that rounds to a different integer.
        if (raw.IndexOfAny("."u8 + "eE"u8) < 0 && !raw.SequenceEqual(text[..length]) && !raw.SequenceEqual("-0"u8))
        {
            throw new Failure(
                JsonCanonicalizationErrorCode.NumberOutOfRange,
                BuildPath(),
                reader.TokenStartIndex,
                "The integer cannot be represented exactly as an IEEE 754 double; use a string.");
        }

        Append(text[..length], reader.TokenStartIndex);
    }

    /// <summary>Returns the unescaped UTF-8 bytes of the current string or property name, validated.</summary>
    private ReadOnlySpan<byte> ReadString(ref Utf8JsonReader reader)
    {
        ReadOnlySpan<byte> value;
        if (!reader.ValueIsEscaped)
        {
            value = reader.ValueSpan;
        }
        else
        {
            var raw = reader.ValueSpan;
            if (_scratch is null || _scratch.Length < raw.Length)
            {
                if (_scratch is not null)
                {
                    ArrayPool<byte>.Shared.Return(_scratch);
                }

                _scratch = ArrayPool<byte>.Shared.Rent(Math.Max(256, raw.Length));
            }

            int written;
            try
            {
                written = reader.CopyString(_scratch);
            }
            catch (InvalidOperationException)
            {
                // System.Text.Json refuses to unescape an unpaired surrogate (\uD800 alone, or a low surrogate first).
                throw InvalidString(reader.TokenStartIndex, "The string holds an unpaired surrogate escape.");
            }

            value = _scratch.AsSpan(0, written);
        }

        if (!Utf8.IsValid(value))
        {
            throw InvalidString(reader.TokenStartIndex, "The string is not valid UTF-8.");
        }

        return value;
    }

    private (int Start, int Length) StoreKey(ReadOnlySpan<byte> key)
    {
        var required = checked(_keysLength + key.Length);
        if (required > _keys.Length)
        {
            var grown = ArrayPool<byte>.Shared.Rent(Math.Max(Math.Max(required, 256), _keys.Length * 2));
            _keys.AsSpan(0, _keysLength).CopyTo(grown);
            if (_keys.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_keys);
            }

            _keys = grown;
        }

        key.CopyTo(_keys.AsSpan(_keysLength));
        var start = _keysLength;
        _keysLength = required;
        return (start, key.Length);
    }

    /// <summary>
    /// RFC 8785 §3.2.3: order by the UTF-16 code units of the unescaped names. UTF-8 byte order is code point order,
    /// which agrees with UTF-16 order except that U+E000-U+FFFF (lead bytes 0xEE, 0xEF) sort after the supplementary
    /// planes (lead bytes 0xF0-0xF4, surrogates 0xD800-0xDBFF in UTF-16). In valid UTF-8 two names first differ either
    /// inside a character (same lead byte, so byte order holds) or at two lead bytes, which are ranked accordingly.
    /// </summary>
    private int CompareKeys(Member a, Member b)
    {
        var x = _keys.AsSpan(a.KeyStart, a.KeyLength);
        var y = _keys.AsSpan(b.KeyStart, b.KeyLength);
        var common = x.CommonPrefixLength(y);
        if (common == x.Length || common == y.Length)
        {
            return x.Length.CompareTo(y.Length);
        }

        return Utf16Rank(x[common]).CompareTo(Utf16Rank(y[common]));
    }

    private static int Utf16Rank(byte value) => value is 0xEE or 0xEF ? value + 0x10 : value;

    private string KeyString(int start, int length) => Encoding.UTF8.GetString(_keys, start, length);

    private void WriteString(ReadOnlySpan<byte> utf8, long offset)
    {
        WriteStringCore(utf8);
        CheckOutputLength(offset);
    }

    /// <summary>RFC 8785 §3.2.2.2: escape only '"', '\', and U+0000-U+001F, using the two-character forms where they exist.</summary>
    private void WriteStringCore(ReadOnlySpan<byte> utf8)
    {
        // Worst case every byte becomes \u00XX.
        EnsureCapacity(checked((utf8.Length * 6) + 2));
        var destination = _buffer.AsSpan();
        var w = _length;
        destination[w++] = (byte)'"';
        while (!utf8.IsEmpty)
        {
            // Copy the run that needs no escaping in one go (vectorized search); most strings are a single run.
            var run = utf8.IndexOfAny(MustEscape);
            if (run < 0)
            {
                run = utf8.Length;
            }

            utf8[..run].CopyTo(destination[w..]);
            w += run;
            if (run == utf8.Length)
            {
                break;
            }

            var b = utf8[run];
            utf8 = utf8[(run + 1)..];
            destination[w++] = (byte)'\\';
            switch (b)
            {
                case (byte)'"': destination[w++] = (byte)'"'; break;
                case (byte)'\\': destination[w++] = (byte)'\\'; break;
                case 0x08: destination[w++] = (byte)'b'; break;
                case 0x09: destination[w++] = (byte)'t'; break;
                case 0x0A: destination[w++] = (byte)'n'; break;
                case 0x0C: destination[w++] = (byte)'f'; break;
                case 0x0D: destination[w++] = (byte)'r'; break;
                default:
                    destination[w++] = (byte)'u';
                    destination[w++] = (byte)'0';
                    destination[w++] = (byte)'0';
                    destination[w++] = (byte)"0123456789abcdef"[b >> 4];
                    destination[w++] = (byte)"0123456789abcdef"[b & 0xF];
                    break;
            }
        }

        destination[w++] = (byte)'"';
        _length = w;
    }

    private void EnterContainer(ref Utf8JsonReader reader)
    {
        if (_depth >= _options.MaxDepth)
        {
            throw new Failure(
                JsonCanonicalizationErrorCode.TooDeep,
                BuildPath(),
                reader.TokenStartIndex,
                $"Objects and arrays nest deeper than {_options.MaxDepth} levels.");
        }

        _depth++;
        _path[_depth] = Segment.None;
    }

    private void ExitContainer()
    {
        _path[_depth] = Segment.None;
        _depth--;
    }

    private static void ReadNext(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            throw new Failure(
                JsonCanonicalizationErrorCode.Malformed,
                "$",
                reader.BytesConsumed,
                "The JSON text ends inside a value.");
        }
    }

    private void Append(ReadOnlySpan<byte> bytes, long offset)
    {
        EnsureCapacity(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
        CheckOutputLength(offset);
    }

    private void AppendByte(byte value)
    {
        EnsureCapacity(1);
        _buffer[_length++] = value;
    }

    /// <summary>
    /// The buffer holds at most the final output so far (member names not yet written), so exceeding the limit here
    /// means the final output would too. Not called while an object is being composed (that briefly holds it twice).
    /// </summary>
    private void CheckOutputLength(long offset)
    {
        if (_length > _options.MaxOutputBytes)
        {
            throw OutputTooLarge(offset);
        }
    }

    private Failure OutputTooLarge(long offset) => new(
        JsonCanonicalizationErrorCode.TooLarge,
        BuildPath(),
        offset,
        $"The canonical form exceeds the limit of {_options.MaxOutputBytes} bytes.");

    private Failure InvalidString(long offset, string message) =>
        new(JsonCanonicalizationErrorCode.InvalidString, BuildPath(), offset, message);

    private void EnsureCapacity(int additional)
    {
        var required = checked(_length + additional);
        if (required <= _buffer.Length)
        {
            return;
        }

        var grown = ArrayPool<byte>.Shared.Rent(Math.Max(required, checked(_buffer.Length * 2)));
        _buffer.AsSpan(0, _length).CopyTo(grown);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = grown;
    }

    private string BuildPath()
    {
        var builder = new StringBuilder("$");
        for (var level = 1; level <= _depth && level < _path.Length; level++)
        {
            var segment = _path[level];
            if (segment.Index >= 0)
            {
                PathSegment.ForIndex(segment.Index).AppendTo(builder);
            }
            else if (segment.KeyStart >= 0)
            {
                PathSegment.ForMember(KeyString(segment.KeyStart, segment.KeyLength)).AppendTo(builder);
            }
        }

        return builder.ToString();
    }

    private readonly record struct Member(int KeyStart, int KeyLength, int Start, int Length, long KeyOffset);

    /// <summary>A path step: a member name (offset into the key buffer) or an array index; neither when unset.</summary>
    private readonly record struct Segment(int KeyStart, int KeyLength, int Index)
    {
        public static Segment None => new(-1, 0, -1);

        public static Segment ForKey(int start, int length) => new(start, length, -1);

        public static Segment ForIndex(int index) => new(-1, 0, index);
    }

    private sealed class Failure(JsonCanonicalizationErrorCode code, string path, long offset, string message)
        : Exception(message)
    {
        public JsonCanonicalizationError Error { get; } = new(code, path, offset, message);
    }
}
