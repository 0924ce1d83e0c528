using Attest.Provenance.Internal;
using Attest.Provenance.Signing;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Attest.Provenance.Tests.Signing;

public sealed class StrictBase64Tests
{
    [Property(MaxTest = 300)]
    public Property TryDecode_StandardEncoding_RoundTrips() =>
        Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), bytes =>
            StrictBase64.TryDecode(Convert.ToBase64String(bytes), out var decoded) && decoded.AsSpan().SequenceEqual(bytes));

    [Property(MaxTest = 300)]
    public Property TryDecode_OtherSpellings_Refused() =>
        Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), ArbMap.Default.ArbFor<int>(), (bytes, seed) =>
        {
            var text = Convert.ToBase64String(bytes);
            var random = new Random(seed);
            var withSpace = text.Insert(random.Next(text.Length + 1), random.Next(2) == 0 ? " " : "\n");
            var urlSafe = text.Replace('+', '-').Replace('/', '_');
            var unpadded = text.TrimEnd('=');
            return !StrictBase64.TryDecode(withSpace, out _) &&
                (urlSafe == text || !StrictBase64.TryDecode(urlSafe, out _)) &&
                (unpadded == text || !StrictBase64.TryDecode(unpadded, out _));
        });

    [Theory]
    [InlineData("AB==")]
    [InlineData("AAB=")]
    [InlineData("A===")]
    [InlineData("=AAA")]
    [InlineData("AA=A")]
    [InlineData("AAAA\u00e9AAA")]
    public void TryDecode_NonCanonical_Refused(string text) => Assert.False(StrictBase64.TryDecode(text, out _));

    [Property(MaxTest = 300)]
    public Property TryParsePrivateKey_RandomText_NeverThrows() =>
        Prop.ForAll(ArbMap.Default.ArbFor<string>(), text =>
        {
            var ok = IdentityKey.TryParsePrivateKey(IdentityKey.PrivateKeyPrefix + "+" + text, out var key, out var error);
            key?.Dispose();
            return ok ? key is not null : error is not null;
        });
}
