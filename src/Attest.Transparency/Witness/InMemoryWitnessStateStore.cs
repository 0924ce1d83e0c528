namespace Attest.Transparency.Witness;

/// <summary>A witness state store in memory: atomic, but not durable across restarts (for tests and ephemeral witnesses).</summary>
public sealed class InMemoryWitnessStateStore : IWitnessStateStore
{
    private readonly Dictionary<string, WitnessLogState> _states = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <inheritdoc/>
    public ValueTask<WitnessLogState?> GetAsync(string origin, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(origin);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            return ValueTask.FromResult(_states.TryGetValue(origin, out var state) ? state : (WitnessLogState?)null);
        }
    }

    /// <inheritdoc/>
    public ValueTask<bool> CompareAndSetAsync(string origin, WitnessLogState? expected, WitnessLogState next, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(origin);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            bool exists = _states.TryGetValue(origin, out var current);
            bool matches = expected is null ? !exists : exists && current.SameTree(expected.Value);
            if (matches)
            {
                _states[origin] = next with { CheckpointNote = next.CheckpointNote.ToArray() };
            }

            return ValueTask.FromResult(matches);
        }
    }
}
