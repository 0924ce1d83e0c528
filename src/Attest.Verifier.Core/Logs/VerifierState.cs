using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Attest.Transparency.Checkpoints;

namespace Attest.Verifier.Logs;

/// <summary>
/// The verifier's memory across runs: the newest verified checkpoint of each log, one file per log in a directory
/// (default <c>~/.local/state/attest-verify</c>). A checkpoint replaces the stored one only when it is larger and was
/// proved consistent with it, so the state never rolls back.
/// </summary>
/// <remarks>
/// Files are written to a temporary name and renamed, so a crash leaves either the old or the new checkpoint. Within a
/// process, updates of one log are serialised; two processes racing may both prove consistency and the smaller one may
/// land last, which costs only the later detection of a fork, never a false one.
/// </remarks>
public sealed class VerifierState
{
    private const int MaxCheckpointFileBytes = 1 << 20;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);

    /// <summary>Creates a state over <paramref name="directory"/> (created on first write).</summary>
    /// <param name="directory">The directory.</param>
    public VerifierState(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory = directory;
    }

    /// <summary>Gets the default directory: <c>$XDG_STATE_HOME/attest-verify</c> or <c>~/.local/state/attest-verify</c>.</summary>
    public static string DefaultDirectory
    {
        get
        {
            string? xdg = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
            string baseDirectory = string.IsNullOrEmpty(xdg)
                ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state")
                : xdg;
            return Path.Combine(baseDirectory, "attest-verify");
        }
    }

    /// <summary>Gets the state directory.</summary>
    public string Directory { get; }

    /// <summary>Gets the file that holds the newest checkpoint of <paramref name="origin"/>.</summary>
    /// <param name="origin">The log origin.</param>
    /// <returns>The path (the origin's SHA-256 in hex, so any origin text is a safe file name).</returns>
    public string FileFor(string origin) =>
        Path.Combine(Directory, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(origin))) + ".checkpoint");

    /// <summary>Reads the stored checkpoint of a log and re-verifies it (the directory is not trusted more than the network).</summary>
    /// <param name="policy">The log's checkpoint policy.</param>
    /// <returns>The stored checkpoint, or <see langword="null"/> when none was stored.</returns>
    /// <exception cref="LogIntegrityException">The stored file is damaged or does not verify under the policy.</exception>
    public SignedCheckpoint? Load(CheckpointPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        string file = FileFor(policy.Origin);
        byte[] bytes;
        try
        {
            using var stream = File.OpenRead(file);
            if (stream.Length > MaxCheckpointFileBytes)
            {
                throw new LogIntegrityException($"The stored checkpoint {file} is {stream.Length} bytes; the limit is {MaxCheckpointFileBytes}.");
            }

            bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }

        if (!SignedCheckpoint.TryParse(bytes, out SignedCheckpoint? stored, out string? error))
        {
            throw new LogIntegrityException($"The stored checkpoint {file} of {policy.Origin} is damaged: {error}.");
        }

        CheckpointVerdict verdict = stored.Verify(policy);
        return verdict.IsValid
            ? stored
            : throw new LogIntegrityException($"The stored checkpoint {file} does not verify under the policy for {policy.Origin}: {verdict}.");
    }

    /// <summary>
    /// Moves the stored checkpoint of a log forward to <paramref name="candidate"/> after <paramref name="proveConsistent"/>
    /// showed the stored one is a prefix of it; equal sizes must have equal roots.
    /// </summary>
    /// <param name="policy">The log's checkpoint policy.</param>
    /// <param name="candidate">A verified checkpoint just fetched.</param>
    /// <param name="proveConsistent">Checks that the older of two checkpoints is a prefix of the newer; throws on a fork.</param>
    /// <param name="cancellationToken">Cancels the wait and the proof.</param>
    /// <returns>The newest checkpoint now stored.</returns>
    /// <exception cref="LogIntegrityException">The two checkpoints fork; the stored one is kept.</exception>
    public async Task<SignedCheckpoint> AdvanceAsync(
        CheckpointPolicy policy,
        SignedCheckpoint candidate,
        Func<SignedCheckpoint, SignedCheckpoint, CancellationToken, Task> proveConsistent,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(proveConsistent);
        SemaphoreSlim gate = _locks.GetOrAdd(policy.Origin, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            SignedCheckpoint? stored = Load(policy);
            if (stored is null)
            {
                Save(candidate);
                return candidate;
            }

            Checkpoint old = stored.Checkpoint;
            Checkpoint next = candidate.Checkpoint;
            if (old.TreeSize == next.TreeSize)
            {
                return old.RootHash == next.RootHash
                    ? stored
                    : throw ForkException(stored, candidate, "they have the same size and different roots");
            }

            if (old.TreeSize < next.TreeSize)
            {
                await proveConsistent(stored, candidate, cancellationToken).ConfigureAwait(false);
                Save(candidate);
                return candidate;
            }

            // An older checkpoint than one already seen: a lagging mirror is fine if it is a prefix; never roll back.
            await proveConsistent(candidate, stored, cancellationToken).ConfigureAwait(false);
            return stored;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Builds the fork error naming both checkpoints.</summary>
    /// <param name="seen">The checkpoint seen earlier.</param>
    /// <param name="fetched">The checkpoint that contradicts it.</param>
    /// <param name="why">What contradicts.</param>
    /// <returns>The exception.</returns>
    public static LogIntegrityException ForkException(SignedCheckpoint seen, SignedCheckpoint fetched, string why)
    {
        ArgumentNullException.ThrowIfNull(seen);
        ArgumentNullException.ThrowIfNull(fetched);
        return new LogIntegrityException(
            $"LOG FORK: log {seen.Checkpoint.Origin} presented checkpoint (size {fetched.Checkpoint.TreeSize}, root {fetched.Checkpoint.RootHash.ToBase64()}) " +
            $"which is not consistent with the checkpoint seen earlier (size {seen.Checkpoint.TreeSize}, root {seen.Checkpoint.RootHash.ToBase64()}): {why}. " +
            "The stored checkpoint is kept; keep both checkpoints as evidence of the log's misbehaviour.")
        {
            IsFork = true,
        };
    }

    private void Save(SignedCheckpoint checkpoint)
    {
        System.IO.Directory.CreateDirectory(Directory);
        string file = FileFor(checkpoint.Checkpoint.Origin);
        string temporary = file + "." + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".tmp";
        File.WriteAllBytes(temporary, checkpoint.ToBytes());
        File.Move(temporary, file, overwrite: true);
    }
}
