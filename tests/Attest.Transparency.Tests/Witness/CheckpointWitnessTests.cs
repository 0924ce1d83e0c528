using System.Text;
using Attest.Transparency.Checkpoints;
using Attest.Transparency.Cosignatures;
using Attest.Transparency.Merkle;
using Attest.Transparency.Notes;
using Attest.Transparency.Tests.Notes;
using Attest.Transparency.Witness;

namespace Attest.Transparency.Tests.Witness;

public sealed class CheckpointWitnessTests
{
    private readonly TestLog _log = new(size: 40);
    private readonly CosignatureSigner _witnessKey = TestKeys.Witness("witness.example/w1", 1_700_000_000);
    private readonly InMemoryWitnessStateStore _store = new();

    private CheckpointWitness CreateWitness(IWitnessStateStore? store = null) =>
        new([new WitnessLog(_log.Origin, _log.Signer.Verifier)], store ?? _store, _witnessKey);

    private ValueTask<WitnessResponse> Submit(CheckpointWitness witness, ulong oldSize, long size, MerkleHash[]? proof = null, SignedCheckpoint? checkpoint = null) =>
        witness.AddCheckpointAsync(
            new AddCheckpointRequest(oldSize, proof ?? _log.Consistency((long)oldSize, size), checkpoint ?? _log.CheckpointAt(size)).ToBytes(),
            CancellationToken.None);

    private static string Body(WitnessResponse response) => Encoding.UTF8.GetString(response.Body.Span);

    [Fact]
    public async Task AddCheckpoint_FromZero_ReturnsVerifiableCosignatureAndPersists()
    {
        var witness = CreateWitness();

        var response = await Submit(witness, 0, 10);

        Assert.Equal(200, response.StatusCode);
        Assert.Equal(WitnessOutcome.Cosigned, response.Outcome);
        var lines = NoteSignature.ParseLines(response.Body.Span);
        var cosigned = _log.CheckpointAt(10).WithSignatures(lines);
        var verdict = cosigned.Verify(new CheckpointPolicy(_log.Origin, [_log.Signer.Verifier], [_witnessKey.Verifier], 1));
        Assert.True(verdict.IsValid, verdict.Message);
        Assert.Equal(1_700_000_000ul, verdict.Cosignatures[0].Timestamp);
        var state = await _store.GetAsync(_log.Origin, CancellationToken.None);
        Assert.Equal(10ul, state!.Value.TreeSize);
        Assert.Equal(_log.RootAt(10), state.Value.RootHash);
    }

    [Fact]
    public async Task AddCheckpoint_ConsistentExtension_Cosigns()
    {
        var witness = CreateWitness();
        await Submit(witness, 0, 10);

        var response = await Submit(witness, 10, 37);

        Assert.Equal(200, response.StatusCode);
        Assert.Equal(37ul, (await _store.GetAsync(_log.Origin, CancellationToken.None))!.Value.TreeSize);
    }

    [Fact]
    public async Task AddCheckpoint_StaleOldSize_Returns409WithCurrentSize()
    {
        var witness = CreateWitness();
        await Submit(witness, 0, 10);

        var response = await Submit(witness, 0, 20);

        Assert.Equal(409, response.StatusCode);
        Assert.Equal(WitnessOutcome.Conflict, response.Outcome);
        Assert.Equal("text/x.tlog.size", response.ContentType);
        Assert.Equal("10\n", Body(response));
    }

    [Fact]
    public async Task AddCheckpoint_UnknownOldSizeForNewLog_Returns409WithZero()
    {
        var response = await Submit(CreateWitness(), 5, 20);

        Assert.Equal(409, response.StatusCode);
        Assert.Equal("0\n", Body(response));
    }

    [Fact]
    public async Task AddCheckpoint_SameSizeSameRoot_CosignsAgain()
    {
        var witness = CreateWitness();
        await Submit(witness, 0, 10);

        var response = await Submit(witness, 10, 10);

        Assert.Equal(200, response.StatusCode);
    }

    [Fact]
    public async Task AddCheckpoint_SameSizeDifferentRoot_Returns409AndKeepsState()
    {
        var witness = CreateWitness();
        await Submit(witness, 0, 10);
        var fork = new Checkpoint(_log.Origin, 10, _log.RootAt(11)).Sign(_log.Signer);

        var response = await Submit(witness, 10, 10, [], fork);

        Assert.Equal(409, response.StatusCode);
        Assert.Equal(WitnessOutcome.RootMismatch, response.Outcome);
        Assert.Equal("10\n", Body(response));
        Assert.Equal(_log.RootAt(10), (await _store.GetAsync(_log.Origin, CancellationToken.None))!.Value.RootHash);
    }

    [Fact]
    public async Task AddCheckpoint_WrongProof_Returns422AndKeepsState()
    {
        var witness = CreateWitness();
        await Submit(witness, 0, 10);
        var proof = _log.Consistency(10, 30);
        proof[0] = TreeHasher.HashLeaf("forged"u8);

        var response = await Submit(witness, 10, 30, proof);

        Assert.Equal(422, response.StatusCode);
        Assert.Contains("consistency proof", response.Message, StringComparison.Ordinal);
        Assert.Equal(10ul, (await _store.GetAsync(_log.Origin, CancellationToken.None))!.Value.TreeSize);
    }

    [Fact]
    public async Task AddCheckpoint_ForkedTreeWithItsOwnValidProof_Returns422()
    {
        var witness = CreateWitness();
        await Submit(witness, 0, 10);
        var other = new MemoryNodeStore();
        for (long i = 0; i < 30; i++)
        {
            other.AppendEntry(i == 5 ? "changed"u8 : TestLog.Entry(i));
        }

        var forkCheckpoint = new Checkpoint(_log.Origin, 30, ProofPlan.RootAt(other, 30)).Sign(_log.Signer);

        var response = await Submit(witness, 10, 30, ProofPlan.ConsistencyProof(other, 10, 30), forkCheckpoint);

        Assert.Equal(422, response.StatusCode);
    }

    [Fact]
    public async Task AddCheckpoint_NonEmptyProofFromZero_Returns422()
    {
        var response = await Submit(CreateWitness(), 0, 10, [TreeHasher.EmptyRoot]);

        Assert.Equal(422, response.StatusCode);
    }

    [Fact]
    public async Task AddCheckpoint_UnknownOrigin_Returns404()
    {
        var other = new TestLog("other.example/log", 5);
        var response = await CreateWitness().AddCheckpointAsync(
            new AddCheckpointRequest(0, [], other.CheckpointAt(5)).ToBytes(), CancellationToken.None);

        Assert.Equal(404, response.StatusCode);
        Assert.Contains("other.example/log", response.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddCheckpoint_SignedByAnotherKey_Returns403()
    {
        var impostor = TestKeys.Log("impostor");
        var response = await Submit(CreateWitness(), 0, 10, [], _log.CheckpointAt(10, impostor));

        Assert.Equal(403, response.StatusCode);
        Assert.Equal(WitnessOutcome.BadSignature, response.Outcome);
    }

    [Fact]
    public async Task AddCheckpoint_LogKeySignatureOverOtherText_Returns403()
    {
        byte[] other = _log.Signer.Sign(_log.CheckpointAt(11).Note.TextUtf8);
        var forged = SignedCheckpoint.FromNote(_log.CheckpointAt(10).Note.WhereSignatures(_ => false)
            .WithSignatures([new NoteSignature(_log.Signer.Name, _log.Signer.KeyId, other)]));

        var response = await Submit(CreateWitness(), 0, 10, [], forged);

        Assert.Equal(403, response.StatusCode);
        Assert.Contains("does not verify", response.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddCheckpoint_OldSizeAboveCheckpointSize_Returns400()
    {
        var witness = CreateWitness();
        byte[] body = Encoding.UTF8.GetBytes("old 11\n\n" + _log.CheckpointAt(10));

        var response = await witness.AddCheckpointAsync(body, CancellationToken.None);

        Assert.Equal(400, response.StatusCode);
        Assert.Equal(WitnessOutcome.OldSizeTooLarge, response.Outcome);
    }

    [Theory]
    [InlineData("")]
    [InlineData("old 0\n")]
    [InlineData("new 0\n\n")]
    [InlineData("old 00\n\n")]
    [InlineData("old x\n\n")]
    public async Task AddCheckpoint_MalformedBody_Returns400(string prefix)
    {
        var response = await CreateWitness().AddCheckpointAsync(Encoding.UTF8.GetBytes(prefix), CancellationToken.None);

        Assert.Equal(400, response.StatusCode);
        Assert.Equal(WitnessOutcome.Malformed, response.Outcome);
        Assert.False(string.IsNullOrEmpty(response.Message));
    }

    [Fact]
    public async Task AddCheckpoint_ConcurrentRequestsFromSameOldSize_ExactlyOneWins()
    {
        var witness = CreateWitness();
        long[] sizes = [11, 12, 13, 14, 15, 16, 17, 18];

        var responses = await Task.WhenAll(sizes.Select(s => Task.Run(async () => await Submit(witness, 0, s))));

        var winners = responses.Where(r => r.StatusCode == 200).ToArray();
        Assert.Single(winners);
        Assert.All(responses.Where(r => r.StatusCode != 200), r => Assert.Equal(409, r.StatusCode));
        ulong stored = (await _store.GetAsync(_log.Origin, CancellationToken.None))!.Value.TreeSize;
        Assert.All(responses.Where(r => r.StatusCode == 409), r => Assert.Equal($"{stored}\n", Body(r)));
    }

    [Fact]
    public async Task AddCheckpoint_FileStore_StateSurvivesANewWitnessInstance()
    {
        string directory = Path.Combine(Path.GetTempPath(), "attest-witness-" + Guid.NewGuid().ToString("N"));
        try
        {
            using (var first = new FileWitnessStateStore(directory))
            {
                Assert.Equal(200, (await Submit(CreateWitness(first), 0, 10)).StatusCode);
            }

            using var second = new FileWitnessStateStore(directory);
            var witness = CreateWitness(second);

            Assert.Equal("10\n", Body(await Submit(witness, 0, 20)));
            Assert.Equal(200, (await Submit(witness, 10, 20)).StatusCode);
            Assert.Equal(20ul, (await second.GetAsync(_log.Origin, CancellationToken.None))!.Value.TreeSize);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task FileStore_CorruptStateFile_FailsLoudly()
    {
        string directory = Path.Combine(Path.GetTempPath(), "attest-witness-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var store = new FileWitnessStateStore(directory);
            await Submit(CreateWitness(store), 0, 10);
            string file = Directory.GetFiles(directory).Single();
            await File.WriteAllTextAsync(file, "garbage");

            await Assert.ThrowsAsync<InvalidDataException>(async () => await store.GetAsync(_log.Origin, CancellationToken.None));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Constructor_DuplicateOrigin_Throws()
    {
        var log = new WitnessLog(_log.Origin, _log.Signer.Verifier);

        Assert.Throws<ArgumentException>(() => new CheckpointWitness([log, log], _store, _witnessKey));
        Assert.Throws<ArgumentException>(() => new CheckpointWitness([log], _store));
    }
}
