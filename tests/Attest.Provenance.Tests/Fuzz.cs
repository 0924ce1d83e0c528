namespace Attest.Provenance.Tests;

/// <summary>Byte-level mutations for fuzz-style parser tests.</summary>
internal static class Fuzz
{
    private static readonly byte[] Alphabet = "{}[]\",:\\0123456789eE.-+ \u00e9tfn=/_"u8.ToArray();

    public static byte[] Mutate(byte[] input, Random random)
    {
        var bytes = new List<byte>(input);
        var edits = random.Next(1, 4);
        for (var i = 0; i < edits; i++)
        {
            var position = bytes.Count == 0 ? 0 : random.Next(bytes.Count);
            switch (random.Next(5))
            {
                case 0 when bytes.Count > 0:
                    bytes.RemoveAt(position);
                    break;
                case 1:
                    bytes.Insert(position, Alphabet[random.Next(Alphabet.Length)]);
                    break;
                case 2 when bytes.Count > 0:
                    bytes[position] = (byte)random.Next(256);
                    break;
                case 3 when bytes.Count > 0:
                    bytes[position] ^= (byte)(1 << random.Next(8));
                    break;
                default:
                    var length = Math.Min(bytes.Count - position, random.Next(1, 16));
                    bytes.InsertRange(position, bytes.GetRange(position, length));
                    break;
            }
        }

        return [.. bytes];
    }
}
