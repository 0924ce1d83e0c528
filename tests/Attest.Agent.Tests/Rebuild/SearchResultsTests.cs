using Attest.Agent.Core.Hook;
using Attest.Agent.Core.Rebuild;
using FsCheck;
using FsCheck.Fluent;

namespace Attest.Agent.Tests.Rebuild;

public sealed class SearchResultsTests
{
    [Fact]
    public void ReadSearchResults_EmptyAnswer_NoEntries() =>
        Assert.Empty(Rebuilder.ReadSearchResults("""{"entries":[]}"""));

    [Fact]
    public void ReadSearchResults_NonAttestationEntry_Skipped() =>
        Assert.Empty(Rebuilder.ReadSearchResults("""{"entries":[{"index":0,"document":{"registry":"change"}}],"next":0}"""));

    [Theory]
    [InlineData("")]
    [InlineData("[]")]
    [InlineData("""{"entries":{}}""")]
    [InlineData("""{"entries":[{"document":{}}]}""")]
    public void ReadSearchResults_Malformed_AttestationException(string body) =>
        Assert.Throws<AttestationException>(() => Rebuilder.ReadSearchResults(body));

    [FsCheck.Xunit.Property(MaxTest = 300)]
    public Property ReadSearchResults_MutatedAnswer_OnlyDocumentedError(NonNegativeInt position, char replacement)
    {
        const string body = """{"entries":[{"index":3,"document":{"dsse":{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[]}}}],"next":3}""";
        var chars = body.ToCharArray();
        chars[position.Get % chars.Length] = replacement;
        try
        {
            Rebuilder.ReadSearchResults(new string(chars));
            return true.ToProperty();
        }
        catch (AttestationException)
        {
            return true.ToProperty();
        }
    }
}
