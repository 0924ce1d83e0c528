using System.Security.Cryptography;
using System.Text;
using Attest.Log.Storage;

namespace Attest.Log.Tests.Storage;

public sealed class LogStoreTests
{
    [Fact]
    public void Commit_EntryWithDigest_IsReadableAfterReopen()
    {
        using var dir = new TempDirectory();
        var document = Encoding.UTF8.GetBytes("{\"a\":1}");
        var digest = SHA256.HashData(document);
        using (var store = LogStore.Open(dir.Path))
        {
            using var batch = store.CreateBatch();
            batch.PutEntry(7, document, digest);
            batch.PutTile(0, 0, new byte[64]);
            batch.PutMeta("tree", [1, 2, 3]);
            store.Commit(batch);
        }

        using var reopened = LogStore.Open(dir.Path);
        Assert.Equal(document, reopened.GetEntry(7));
        Assert.Null(reopened.GetEntry(8));
        Assert.Equal(7, reopened.FindDuplicate(digest));
        Assert.Null(reopened.FindDuplicate(new byte[32]));
        Assert.Equal(64, reopened.GetTile(0, 0)!.Length);
        Assert.Null(reopened.GetTile(1, 0));
        Assert.Equal(new byte[] { 1, 2, 3 }, reopened.GetMeta("tree"));
    }

    [Fact]
    public void Open_DirectoryAlreadyOpen_ThrowsSayingItIsInUse()
    {
        using var dir = new TempDirectory();
        using var store = LogStore.Open(dir.Path);
        var ex = Assert.Throws<LogStoreException>(() => LogStore.Open(dir.Path));
        Assert.Contains("in use", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Search_ValuesWithSharedPrefix_ReturnsOnlyExactMatchesInOrder()
    {
        using var dir = new TempDirectory();
        using var store = LogStore.Open(dir.Path);
        using (var batch = store.CreateBatch())
        {
            batch.PutSearch(SearchKind.StorePath, "/nix/store/abc-hello", 5);
            batch.PutSearch(SearchKind.StorePath, "/nix/store/abc-hello", 2);
            batch.PutSearch(SearchKind.StorePath, "/nix/store/abc-hello-2", 3);
            batch.PutSearch(SearchKind.DrvPath, "/nix/store/abc-hello", 4);
            store.Commit(batch);
        }

        Assert.Equal([2L, 5L], store.Search(SearchKind.StorePath, "/nix/store/abc-hello", -1, 10));
        Assert.Equal([5L], store.Search(SearchKind.StorePath, "/nix/store/abc-hello", 2, 10));
        Assert.Equal([2L], store.Search(SearchKind.StorePath, "/nix/store/abc-hello", -1, 1));
        Assert.Equal([4L], store.Search(SearchKind.DrvPath, "/nix/store/abc-hello", -1, 10));
        Assert.Empty(store.Search(SearchKind.NarHash, "/nix/store/abc-hello", -1, 10));
    }

    [Fact]
    public void SearchBoth_TwoTerms_ReturnsIndexesListedUnderBothInOrderAndPaged()
    {
        using var dir = new TempDirectory();
        using var store = LogStore.Open(dir.Path);
        using (var batch = store.CreateBatch())
        {
            foreach (var index in new long[] { 0, 3, 5, 9 })
            {
                batch.PutSearch(SearchKind.Registry, "", index);
            }

            foreach (var index in new long[] { 1, 3, 4, 9, 12 })
            {
                batch.PutSearch(SearchKind.Builder, "k1", index);
            }

            batch.PutSearch(SearchKind.Builder, "k2", 5);
            store.Commit(batch);
        }

        Assert.Equal([3L, 9L], store.SearchBoth(SearchKind.Registry, "", SearchKind.Builder, "k1", -1, 10));
        Assert.Equal([3L], store.SearchBoth(SearchKind.Registry, "", SearchKind.Builder, "k1", -1, 1));
        Assert.Equal([9L], store.SearchBoth(SearchKind.Registry, "", SearchKind.Builder, "k1", 3, 10));
        Assert.Equal([5L], store.SearchBoth(SearchKind.Registry, "", SearchKind.Builder, "k2", -1, 10));
        Assert.Empty(store.SearchBoth(SearchKind.Registry, "", SearchKind.Builder, "k", -1, 10));
    }

    [Fact]
    public void PutBuilder_RegisterThenRevoke_ListShowsLatestRecord()
    {
        using var dir = new TempDirectory();
        using var store = LogStore.Open(dir.Path);
        using (var batch = store.CreateBatch())
        {
            batch.PutBuilder(new BuilderRecord("k1", "builder+k1+AAAA", "one", 0, null));
            batch.PutBuilder(new BuilderRecord("k2", "builder+k2+BBBB", "two", 1, null));
            store.Commit(batch);
        }

        using (var batch = store.CreateBatch())
        {
            batch.PutBuilder(new BuilderRecord("k1", "builder+k1+AAAA", "one", 0, 2));
            store.Commit(batch);
        }

        var all = store.ListBuilders();
        Assert.Equal(["k1", "k2"], all.Select(b => b.KeyId));
        Assert.False(store.GetBuilder("k1")!.IsActive);
        Assert.True(store.GetBuilder("k2")!.IsActive);
        Assert.Null(store.GetBuilder("k3"));
    }
}
