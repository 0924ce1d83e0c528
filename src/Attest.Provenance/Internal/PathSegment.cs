using System.Globalization;
using System.Text;

namespace Attest.Provenance.Internal;

/// <summary>One step of a JSONPath-style location (<c>.name</c>, <c>["odd name"]</c> or <c>[3]</c>).</summary>
internal readonly record struct PathSegment(string? Name, int Index)
{
    public static PathSegment ForMember(string name) => new(name, -1);

    public static PathSegment ForIndex(int index) => new(null, index);

    public void AppendTo(StringBuilder builder)
    {
        if (Name is not null)
        {
            if (IsPlainName(Name))
            {
                builder.Append('.').Append(Name);
            }
            else
            {
                builder.Append("[\"");
                foreach (var c in Name)
                {
                    if (c is '"' or '\\')
                    {
                        builder.Append('\\').Append(c);
                    }
                    else if (c < 0x20 || char.IsSurrogate(c))
                    {
                        builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        builder.Append(c);
                    }
                }

                builder.Append("\"]");
            }
        }
        else if (Index >= 0)
        {
            builder.Append('[').Append(Index.ToString(CultureInfo.InvariantCulture)).Append(']');
        }
    }

    public static bool IsPlainName(string name)
    {
        if (name.Length == 0 || name.Length > 64 || char.IsAsciiDigit(name[0]))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '_')
            {
                return false;
            }
        }

        return true;
    }
}
