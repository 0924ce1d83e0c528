using System.Net;
using Attest.Agent.Core.Configuration;
using Attest.Agent.Core.Delivery;
using Attest.Agent.Core.Spool;
using Attest.Agent.Tests.Infrastructure;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.Extensions.Logging.Abstractions;

namespace Attest.Agent.Tests.Delivery;

public sealed class DeliveryServiceTests
{
    private static readonly Uri LogA = new("http://127.0.0.1:1/");
    private static readonly Uri LogB = new("http://127.0.0.1:2/");

    [Fact]
    public async Task FlushAsync_LogCreates_DocumentLeavesOutboxWithReceipt()
    {
        using var dir = new TempDirectory();
        var outbox = new Outbox(dir.Path);
        var document = outbox.Enqueue("""{"a":1}"""u8);
        var handler = new ScriptedHandler((_, _) => ScriptedHandler.Json(HttpStatusCode.Created, """{"index":7}"""));

        var result = await CreateService(outbox, handler, LogA).FlushAsync(TimeSpan.Zero, CancellationToken.None);

        Assert.Equal((1, 0, 0), (result.Delivered, result.DeadLettered, result.Pending));
        var request = Assert.Single(handler.Requests);
        Assert.Equal(new Uri(LogA, LogClient.SubmitPath), request.Uri);
        Assert.Equal("""{"a":1}"""u8.ToArray(), request.Body);
        var receipt = Assert.Single(outbox.ReadReceipts());
        Assert.Equal((7L, 201, document.Name), (receipt.Index, receipt.Status, receipt.Document));
        Assert.Equal(7, AgentState.Read(dir.Path, AgentState.DeliveryFileName).LastDeliveredIndex);
    }

    [Fact]
    public async Task FlushAsync_LogAlreadyHoldsDocument_TreatedAsDelivered()
    {
        using var dir = new TempDirectory();
        var outbox = new Outbox(dir.Path);
        outbox.Enqueue("""{"a":1}"""u8);
        var handler = new ScriptedHandler((_, _) => ScriptedHandler.Json(HttpStatusCode.OK, """{"index":3}"""));

        var result = await CreateService(outbox, handler, LogA).FlushAsync(TimeSpan.Zero, CancellationToken.None);

        Assert.Equal(1, result.Delivered);
        Assert.Equal(200, Assert.Single(outbox.ReadReceipts()).Status);
    }

    [Theory]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    [InlineData(HttpStatusCode.TooManyRequests)]
    [InlineData(HttpStatusCode.InternalServerError)]
    public async Task FlushAsync_TransientStatus_DocumentStaysAndErrorRecorded(HttpStatusCode status)
    {
        using var dir = new TempDirectory();
        var outbox = new Outbox(dir.Path);
        outbox.Enqueue("""{"a":1}"""u8);
        outbox.Enqueue("""{"a":2}"""u8);
        var handler = new ScriptedHandler((_, _) => ScriptedHandler.Json(status, """{"title":"busy"}""", TimeSpan.FromSeconds(120)));

        var result = await CreateService(outbox, handler, LogA).FlushAsync(TimeSpan.Zero, CancellationToken.None);

        Assert.Equal((0, 0, 2), (result.Delivered, result.DeadLettered, result.Pending));
        // Once the log said "later", the second document waits too instead of hammering it.
        Assert.Single(handler.Requests);
        Assert.NotNull(result.NextAttemptAt);
        Assert.True(result.NextAttemptAt >= DateTimeOffset.UtcNow + TimeSpan.FromSeconds(100));
        Assert.Contains("busy", AgentState.Read(dir.Path, AgentState.DeliveryFileName).LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FlushAsync_LogUnreachable_DocumentStays()
    {
        using var dir = new TempDirectory();
        var outbox = new Outbox(dir.Path);
        outbox.Enqueue("""{"a":1}"""u8);
        var handler = new ScriptedHandler((_, _) => throw new HttpRequestException("Connection refused"));

        var result = await CreateService(outbox, handler, LogA).FlushAsync(TimeSpan.Zero, CancellationToken.None);

        Assert.Equal(1, result.Pending);
        Assert.Contains("Connection refused", result.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FlushAsync_PermanentRejection_DeadLetteredWithProblem()
    {
        using var dir = new TempDirectory();
        var outbox = new Outbox(dir.Path);
        var document = outbox.Enqueue("""{"a":1}"""u8);
        var handler = new ScriptedHandler((_, _) =>
            ScriptedHandler.Json(HttpStatusCode.Forbidden, """{"title":"builder key is not registered"}"""));

        var result = await CreateService(outbox, handler, LogA).FlushAsync(TimeSpan.Zero, CancellationToken.None);

        Assert.Equal((0, 1, 0), (result.Delivered, result.DeadLettered, result.Pending));
        var reason = await File.ReadAllTextAsync(Path.Combine(outbox.DeadLetterDirectory, document.Stem + ".reason.json"));
        Assert.Contains("not registered", reason, StringComparison.Ordinal);
        Assert.Contains("403", reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FlushAsync_OneOfTwoLogsDown_OnlyMissingLogGetsResubmission()
    {
        using var dir = new TempDirectory();
        var outbox = new Outbox(dir.Path);
        outbox.Enqueue("""{"a":1}"""u8);
        var bUp = false;
        var handler = new ScriptedHandler((request, _) => request.RequestUri!.Port == LogB.Port && !bUp
            ? throw new HttpRequestException("Connection refused")
            : ScriptedHandler.Json(HttpStatusCode.Created, """{"index":1}"""));

        var first = await CreateService(outbox, handler, LogA, LogB).FlushAsync(TimeSpan.Zero, CancellationToken.None);
        bUp = true;
        var second = await CreateService(outbox, handler, LogA, LogB).FlushAsync(TimeSpan.Zero, CancellationToken.None);

        Assert.Equal((0, 1), (first.Delivered, first.Pending));
        Assert.Equal((1, 0), (second.Delivered, second.Pending));
        Assert.Equal([LogA.Port, LogB.Port, LogB.Port], handler.Requests.Select(r => r.Uri.Port));
        Assert.Equal(2, outbox.ReadReceipts().Count);
    }

    [Fact]
    public async Task FlushAsync_LogRecoversWithinWait_EverythingDelivered()
    {
        using var dir = new TempDirectory();
        var outbox = new Outbox(dir.Path);
        outbox.Enqueue("""{"a":1}"""u8);
        var calls = 0;
        var handler = new ScriptedHandler((_, _) => Interlocked.Increment(ref calls) < 3
            ? ScriptedHandler.Json(HttpStatusCode.ServiceUnavailable, """{"title":"queue full"}""")
            : ScriptedHandler.Json(HttpStatusCode.Created, """{"index":0}"""));
        var options = new DeliveryOptions { InitialBackoff = TimeSpan.FromMilliseconds(10), MaxBackoff = TimeSpan.FromMilliseconds(40) };

        var result = await CreateService(outbox, handler, options, LogA).FlushAsync(TimeSpan.FromSeconds(30), CancellationToken.None);

        Assert.Equal((1, 0), (result.Delivered, result.Pending));
        Assert.Equal(3, calls);
    }

    [Fact]
    public async Task DeliverPendingAsync_SuccessWithoutIndex_KeptForRetry()
    {
        using var dir = new TempDirectory();
        var outbox = new Outbox(dir.Path);
        outbox.Enqueue("""{"a":1}"""u8);
        var handler = new ScriptedHandler((_, _) => ScriptedHandler.Json(HttpStatusCode.Created, "not json"));

        var result = await CreateService(outbox, handler, LogA).DeliverPendingAsync(CancellationToken.None);

        Assert.Equal(1, result.Pending);
        Assert.Empty(outbox.ReadReceipts());
    }

    [Fact]
    public async Task DeliverPendingAsync_ConcurrentFlushAlreadyMovedDocument_PassCompletesWithoutThrowing()
    {
        using var dir = new TempDirectory();
        var outbox = new Outbox(dir.Path);
        var document = outbox.Enqueue("""{"a":1}"""u8);
        var handler = new ScriptedHandler((_, _) =>
        {
            File.Delete(document.FullPath);
            return ScriptedHandler.Json(HttpStatusCode.BadRequest, """{"title":"invalid"}""");
        });

        var result = await CreateService(outbox, handler, LogA).DeliverPendingAsync(CancellationToken.None);

        Assert.Equal(0, result.Pending);
        Assert.NotNull(result.LastError);
    }

    [Fact]
    public void Constructor_NoLogs_ThrowsConfigurationError()
    {
        using var dir = new TempDirectory();
        Assert.Throws<AgentConfigurationException>(() => new DeliveryService(new Outbox(dir.Path), [], new DeliveryOptions(),
            TimeProvider.System, NullLogger<DeliveryService>.Instance));
    }

    [FsCheck.Xunit.Property]
    public Property ComputeDelay_AnyInput_WithinJitterBoundsAndHonoursRetryAfter(PositiveInt failures, PositiveInt initialMs, PositiveInt extraMs, NonNegativeInt retryAfterSeconds, bool hasRetryAfter, NormalFloat random)
    {
        var initial = TimeSpan.FromMilliseconds(initialMs.Get);
        var max = initial + TimeSpan.FromMilliseconds(extraMs.Get);
        var unit = Math.Abs(random.Get) % 1.0;
        TimeSpan? retryAfter = hasRetryAfter ? TimeSpan.FromSeconds(retryAfterSeconds.Get) : null;

        var delay = DeliveryService.ComputeDelay(failures.Get, initial, max, retryAfter, unit);

        var ceiling = TimeSpan.FromTicks((long)Math.Min(max.Ticks, initial.Ticks * Math.Pow(2, Math.Min(failures.Get - 1, 30))));
        var serverWait = retryAfter is { } r ? (r > TimeSpan.FromHours(1) ? TimeSpan.FromHours(1) : r) : TimeSpan.Zero;
        var upper = ceiling > serverWait ? ceiling : serverWait;
        return (delay >= ceiling / 2 - TimeSpan.FromTicks(1) && delay >= serverWait && delay <= upper).ToProperty();
    }

    private static DeliveryService CreateService(Outbox outbox, ScriptedHandler handler, params Uri[] logs) =>
        CreateService(outbox, handler, new DeliveryOptions(), logs);

    private static DeliveryService CreateService(Outbox outbox, ScriptedHandler handler, DeliveryOptions options, params Uri[] logs)
    {
        var http = new HttpClient(handler);
        return new DeliveryService(outbox, logs.Select(l => new LogClient(http, l)).ToList(), options,
            TimeProvider.System, NullLogger<DeliveryService>.Instance);
    }
}
