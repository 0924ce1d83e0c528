using System.CommandLine;
using Attest.Agent.Core.Configuration;
using Attest.Agent.Core.Identity;

namespace Attest.Agent.Commands;

/// <summary>
/// <c>attest-agent init</c>: creates the builder identity (and the configuration file when there is none) and
/// prints the public key to register with the log (<c>attest-log builders add</c>).
/// </summary>
internal sealed class InitCommand : Command
{
    private const string DefaultKeyPath = "/etc/attest/builder.key";
    private const string DefaultSpool = "/var/spool/attest";

    private readonly Option<string?> _config;
    private readonly Option<string?> _name = new("--name") { Description = "Builder name (default: the configured one, else the host name)." };
    private readonly Option<string?> _key = new("--key") { Description = $"Private key file (default: the configured one, else {DefaultKeyPath})." };
    private readonly Option<string?> _spool = new("--spool") { Description = $"Spool directory for a new configuration (default {DefaultSpool})." };
    private readonly Option<string[]> _log = new("--log") { Description = "Log URL for a new configuration (repeatable).", AllowMultipleArgumentsPerToken = false };
    private readonly Option<bool> _force = new("--force") { Description = "Replace an existing key (its identity is lost)." };
    private readonly Option<string?> _hook = new("--hook") { Description = "Also write Nix's post-build-hook script here (mode 0755), starting this agent the fast way." };

    public InitCommand(Option<string?> config)
        : base("init", "Create the builder identity (Ed25519, mode 0600) and print its public key for registration.")
    {
        _config = config;
        Options.Add(_name);
        Options.Add(_key);
        Options.Add(_spool);
        Options.Add(_log);
        Options.Add(_force);
        Options.Add(_hook);
        _log.Validators.Add(result =>
        {
            foreach (var value in result.GetValueOrDefault<string[]>() ?? [])
            {
                if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
                {
                    result.AddError($"--log '{value}' is not an absolute http(s) URL.");
                }
            }
        });
        SetAction(Execute);
    }

    private int Execute(ParseResult parseResult)
    {
        var configPath = AgentOptions.ResolvePath(parseResult.GetValue(_config));
        AgentOptions? existing = null;
        if (File.Exists(configPath))
        {
            if (CommandSupport.LoadOptions(parseResult, _config) is not { } loaded)
            {
                return ExitCodes.ConfigurationError;
            }

            existing = loaded;
        }

        var name = parseResult.GetValue(_name) ?? existing?.BuilderName ?? Environment.MachineName;
        var keyPath = Path.GetFullPath(parseResult.GetValue(_key) ?? existing?.KeyPath ?? DefaultKeyPath);
        try
        {
            using var key = BuilderIdentity.Create(name, keyPath, parseResult.GetValue(_force));
            if (existing is null)
            {
                var options = new AgentOptions
                {
                    BuilderName = name,
                    KeyPath = keyPath,
                    SpoolDirectory = Path.GetFullPath(parseResult.GetValue(_spool) ?? DefaultSpool),
                    LogUrls = [.. (parseResult.GetValue(_log) ?? []).Select(u => new Uri(u))],
                };
                options.Save(configPath);
                CommandSupport.Error(parseResult).WriteLine($"attest-agent: wrote configuration '{configPath}'.");
            }
            else if (!string.Equals(existing.BuilderName, name, StringComparison.Ordinal) || !string.Equals(existing.KeyPath, keyPath, StringComparison.Ordinal))
            {
                CommandSupport.Error(parseResult).WriteLine(
                    $"attest-agent: note: '{configPath}' names builder '{existing.BuilderName}' with key '{existing.KeyPath}'; update it to use this key.");
            }

            if (parseResult.GetValue(_hook) is { } hookPath)
            {
                hookPath = Path.GetFullPath(hookPath);
                WriteHookScript(hookPath, Path.GetFullPath(configPath));
                CommandSupport.Error(parseResult).WriteLine(
                    $"attest-agent: wrote '{hookPath}'; add to /etc/nix/nix.conf: post-build-hook = {hookPath}");
            }

            CommandSupport.Error(parseResult).WriteLine($"attest-agent: created builder key '{keyPath}' (mode 0600). Register this public key with the log:");
            CommandSupport.Out(parseResult).WriteLine(key.PublicKey.ToString());
            return ExitCodes.Success;
        }
        catch (IdentityExistsException e)
        {
            return CommandSupport.Fail(parseResult, ExitCodes.IdentityExists, e.Message);
        }
        catch (ArgumentException e)
        {
            return CommandSupport.Fail(parseResult, ExitCodes.Usage, e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return CommandSupport.Fail(parseResult, ExitCodes.IoError, e.Message);
        }
    }

    /// <summary>
    /// The post-build hook script: Nix runs it without arguments after every build, so it execs the agent's native
    /// launcher (the apphost next to attest-agent.dll; <c>dotnet attest-agent.dll</c> only when there is none) with
    /// exactly the command line the agent recognises without building its full command tree.
    /// </summary>
    internal static string HookScript(string configPath)
    {
        var apphost = Path.Combine(AppContext.BaseDirectory, "attest-agent");
        var command = File.Exists(apphost)
            ? Quote(apphost)
            : $"{Quote(Environment.ProcessPath ?? "dotnet")} {Quote(Path.Combine(AppContext.BaseDirectory, "attest-agent.dll"))}";
        return $"#!/bin/sh\n# Written by attest-agent init: Nix's post-build-hook (see docs/agent.md).\nexec {command} hook --config {Quote(configPath)}\n";
    }

    private static void WriteHookScript(string path, string configPath)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = $"{path}.tmp-{Environment.ProcessId}";
        File.WriteAllText(temporary, HookScript(configPath));
        File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        File.Move(temporary, path, overwrite: true);
    }

    // POSIX sh single quotes: nothing inside is special except the quote itself.
    private static string Quote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
