using System.Text;
using Attest.Transparency.Merkle;
using Attest.Transparency.Tests.Notes;
using Attest.Transparency.Witness;
using FsCheck;
using FsCheck.Xunit;

namespace Attest.Transparency.Tests.Witness;

public sealed class AddCheckpointRequestTests
{
    private static readonly TestLog Log = new(size: 100);

    [Fact]
    public void ToBytes_WithProof_MatchesTheSpecLayout()
    {
        var proof = Log.Consistency(20, 100);
        var request = new AddCheckpointRequest(20, proof, Log.CheckpointAt(100));

        string body = Encoding.UTF8.GetString(request.ToBytes());

        string expected = "old 20\n" + string.Concat(proof.Select(h => h.ToBase64() + "\n")) + "\n" + Log.CheckpointAt(100);
        Assert.Equal(expected, body);
    }

    [Property(MaxTest = 50)]
    public void Parse_ToBytes_RoundTrips(byte a, byte b)
    {
        long from = Math.Min(a, b) % 100;
        long to = Math.Max(Math.Max(a, b) % 101, from);
        var request = new AddCheckpointRequest((ulong)from, Log.Consistency(from, to), Log.CheckpointAt(to));

        var parsed = AddCheckpointRequest.Parse(request.ToBytes());

        Assert.Equal((ulong)from, parsed.OldSize);
        Assert.Equal(request.ConsistencyProof, parsed.ConsistencyProof);
        Assert.Equal(request.ToBytes(), parsed.ToBytes());
    }

    public static TheoryData<string, string> Malformed() => new()
    {
        { "", "must start with the line 'old" },
        { "old 1", "must start with the line 'old" },
        { "old -1\n\n", "old size" },
        { "old 01\n\n", "old size" },
        { "old 18446744073709551616\n\n", "old size" },
        { "old 1\nAAAA\n\n", "line 1 is not canonical base64" },
        { "old 1\n" + TreeHasher.EmptyRoot.ToBase64() + "\n", "no empty line" },
        { "old 1\n" + TreeHasher.EmptyRoot.ToBase64()[..^2] + "V=\n\n", "not canonical base64" },
        { "old 1\n\nnot a checkpoint\n", "submitted checkpoint" },
        { "old 1\n" + string.Concat(Enumerable.Repeat(TreeHasher.EmptyRoot.ToBase64() + "\n", 64)) + "\n", "more than 63" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void TryParse_Malformed_FailsNamingTheProblem(string body, string expected)
    {
        Assert.False(AddCheckpointRequest.TryParse(Encoding.UTF8.GetBytes(body), out var request, out string? error));
        Assert.Null(request);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_OverSizeCap_Fails()
    {
        Assert.False(AddCheckpointRequest.TryParse(new byte[AddCheckpointRequest.MaxBodyBytes + 1], out _, out string? error));
        Assert.Contains("limit", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_TooManyHashesOrOldAboveSize_Throws()
    {
        Assert.Throws<ArgumentException>(() => new AddCheckpointRequest(1, Enumerable.Repeat(TreeHasher.EmptyRoot, 64), Log.CheckpointAt(5)));
        Assert.Throws<ArgumentException>(() => new AddCheckpointRequest(6, [], Log.CheckpointAt(5)));
    }

    [Property(MaxTest = 200)]
    public void TryParse_MutatedRequest_FailsCleanlyOrParses(int seed)
    {
        byte[] body = new AddCheckpointRequest(20, Log.Consistency(20, 100), Log.CheckpointAt(100)).ToBytes();

        foreach (byte[] mutated in Mutations.Of(body, seed, 10))
        {
            bool ok = AddCheckpointRequest.TryParse(mutated, out var request, out string? error);
            Assert.True(ok ? request is not null : !string.IsNullOrEmpty(error));
        }
    }
}
