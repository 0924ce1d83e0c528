using FsCheck;
using FsCheck.Fluent;

namespace Attest.Tpm.Tests.Support;

/// <summary>
/// Shared pieces of the parser property and fuzz tests (both TPM libraries): mutations of valid inputs, and the
/// check that a parser either succeeds or throws its one documented exception without allocating in proportion to
/// a hostile length field.
/// </summary>
public static class ParserProperties
{
    /// <summary>A mutation: overwrite up to three bytes, then optionally truncate or extend.</summary>
    public static Gen<Func<byte[], byte[]>> Mutation() =>
        from count in Gen.Choose(0, 3)
        from edits in Gen.ArrayOf(Gen.Zip(Gen.Choose(0, int.MaxValue), ArbMap.Default.GeneratorFor<byte>()), count)
        from cut in Gen.Choose(-40, 4)
        select (Func<byte[], byte[]>)(input =>
        {
            byte[] copy = (byte[])input.Clone();
            foreach ((int at, byte value) in edits)
            {
                copy[at % copy.Length] = value;
            }

            return cut switch
            {
                < 0 => copy[..Math.Max(0, copy.Length + cut)],
                0 => copy,
                _ => [.. copy, .. new byte[cut]],
            };
        });

    /// <summary>
    /// Deterministic mutants of <paramref name="seed"/> (fixed <paramref name="rngSeed"/>): a bit flip, a UINT16 size
    /// field set to 0xFFFF, a truncation, or a splice of the input into itself.
    /// </summary>
    public static IEnumerable<byte[]> Mutants(byte[] seed, int count, int rngSeed)
    {
        ArgumentNullException.ThrowIfNull(seed);
        var random = new Random(rngSeed);
        for (int i = 0; i < count; i++)
        {
            byte[] m = (byte[])seed.Clone();
            switch (random.Next(4))
            {
                case 0:
                    m[random.Next(m.Length)] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    int at = random.Next(m.Length - 1);
                    m[at] = 0xFF;
                    m[at + 1] = 0xFF;
                    break;
                case 2:
                    m = m[..random.Next(m.Length)];
                    break;
                default:
                    int from = random.Next(m.Length);
                    int to = random.Next(m.Length);
                    int len = random.Next(Math.Min(m.Length - from, m.Length - to) + 1);
                    Array.Copy(seed, from, m, to, len);
                    break;
            }

            yield return m;
        }
    }

    /// <summary>Runs <paramref name="parse"/>; only <typeparamref name="TException"/> may escape, and allocation stays bounded by the input.</summary>
    public static void OnlyThrows<TException>(byte[] input, Action<byte[]> parse)
        where TException : Exception
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(parse);
        long before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            parse(input);
        }
        catch (TException)
        {
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < (64L * input.Length) + (256 * 1024), $"parsing {input.Length} bytes allocated {allocated} bytes");
    }
}
