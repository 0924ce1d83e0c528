using Attest.Transparency.Cosignatures;
using Attest.Transparency.Notes;
using Attest.Transparency.Witness;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Attest.LogServer.Tests;

/// <summary>A c2sp.org/tlog-witness witness on Kestrel at 127.0.0.1 (the transparency core's witness, over HTTP) for one log.</summary>
internal sealed class TestWitness : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestWitness(WebApplication app, CosignatureSigner signer)
    {
        _app = app;
        Signer = signer;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Url = address.TrimEnd('/') + "/";
    }

    public CosignatureSigner Signer { get; }

    public string Url { get; }

    public int Requests;

    public static async Task<TestWitness> StartAsync(NoteVerifier logKey, string name = "witness.test/w1")
    {
        var signer = CosignatureSigner.Generate(name);
        var witness = new CheckpointWitness([new WitnessLog(logKey.Name, logKey)], new InMemoryWitnessStateStore(), signer);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        TestWitness? self = null;
        app.MapPost("/add-checkpoint", async (HttpContext context) =>
        {
            Interlocked.Increment(ref self!.Requests);
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            var response = await witness.AddCheckpointAsync(body.ToArray(), context.RequestAborted);
            context.Response.StatusCode = response.StatusCode;
            context.Response.ContentType = response.ContentType;
            await context.Response.Body.WriteAsync(response.Body, context.RequestAborted);
        });
        await app.StartAsync();
        self = new TestWitness(app, signer);
        return self;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
