using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Attest.Nix;
using Attest.Provenance.Attestations;
using Attest.Provenance.Signing;
using Attest.Provenance.Statements;

namespace Attest.LogServer.Tests;

/// <summary>Realistic signed attestations and builder registration for the server tests.</summary>
internal static class Samples
{
    public static StorePath Path(string name) =>
        StorePath.Create(SHA256.HashData(Encoding.UTF8.GetBytes(name)).AsSpan(0, StorePath.HashSize), name);

    public static NixHash Sha256(string data) => NixHash.ComputeSha256(Encoding.UTF8.GetBytes(data));

    public static IdentityKey Builder(string name = "builder-1") => IdentityKey.Generate(name);

    public static NixProvenance Statement(string package, string builderName) => new()
    {
        Derivation = Path(package + ".drv"),
        DerivationSha256 = Sha256(package + " drv"),
        Outputs =
        [
            new NixBuildOutput("out", Path(package), Sha256(package + " out"), 274_432, [Path("glibc-2.40-66"), Path(package)]),
        ],
        Environment = new NixBuildEnvironment("2.8.0", "x86_64-linux", "true", ["https://cache.example.org"], "Linux 6.12.48 x86_64", null, builderName),
        Dependencies = [new NixDependency(NixDependencyKind.InputDerivation, Path("stdenv-linux.drv"))],
        BuilderId = NixProvenance.BuilderIdFor(builderName),
        InvocationId = Guid.NewGuid().ToString(),
        StartedOn = new DateTimeOffset(2026, 11, 22, 17, 0, 0, TimeSpan.Zero),
        FinishedOn = new DateTimeOffset(2026, 11, 22, 17, 3, 27, TimeSpan.Zero),
    };

    public static byte[] Document(IdentityKey key, string package) =>
        AttestationDocument.Serialize(Statement(package, key.Name).Sign(key));

    public static async Task RegisterAsync(HttpClient client, IdentityKey key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/admin/builders")
        {
            Content = JsonContent.Create(new { publicKey = key.PublicKey.ToString(), @operator = "tests" }),
        };
        request.Headers.Authorization = new("Bearer", TestServer.AdminToken);
        using var response = await client.SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
    }

    public static async Task<HttpResponseMessage> PostAsync(HttpClient client, byte[] body, string query = "")
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");
        return await client.PostAsync("v1/entries" + query, content);
    }
}
