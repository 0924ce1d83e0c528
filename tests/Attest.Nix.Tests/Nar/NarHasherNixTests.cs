using System.Net.Sockets;
using System.Text.Json;
using Attest.Nix.Nar;
using Attest.Nix.Tests.Support;

namespace Attest.Nix.Tests.Nar;

/// <summary>NAR hashes and bytes compared with the real Nix (nix-store --dump, nix hash path, nix path-info).</summary>
public sealed class NarHasherNixTests
{
    [Fact]
    public void HashPath_MixedTree_MatchesNixStoreDump()
    {
        using var temp = new TempDirectory();
        var root = temp.Combine("tree");
        TreeBuilder.BuildMixedTree(root);

        var (expectedHex, expectedLength) = NixCli.HashOutput("nix-store", "--dump", root);
        var result = NarHasher.HashPath(root);

        Assert.Equal(expectedHex, result.Hash.ToHex());
        Assert.Equal(expectedLength, result.Size);
    }

    [Fact]
    public void HashPath_MixedTree_MatchesNixHashPath()
    {
        using var temp = new TempDirectory();
        var root = temp.Combine("tree");
        TreeBuilder.BuildMixedTree(root);

        var expected = NixCli.RunText("nix", NixCli.NixCommand, NixCli.NixCommandFeature, "hash", "path", "--type", "sha256", "--base32", root);

        Assert.Equal("sha256:" + expected, NarHasher.HashPath(root).Hash.ToString());
    }

    [Fact]
    public void Dump_MixedTree_BytesEqualNixStoreDump()
    {
        using var temp = new TempDirectory();
        var root = temp.Combine("tree");
        TreeBuilder.BuildMixedTree(root);

        var expected = NixCli.Run("nix-store", "--dump", root);
        using var ours = new MemoryStream();
        var length = NarSerializer.Dump(root, ours);

        Assert.Equal(expected.Length, length);
        Assert.True(expected.AsSpan().SequenceEqual(ours.ToArray()), "NAR bytes differ from nix-store --dump");
    }

    [Fact]
    public async Task DumpAsync_MixedTree_BytesEqualNixStoreDump()
    {
        using var temp = new TempDirectory();
        var root = temp.Combine("tree");
        TreeBuilder.BuildMixedTree(root);

        var expected = NixCli.Run("nix-store", "--dump", root);
        using var ours = new MemoryStream();
        var length = await NarSerializer.DumpAsync(root, ours, CancellationToken.None);

        Assert.Equal(expected.Length, length);
        Assert.True(expected.AsSpan().SequenceEqual(ours.ToArray()), "NAR bytes differ from nix-store --dump");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData((1 << 20) - 3)]
    [InlineData((1 << 20) * 3 + 5)]
    public void HashPath_SingleFileAtBlockBoundaries_MatchesNix(int size)
    {
        using var temp = new TempDirectory();
        var file = temp.Combine("file");
        TreeBuilder.WriteFile(file, TreeBuilder.Bytes(size, size), UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var (expectedHex, expectedLength) = NixCli.HashOutput("nix-store", "--dump", file);
        var result = NarHasher.HashPath(file);

        Assert.Equal(expectedHex, result.Hash.ToHex());
        Assert.Equal(expectedLength, result.Size);
    }

    [Fact]
    public void HashPath_LargeFile_MatchesNix()
    {
        using var temp = new TempDirectory();
        var file = temp.Combine("large.bin");
        TreeBuilder.WriteLargeFile(file, (96L << 20) + 12345, seed: 7);

        var (expectedHex, expectedLength) = NixCli.HashOutput("nix-store", "--dump", file);
        var result = NarHasher.HashPath(file);

        Assert.Equal(expectedHex, result.Hash.ToHex());
        Assert.Equal(expectedLength, result.Size);
    }

    [Fact]
    public void HashPath_ConcurrentAndRepeatedCalls_AllMatchNix()
    {
        using var temp = new TempDirectory();
        var root = temp.Combine("tree");
        TreeBuilder.BuildMixedTree(root);
        TreeBuilder.WriteLargeFile(Path.Combine(root, "blocks.bin"), (3L << 20) + 77, seed: 3);
        var (expectedHex, expectedLength) = NixCli.HashOutput("nix-store", "--dump", root);

        var results = new NarHashResult[12];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => results[i] = NarHasher.HashPath(root));

        Assert.All(results, r =>
        {
            Assert.Equal(expectedHex, r.Hash.ToHex());
            Assert.Equal(expectedLength, r.Size);
        });
    }

    [Fact]
    public void HashPath_SymlinkRoot_IsNotFollowed()
    {
        using var temp = new TempDirectory();
        var link = temp.Combine("link");
        File.CreateSymbolicLink(link, "/nix/store/some-target");

        var (expectedHex, _) = NixCli.HashOutput("nix-store", "--dump", link);

        Assert.Equal(expectedHex, NarHasher.HashPath(link).Hash.ToHex());
    }

    [Fact]
    public void HashPath_NonUtf8FileName_MatchesNix()
    {
        using var temp = new TempDirectory();
        var root = temp.Combine("raw");
        Directory.CreateDirectory(root);

        // .NET cannot name a file with invalid UTF-8; the shell can.
        NixCli.Run("/bin/sh", "-c", "cd \"$1\" && printf x > \"$(printf 'bad\\377name')\" && printf y > \"$(printf 'bad\\376')\" && printf z > ok", "sh", root);

        var (expectedHex, expectedLength) = NixCli.HashOutput("nix-store", "--dump", root);
        var result = NarHasher.HashPath(root);

        Assert.Equal(expectedHex, result.Hash.ToHex());
        Assert.Equal(expectedLength, result.Size);
    }

    [Fact]
    public void HashPath_StorePathAddedByNix_MatchesPathInfo()
    {
        using var temp = new TempDirectory();
        var root = temp.Combine("attest-nar-test");
        TreeBuilder.BuildMixedTree(root);
        File.WriteAllText(Path.Combine(root, "nonce"), Guid.NewGuid().ToString());

        var storePath = NixCli.RunText("nix-store", "--add", root);
        using var json = JsonDocument.Parse(NixCli.Run("nix", NixCli.NixCommand, NixCli.NixCommandFeature, "path-info", "--json", storePath));
        var info = json.RootElement[0];
        var result = NarHasher.HashPath(storePath);

        Assert.Equal(NixHash.Parse(info.GetProperty("narHash").GetString()!), result.Hash);
        Assert.Equal(info.GetProperty("narSize").GetInt64(), result.Size);
        Assert.Equal(NixCli.RunText("nix-store", "--query", "--hash", storePath), result.Hash.ToString());
    }

    [Fact]
    public void HashPath_MissingPath_ThrowsNamingPath()
    {
        using var temp = new TempDirectory();
        var missing = temp.Combine("missing");

        var ex = Assert.Throws<NarSerializationException>(() => NarHasher.HashPath(missing));

        Assert.Contains(missing, ex.Message, StringComparison.Ordinal);
        Assert.Equal(missing, ex.Path);
        Assert.Equal(2, ex.ErrorNumber);
    }

    [Fact]
    public void HashPath_TreeWithSocket_ThrowsNamingSocket()
    {
        using var temp = new TempDirectory();
        var root = temp.Combine("tree");
        Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, "a"), "a");
        var socketPath = Path.Combine(root, "b.sock");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(socketPath));

        var ex = Assert.Throws<NarSerializationException>(() => NarHasher.HashPath(root));

        Assert.Contains("socket", ex.Message, StringComparison.Ordinal);
        Assert.Equal(socketPath, ex.Path);
    }

    [Fact]
    public void HashPath_TreeWithFifo_ThrowsWithoutBlocking()
    {
        using var temp = new TempDirectory();
        var root = temp.Combine("tree");
        Directory.CreateDirectory(root);
        var fifo = Path.Combine(root, "pipe");
        NixCli.Run("mkfifo", fifo);

        var ex = Assert.Throws<NarSerializationException>(() => NarHasher.HashPath(root));

        Assert.Contains("FIFO", ex.Message, StringComparison.Ordinal);
        Assert.Equal(fifo, ex.Path);
    }

    [Fact]
    public void HashPath_CharacterDevice_Throws()
    {
        var ex = Assert.Throws<NarSerializationException>(() => NarHasher.HashPath("/dev/null"));

        Assert.Contains("character device", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HashPath_MaxDepthExceeded_Throws()
    {
        using var temp = new TempDirectory();
        var root = temp.Combine("tree");
        Directory.CreateDirectory(Path.Combine(root, "a", "b", "c"));

        Assert.Equal(NarHasher.HashPath(root, maxDepth: 3), NarHasher.HashPath(root));
        var ex = Assert.Throws<NarSerializationException>(() => NarHasher.HashPath(root, maxDepth: 2));
        Assert.Contains("deeper than 2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HashPath_Cancelled_ThrowsOperationCanceled()
    {
        using var temp = new TempDirectory();
        var root = temp.Combine("tree");
        TreeBuilder.BuildMixedTree(root);
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => NarHasher.HashPath(root, cancellation.Token));
    }
}
