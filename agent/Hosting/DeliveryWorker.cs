using Attest.Agent.Core.Delivery;
using Microsoft.Extensions.Hosting;

namespace Attest.Agent.Hosting;

/// <summary>Runs the delivery loop for the lifetime of the host.</summary>
internal sealed class DeliveryWorker(DeliveryService delivery) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => delivery.RunAsync(stoppingToken);
}
