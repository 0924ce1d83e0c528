using System.CommandLine;
using Attest.Log.Storage;
using Attest.Provenance.Signing;

namespace Attest.LogServer.Cli;

/// <summary>
/// <c>attest-log builders add|revoke|list</c>: manages builder keys in the data directory while the server is stopped
/// (RocksDB's lock keeps the two apart; use the admin API against a running server). Changes are appended to the log
/// as admin-signed registry entries under a new signed checkpoint.
/// </summary>
internal static class BuildersCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var dataDir = new Option<string?>("--data-dir") { Description = "The log's data directory (default: Log:DataDirectory, else ./data)." };
        var origin = new Option<string?>("--origin") { Description = "The log's origin (default: Log:Origin)." };
        var keyFile = new Option<string?>("--key-file") { Description = "The log's note key file (default: <data>/log.key)." };
        var adminKeyFile = new Option<string?>("--admin-key-file") { Description = "The registry admin key file (default: <data>/admin.key)." };
        var operatorName = new Option<string>("--operator") { Description = "Who makes the change (recorded in the log).", DefaultValueFactory = _ => Environment.UserName };
        var reason = new Option<string>("--reason") { Description = "Why (recorded in the log).", DefaultValueFactory = _ => "" };
        var group = new Option<string?>("--group") { Description = "The operator group the builder belongs to." };
        var publicKey = new Argument<string>("public-key") { Description = "The builder's public key, <name>+<keyid>+<base64>." };
        var keyId = new Argument<string>("key-id") { Description = "The builder key id (64 lowercase hex digits)." };

        var add = new Command("add", "Register a builder key.") { publicKey, operatorName, reason, group };
        var revoke = new Command("revoke", "Revoke a builder key.") { keyId, operatorName, reason };
        var list = new Command("list", "List builder keys.");
        var builders = new Command("builders", "Manage the builder keys that may write to the log.") { add, revoke, list };
        foreach (var option in new Option[] { dataDir, origin, keyFile, adminKeyFile })
        {
            builders.Options.Add(option);
            option.Recursive = true;
        }

        var root = new RootCommand("attest-log: the Attest transparency log server and its admin commands.") { builders };

        add.SetAction((parse, cancellationToken) => WithLogAsync(parse, dataDir, origin, keyFile, adminKeyFile, async log =>
        {
            if (!IdentityPublicKey.TryParse(parse.GetValue(publicKey), out var key, out var error))
            {
                await Console.Error.WriteLineAsync($"attest-log: not a builder public key: {error}");
                return ExitCodes.Usage;
            }

            var index = await log.Builders.AddAsync(key, parse.GetValue(operatorName)!, parse.GetValue(group), parse.GetValue(reason)!, cancellationToken);
            Console.WriteLine($"registered {key.KeyId} ({key.Name}) at index {index}");
            return ExitCodes.Success;
        }, cancellationToken));

        revoke.SetAction((parse, cancellationToken) => WithLogAsync(parse, dataDir, origin, keyFile, adminKeyFile, async log =>
        {
            var id = parse.GetValue(keyId)!;
            var index = await log.Builders.RevokeAsync(id, parse.GetValue(operatorName)!, parse.GetValue(reason)!, cancellationToken);
            Console.WriteLine($"revoked {id} at index {index}");
            return ExitCodes.Success;
        }, cancellationToken));

        list.SetAction((parse, cancellationToken) => WithLogAsync(parse, dataDir, origin, keyFile, adminKeyFile, log =>
        {
            foreach (var builder in log.Builders.Registry.Builders.Values.OrderBy(b => b.KeyId, StringComparer.Ordinal))
            {
                var record = log.Engine.Store.GetBuilder(builder.KeyId);
                var state = builder.IsRevoked ? $"revoked at {record?.RevokedAt}" : "active";
                Console.WriteLine($"{builder.KeyId} {builder.Name} {state} registered at {record?.RegisteredAt} {builder.Key}");
            }

            return Task.FromResult(ExitCodes.Success);
        }, cancellationToken));

        return await root.Parse(args).InvokeAsync();
    }

    private static async Task<int> WithLogAsync(
        ParseResult parse, Option<string?> dataDir, Option<string?> origin, Option<string?> keyFile, Option<string?> adminKeyFile,
        Func<LogComponents, Task<int>> action, CancellationToken cancellationToken)
    {
        var overrides = new Dictionary<string, string?>(StringComparer.Ordinal);
        void Set(string key, string? value)
        {
            if (value is not null)
            {
                overrides[key] = value;
            }
        }

        Set("Log:DataDirectory", parse.GetValue(dataDir));
        Set("Log:Origin", parse.GetValue(origin));
        Set("Log:KeyFile", parse.GetValue(keyFile));
        Set("Log:AdminKeyFile", parse.GetValue(adminKeyFile));
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables()
            .AddInMemoryCollection(overrides)
            .Build();

        using var loggers = LoggerFactory.Create(logging => logging.AddConsole().SetMinimumLevel(LogLevel.Warning));
        await using var log = new LogComponents();
        try
        {
            var options = ServerOptions.Bind(configuration);
            using var keys = ServerKeys.LoadOrCreate(options, loggers.CreateLogger("attest-log"));
            await log.OpenAsync(options, keys, loggers, cancellationToken);
            var code = await action(log);
            await log.ShutdownAsync(cancellationToken);
            return code;
        }
        catch (LogStoreException ex)
        {
            await Console.Error.WriteLineAsync($"attest-log: {ex.Message}");
            return ExitCodes.StoreRefused;
        }
        catch (InvalidOperationException ex)
        {
            await Console.Error.WriteLineAsync($"attest-log: {ex.Message}");
            return ExitCodes.Refused;
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"attest-log: {ex.Message}");
            return ExitCodes.BadConfiguration;
        }
    }
}
