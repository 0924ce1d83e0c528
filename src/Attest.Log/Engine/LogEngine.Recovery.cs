using Attest.Log.Storage;
using Attest.Transparency.Checkpoints;
using Attest.Transparency.Merkle;
using Attest.Transparency.Notes;
using Attest.Transparency.Tiles;
using Microsoft.Extensions.Logging;

namespace Attest.Log.Engine;

public sealed partial class LogEngine
{
    /// <summary>
    /// Loads the tree state and checks it against the last signed checkpoint before anything is served or signed.
    /// The log never signs two inconsistent checkpoints, so any doubt stops start-up with the reason.
    /// </summary>
    private static async Task<(TileWriter Writer, SignedCheckpoint Checkpoint)> RecoverAsync(LogStore store, LogOptions options, NoteSigner signer, ILogger logger, CancellationToken cancellationToken)
    {
        var treeBytes = store.GetMeta(TreeMetaKey);
        var checkpointBytes = store.GetMeta(CheckpointMetaKey);
        if (treeBytes is null && checkpointBytes is null)
        {
            if (store.GetEntry(0) is not null)
            {
                throw new LogStoreException($"The store in '{store.Directory}' holds entries but no tree state; refusing to start on a damaged store.");
            }

            var empty = new TileWriter();
            var first = new Checkpoint(options.Origin, 0, empty.ComputeRoot()).Sign(signer);
            using (var batch = store.CreateBatch())
            {
                batch.PutMeta(TreeMetaKey, empty.TreeState.Serialize());
                batch.PutMeta(CheckpointMetaKey, first.ToBytes());
                store.Commit(batch);
            }

            return (empty, first);
        }

        if (treeBytes is null || checkpointBytes is null)
        {
            throw new LogStoreException(treeBytes is null
                ? $"The store in '{store.Directory}' has a signed checkpoint but no tree state; refusing to start."
                : $"The store in '{store.Directory}' has a tree state but no signed checkpoint; refusing to start.");
        }

        if (!CompactTree.TryDeserialize(treeBytes, out var tree))
        {
            throw new LogStoreException($"The stored tree state in '{store.Directory}' is malformed; refusing to start.");
        }

        if (!SignedCheckpoint.TryParse(checkpointBytes, out var checkpoint, out var parseError))
        {
            throw new LogStoreException($"The last signed checkpoint in '{store.Directory}' does not parse ({parseError}); refusing to start.");
        }

        var verdict = checkpoint.Verify(new CheckpointPolicy(options.Origin, [signer.Verifier]));
        if (!verdict.IsValid)
        {
            throw new LogStoreException(
                $"The last signed checkpoint does not verify with the configured log key {signer.Verifier.Encode()} and origin '{options.Origin}' ({verdict}); "
                + "is this the right key file and origin for this data directory? Refusing to start.");
        }

        var signedSize = checked((long)checkpoint.Checkpoint.TreeSize);
        if (tree.Size < signedSize)
        {
            throw new LogStoreException(
                $"The stored tree has {tree.Size} entries but the last signed checkpoint covers {signedSize}: acknowledged data is missing. Refusing to start.");
        }

        var reader = new StoreTileReader(store, () => tree.Size);
        TileWriter writer;
        try
        {
            // TileWriter.Resume rather than LoadAsync: LoadAsync(withEntries: false) turns the missing bundle into an
            // empty one (a null literal converts to ReadOnlyMemory<byte>) and then fails to parse it.
            var edge = TileLayout.RightEdgeTiles(tree.Size);
            var edgeBytes = await reader.ReadTilesAsync(edge, cancellationToken);
            writer = TileWriter.Resume(tree.Size, edgeBytes, partialBundle: null);
        }
        catch (Exception ex) when (ex is TileNotFoundException or InvalidDataException or ArgumentException)
        {
            throw new LogStoreException($"The stored hash tiles for tree size {tree.Size} are missing or malformed ({ex.Message}). Refusing to start.", ex);
        }

        if (writer.ComputeRoot() != tree.ComputeRoot())
        {
            throw new LogStoreException(
                $"The stored hash tiles give root {writer.ComputeRoot()} at size {tree.Size} but the stored tree state has {tree.ComputeRoot()}. Refusing to start.");
        }

        if (tree.Size > 0)
        {
            var lastTile = HashTile.Decode(
                TileLayout.HashTile(0, (tree.Size - 1) >> TilePath.Height, tree.Size),
                reader.Read(TileLayout.HashTile(0, (tree.Size - 1) >> TilePath.Height, tree.Size)));
            var lastEntry = store.GetEntry(tree.Size - 1);
            if (lastEntry is null || TreeHasher.HashLeaf(lastEntry) != lastTile[^1] || store.GetEntry(tree.Size) is not null)
            {
                throw new LogStoreException(
                    $"The stored entries do not end at index {tree.Size - 1} with the leaf the tiles record. Refusing to start.");
            }
        }

        var signedRoot = signedSize == 0 ? TreeHasher.EmptyRoot : await TileProofs.RootAtAsync(reader, tree.Size, signedSize, cancellationToken);
        if (signedRoot != checkpoint.Checkpoint.RootHash)
        {
            throw new LogStoreException(
                $"The stored tree's root at size {signedSize} is {signedRoot}, but the last signed checkpoint says {checkpoint.Checkpoint.RootHash}. Refusing to start.");
        }

        if (tree.Size > signedSize)
        {
            // The batch was durable (and acknowledged) but the process stopped before signing; sign it now.
            LogMessages.TreeAheadOfCheckpoint(logger, tree.Size, signedSize);
            checkpoint = SignAndStore(store, options, signer, new TreeHead(tree.Size, tree.ComputeRoot()));
        }

        return (writer, checkpoint);
    }
}
