using System.Diagnostics;
using System.Globalization;

namespace Attest.Provenance.Internal;

/// <summary>ECMAScript <c>Number::toString</c> (ECMA-262 §6.1.6.1.20), as RFC 8785 §3.2.2.3 requires.</summary>
internal static class EcmaScriptNumber
{
    /// <summary>Longest output: sign, 17 digits, point, "e", sign, 3 exponent digits, or "0." + 6 zeros + 17 digits.</summary>
    public const int MaxLength = 32;

    /// <summary>Writes <paramref name="value"/> in ECMAScript form; the value must be finite.</summary>
    public static int Format(double value, Span<byte> destination)
    {
        Debug.Assert(double.IsFinite(value));
        Debug.Assert(destination.Length >= MaxLength);
        if (value == 0)
        {
            // Both +0 and -0 serialize as "0".
            destination[0] = (byte)'0';
            return 1;
        }

        // .NET's "R" format yields the shortest digit string that round-trips, which is ECMAScript's k-digit s
        // (including its round-half-even choice between equally short candidates); only the layout differs.
        Span<byte> raw = stackalloc byte[40];
        var ok = value.TryFormat(raw, out var rawLength, "R", CultureInfo.InvariantCulture);
        Debug.Assert(ok);
        raw = raw[..rawLength];

        Span<byte> digits = stackalloc byte[24];
        var k = 0;
        var pointPosition = -1;
        var i = 0;
        var negative = raw[0] == (byte)'-';
        if (negative)
        {
            i++;
        }

        for (; i < raw.Length; i++)
        {
            var c = raw[i];
            if (c == (byte)'.')
            {
                pointPosition = k;
            }
            else if (c is (byte)'E' or (byte)'e')
            {
                break;
            }
            else
            {
                digits[k++] = c;
            }
        }

        var exponent = 0;
        if (i < raw.Length)
        {
            exponent = int.Parse(raw[(i + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        }

        // value = 0.d1d2...dk × 10^n (ECMA-262 names the decimal exponent n).
        var n = (pointPosition < 0 ? k : pointPosition) + exponent;
        var first = 0;
        while (first < k - 1 && digits[first] == (byte)'0')
        {
            first++;
            n--;
        }

        var last = k;
        while (last > first + 1 && digits[last - 1] == (byte)'0')
        {
            last--;
        }

        ReadOnlySpan<byte> s = digits[first..last];
        k = s.Length;

        var w = 0;
        if (negative)
        {
            destination[w++] = (byte)'-';
        }

        if (k <= n && n <= 21)
        {
            s.CopyTo(destination[w..]);
            w += k;
            destination.Slice(w, n - k).Fill((byte)'0');
            w += n - k;
        }
        else if (0 < n && n <= 21)
        {
            s[..n].CopyTo(destination[w..]);
            w += n;
            destination[w++] = (byte)'.';
            s[n..].CopyTo(destination[w..]);
            w += k - n;
        }
        else if (-6 < n && n <= 0)
        {
            destination[w++] = (byte)'0';
            destination[w++] = (byte)'.';
            destination.Slice(w, -n).Fill((byte)'0');
            w += -n;
            s.CopyTo(destination[w..]);
            w += k;
        }
        else
        {
            destination[w++] = s[0];
            if (k > 1)
            {
                destination[w++] = (byte)'.';
                s[1..].CopyTo(destination[w..]);
                w += k - 1;
            }

            destination[w++] = (byte)'e';
            var e = n - 1;
            destination[w++] = e < 0 ? (byte)'-' : (byte)'+';
            ok = Math.Abs(e).TryFormat(destination[w..], out var expLength, default, CultureInfo.InvariantCulture);
            Debug.Assert(ok);
            w += expLength;
        }

        return w;
    }
}
