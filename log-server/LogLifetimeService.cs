namespace Attest.LogServer;

/// <summary>Drains the sequencer and signs a final checkpoint when the host stops (after Kestrel finished its requests).</summary>
internal sealed class LogLifetimeService(LogComponents log) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => log.ShutdownAsync(cancellationToken);
}
