using System.Diagnostics.CodeAnalysis;

namespace Attest.Tpm.Marshalling;

/// <summary>Reads one TPM structure from a <see cref="TpmReader"/>, advancing it past the structure.</summary>
internal delegate T TpmStructureReader<out T>(ref TpmReader reader);

/// <summary>
/// The public shape every structure parser has (System.Formats.Asn1 style), over its one reader method:
/// <c>Read</c> at the start of a span reporting bytesConsumed, <c>TryRead</c> that consumes nothing on failure, and
/// <c>Parse</c> of a span the structure must fill exactly. Each takes a maximum size that caps how far a structure may
/// reach, whatever its size fields say.
/// </summary>
internal static class TpmStructure
{
    public static T Read<T>(ReadOnlySpan<byte> source, int maxSize, TpmStructureReader<T> read, out int bytesConsumed)
    {
        var reader = new TpmReader(source[..Math.Min(source.Length, maxSize)]);
        T result = read(ref reader);
        bytesConsumed = reader.Position;
        return result;
    }

    public static bool TryRead<T>(ReadOnlySpan<byte> source, int maxSize, TpmStructureReader<T> read, [NotNullWhen(true)] out T? result, out int bytesConsumed)
        where T : class
    {
        try
        {
            result = Read(source, maxSize, read, out bytesConsumed);
            return true;
        }
        catch (TpmFormatException)
        {
            result = null;
            bytesConsumed = 0;
            return false;
        }
    }

    public static T Parse<T>(ReadOnlySpan<byte> source, int maxSize, TpmStructureReader<T> read, string structure)
    {
        if (source.Length > maxSize)
        {
            TpmFormatException.Throw(structure, 0, $"{source.Length} bytes exceed the maximum {maxSize}");
        }

        T result = Read(source, maxSize, read, out int consumed);
        if (consumed != source.Length)
        {
            TpmFormatException.Throw(structure, consumed, $"{source.Length - consumed} trailing bytes");
        }

        return result;
    }
}
