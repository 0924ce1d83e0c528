using System.Diagnostics;
using System.Text;

namespace Attest.Agent.Tests.Demo;

/// <summary>
/// Runs <c>scripts/demo.sh --quiet</c> end to end (real log server, two builders with real Nix builds, the verifier)
/// and checks that the newcomer sees the reproducible output trusted and the non-reproducible one refused.
/// </summary>
public sealed class DemoScriptTests
{
    // The demo builds two derivations twice each and starts the log and the gate; on a loaded 2-core machine that
    // takes a few minutes, so the bound is the brief's ten minutes rather than the usual per-test budget.
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task DemoScript_Quiet_TrustsReproducibleOutputAndRefusesTheOther()
    {
        var root = RepositoryRoot();
        var (exitCode, output) = await RunDemoAsync(root);

        Assert.True(exitCode == 0, $"scripts/demo.sh exited {exitCode}:\n{output}");
        var trusted = ResultLine(output, "RESULT: reproducible output TRUSTED: ");
        var refused = ResultLine(output, "RESULT: non-reproducible output REFUSED: ");
        Assert.Matches("^/nix/store/[0-9a-z]{32}-attest-demo-reproducible$", trusted);
        Assert.Matches("^/nix/store/[0-9a-z]{32}-attest-demo-unreproducible$", refused);

        // The verifier's own verdicts, not only the script's summary lines.
        Assert.Contains($"TRUSTED    {trusted}", output, StringComparison.Ordinal);
        Assert.Contains($"NOT TRUSTED {refused}", output, StringComparison.Ordinal);
        Assert.Contains("disagreed: builder-b (operator beta)", output, StringComparison.Ordinal);
        Assert.Contains("why not:", output, StringComparison.Ordinal);

        // Without --keep the script stops its servers and removes its work directory.
        var workLine = output.Split('\n').First(l => l.StartsWith("Attest demo; work directory: ", StringComparison.Ordinal));
        var work = workLine["Attest demo; work directory: ".Length..].Trim();
        Assert.False(Directory.Exists(work), "the work directory was left behind");
        Assert.Empty(ProcessesMentioning(work));
    }

    /// <summary>Command lines of running processes that name <paramref name="text"/> (the servers get the work directory as an argument).</summary>
    private static List<string> ProcessesMentioning(string text)
    {
        var found = new List<string>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            string commandLine;
            try
            {
                commandLine = File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ');
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue; // not a process, or it exited meanwhile
            }

            if (commandLine.Contains(text, StringComparison.Ordinal))
            {
                found.Add(commandLine);
            }
        }

        return found;
    }

    private static string ResultLine(string output, string prefix)
    {
        var line = output.Split('\n').SingleOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        Assert.True(line is not null, $"no line starting with '{prefix}' in:\n{output}");
        return line[prefix.Length..].Trim();
    }

    private static async Task<(int ExitCode, string Output)> RunDemoAsync(string root)
    {
        var start = new ProcessStartInfo("/bin/bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = root,
        };
        start.ArgumentList.Add(Path.Combine(root, "scripts", "demo.sh"));
        start.ArgumentList.Add("--quiet");

        // The test run has built the hosts already (scripts/test.sh builds Release); use that build rather than
        // building again under the running tests. Without it (a Debug-only run) the script builds Release itself.
        string[] hosts = ["agent/bin/Release/net10.0/attest-agent.dll", "log-server/bin/Release/net10.0/attest-log.dll", "verifier/bin/Release/net10.0/attest-verify.dll"];
        if (hosts.All(h => File.Exists(Path.Combine(root, h))))
        {
            start.Environment["ATTEST_DEMO_NO_BUILD"] = "1";
        }

        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(ScriptTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.Fail($"scripts/demo.sh did not finish within {ScriptTimeout}:\n{Snapshot(output)}");
        }

        // The parameterless wait also drains the redirected streams.
        await process.WaitForExitAsync();
        return (process.ExitCode, Snapshot(output));
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.Append(line).Append('\n');
        }
    }

    private static string Snapshot(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Attest.sln")))
        {
            directory = directory.Parent;
        }

        Assert.True(directory is not null, $"no Attest.sln above {AppContext.BaseDirectory}");
        return directory.FullName;
    }
}
