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
    private readonly PathSegment[] _path;
    private readonly List<Member>?[] _members;
    private byte[] _buffer;
    private int _length;
    private int _depth;
    private int _totalValues;
    private byte[]? _scratch;

    public CanonicalWriter(JsonCanonicalizationOptions options)
    {
        _options = options;
        _path = new PathSegment[options.MaxDepth + 1];
        _members = new List<Member>?[options.MaxDepth + 1];
        _buffer = [];
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
            var key = Encoding.UTF8.GetString(ReadString(ref reader));
            _path[_depth] = PathSegment.ForMember(key);
            ReadNext(ref reader);
            var valueStart = _length;
            WriteValue(ref reader);
            members.Add(new Member(key, valueStart, _length - valueStart, keyOffset));
        }

        // RFC 8785 §3.2.3: sort by the UTF-16 code units of the unescaped names; ordinal string order is exactly that.
        members.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        for (var i = 1; i < members.Count; i++)
        {
            if (string.Equals(members[i - 1].Key, members[i].Key, StringComparison.Ordinal))
            {
                _path[_depth] = PathSegment.ForMember(members[i].Key);
                throw new Failure(
                    JsonCanonicalizationErrorCode.DuplicateKey,
                    BuildPath(),
                    Math.Max(members[i - 1].KeyOffset, members[i].KeyOffset),
                    $"The member name \"{members[i].Key}\" occurs more than once.");
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

            WriteKey(member.Key);
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

            _path[_depth] = PathSegment.ForIndex(count);
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

    private void WriteKey(string key)
    {
        var maxBytes = Encoding.UTF8.GetMaxByteCount(key.Length);
        if (maxBytes <= 512)
        {
            Span<byte> utf8 = stackalloc byte[maxBytes];
            var length = Encoding.UTF8.GetBytes(key, utf8);
            WriteStringCore(utf8[..length]);
        }
        else
        {
            var rented = ArrayPool<byte>.Shared.Rent(maxBytes);
            var length = Encoding.UTF8.GetBytes(key, rented);
            WriteStringCore(rented.AsSpan(0, length));
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

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
        _path[_depth] = default;
    }

    private void ExitContainer()
    {
        _path[_depth] = default;
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
            _path[level].AppendTo(builder);
        }

        return builder.ToString();
    }

    private readonly record struct Member(string Key, int Start, int Length, long KeyOffset);

    private sealed class Failure(JsonCanonicalizationErrorCode code, string path, long offset, string message)
        : Exception(message)
    {
        public JsonCanonicalizationError Error { get; } = new(code, path, offset, message);
    }
}
