using System.Net;
using System.Text;
using System.Text.Json;
using Attest.Transparency.Bundles;
using Attest.Transparency.Checkpoints;
using Attest.Transparency.Notes;

namespace Attest.LogServer.Tests;

public sealed class WitnessTests
{
    private const string Origin = "test.example/log";

    /// <summary>A data directory with the log key created up front, so the witness can be told the log's key.</summary>
    private static (TempDirectory Directory, Ed25519NoteSigner Key) PreparedDirectory()
    {
        var directory = new TempDirectory("attest-logserver-witness-", create: true);
        var key = Ed25519NoteSigner.Generate(Origin);
        File.WriteAllText(Path.Combine(directory.Path, "log.key"), key.ExportPrivateKey());
        return (directory, key);
    }

    private static string[] WitnessArgs(TestWitness witness, int quorum) =>
    [
        "--Log:Witnesses:0:Url", witness.Url,
        "--Log:Witnesses:0:Key", witness.Signer.Verifier.Encode(),
        "--witness-quorum", quorum.ToString(System.Globalization.CultureInfo.InvariantCulture),
    ];

    private static async Task<TlogProof> SubmitAndWaitAsync(TestServer server, Provenance.Signing.IdentityKey key, string package)
    {
        using var response = await Samples.PostAsync(server.Client, Samples.Document(key, package), "?wait=checkpoint");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return TlogProof.Parse(Encoding.UTF8.GetBytes(body.GetProperty("proof").GetString()!));
    }

    [Fact]
    public async Task WaitCheckpoint_QuorumOfOneWitness_ProofCarriesVerifiedCosignature()
    {
        var (temp, logKey) = PreparedDirectory();
        using var directoryCleanup = temp;
        var directory = temp.Path;
        await using var witness = await TestWitness.StartAsync(logKey.Verifier);
        await using var server = await TestServer.StartAsync(directory, WitnessArgs(witness, 1));
        using var key = Samples.Builder();
        await Samples.RegisterAsync(server.Client, key);

        var proof = await SubmitAndWaitAsync(server, key, "witnessed");
        var policy = new CheckpointPolicy(Origin, [logKey.Verifier], [witness.Signer.Verifier], witnessThreshold: 1);
        Assert.True(proof.Checkpoint.Verify(policy).IsValid);

        var served = SignedCheckpoint.Parse(await server.Client.GetByteArrayAsync("checkpoint"));
        var verdict = served.Verify(policy);
        Assert.True(verdict.IsValid, verdict.ToString());
        Assert.Single(verdict.Cosignatures);
    }

    [Fact]
    public async Task Restart_WitnessAheadOfNewProcess_RecoversFrom409AndCosignsAgain()
    {
        var (temp, logKey) = PreparedDirectory();
        using var directoryCleanup = temp;
        var directory = temp.Path;
        await using var witness = await TestWitness.StartAsync(logKey.Verifier);
        var policy = new CheckpointPolicy(Origin, [logKey.Verifier], [witness.Signer.Verifier], witnessThreshold: 1);
        using var key = Samples.Builder();
        await using (var first = await TestServer.StartAsync(directory, WitnessArgs(witness, 1)))
        {
            await Samples.RegisterAsync(first.Client, key);
            await SubmitAndWaitAsync(first, key, "before-restart");
        }

        // The new process starts believing the witness is at size 0; the witness answers 409 with its size.
        await using var second = await TestServer.StartAsync(directory, WitnessArgs(witness, 1));
        var proof = await SubmitAndWaitAsync(second, key, "after-restart");
        Assert.True(proof.Checkpoint.Verify(policy).IsValid);
        Assert.Equal(3UL, proof.Checkpoint.Checkpoint.TreeSize);
    }

    [Fact]
    public async Task Checkpoint_NoQuorumConfigured_ServesLogSignedCheckpointAndAddsCosignatures()
    {
        var (temp, logKey) = PreparedDirectory();
        using var directoryCleanup = temp;
        var directory = temp.Path;
        await using var witness = await TestWitness.StartAsync(logKey.Verifier);
        await using var server = await TestServer.StartAsync(directory, WitnessArgs(witness, 0));
        using var key = Samples.Builder();
        await Samples.RegisterAsync(server.Client, key);

        var proof = await SubmitAndWaitAsync(server, key, "unwitnessed-ok");
        Assert.True(proof.Checkpoint.Verify(new CheckpointPolicy(Origin, [logKey.Verifier])).IsValid);

        // Cosignatures arrive after the log signs; the served checkpoint gains one without a quorum being required.
        var policy = new CheckpointPolicy(Origin, [logKey.Verifier], [witness.Signer.Verifier], witnessThreshold: 1);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        CheckpointVerdict verdict;
        do
        {
            verdict = SignedCheckpoint.Parse(await server.Client.GetByteArrayAsync("checkpoint")).Verify(policy);
            if (!verdict.IsValid)
            {
                await Task.Delay(50);
            }
        }
        while (!verdict.IsValid && DateTime.UtcNow < deadline);

        Assert.True(verdict.IsValid, verdict.ToString());
    }
}
