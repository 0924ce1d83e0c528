namespace Attest.Transparency.Tests.Notes;

/// <summary>Fuzz-style mutations of valid inputs: bit flips, byte insertions and deletions, truncations, splices.</summary>
internal static class Mutations
{
    public static IEnumerable<byte[]> Of(byte[] input, int seed, int count)
    {
        var random = new Random(seed);
        for (int n = 0; n < count; n++)
        {
            byte[] data = (byte[])input.Clone();
            int edits = random.Next(1, 4);
            for (int e = 0; e < edits && data.Length > 0; e++)
            {
                int at = random.Next(data.Length);
                data = random.Next(6) switch
                {
                    0 => Flip(data, at, (byte)(1 << random.Next(8))),
                    1 => [.. data.AsSpan(0, at), (byte)random.Next(256), .. data.AsSpan(at)],
                    2 => [.. data.AsSpan(0, at), .. data.AsSpan(at + 1)],
                    3 => data.AsSpan(0, at).ToArray(),
                    4 => [.. data.AsSpan(0, at), Interesting[random.Next(Interesting.Length)], .. data.AsSpan(at)],
                    _ => [.. data, .. data.AsSpan(at)],
                };
            }

            yield return data;
        }
    }

    // Bytes that matter to the grammars: newline, space, '+', '=', '0', '-', the em dash lead byte, invalid UTF-8.
    private static readonly byte[] Interesting = [(byte)'\n', (byte)' ', (byte)'+', (byte)'=', (byte)'0', (byte)'-', 0xE2, 0xFF, 0x00];

    private static byte[] Flip(byte[] data, int at, byte mask)
    {
        data[at] ^= mask;
        return data;
    }
}
