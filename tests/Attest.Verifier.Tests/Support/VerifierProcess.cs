using System.Diagnostics;
using System.Globalization;
using System.Text;
using Attest.Agent.Tests.Infrastructure;

namespace Attest.Verifier.Tests.Support;

/// <summary>
/// <c>attest-verify</c> as its own process (<c>dotnet attest-verify.dll</c>, copied beside the tests by the project
/// reference): what an operator or a supervisor runs, exit code and all.
/// </summary>
internal sealed class VerifierProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _error = new();
    private readonly Lock _lock = new();

    private VerifierProcess(Process process)
    {
        _process = process;
    }

    public static string Dll => Path.Combine(AppContext.BaseDirectory, "attest-verify.dll");

    /// <summary>Runs a command to completion.</summary>
    public static Task<(int Exit, string Output, string Error)> RunAsync(params string[] arguments) =>
        ProcessRunner.RunAsync(ProcessRunner.DotnetHost, [Dll, .. arguments]);

    /// <summary>Starts a long-running command (a monitor with its witness endpoint).</summary>
    public static VerifierProcess Start(params string[] arguments)
    {
        var start = new ProcessStartInfo(ProcessRunner.DotnetHost)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in (string[])[Dll, .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        var running = new VerifierProcess(process);
        process.OutputDataReceived += (_, e) => running.Append(running._output, e.Data);
        process.ErrorDataReceived += (_, e) => running.Append(running._error, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return running;
    }

    public string Output
    {
        get
        {
            lock (_lock)
            {
                return _output.ToString();
            }
        }
    }

    public string Error
    {
        get
        {
            lock (_lock)
            {
                return _error.ToString();
            }
        }
    }

    /// <summary>Waits until standard output contains <paramref name="text"/> (or the process exits, or 60 s pass).</summary>
    public async Task WaitForOutputAsync(string text)
    {
        for (var attempt = 0; attempt < 600; attempt++)
        {
            if (Output.Contains(text, StringComparison.Ordinal))
            {
                return;
            }

            Assert.False(_process.HasExited, $"attest-verify exited with {(_process.HasExited ? _process.ExitCode : 0)} before printing \"{text}\".\nstdout:\n{Output}\nstderr:\n{Error}");
            await Task.Delay(100);
        }

        Assert.Fail($"attest-verify did not print \"{text}\" within 60 s.\nstdout:\n{Output}\nstderr:\n{Error}");
    }

    /// <summary>Waits (at most 60 s) for the process to end by itself and returns the exit code.</summary>
    public async Task<int> WaitForExitAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    /// <summary>Sends SIGTERM (what a supervisor does) and returns the exit code.</summary>
    public async Task<int> StopAsync()
    {
        if (!_process.HasExited)
        {
            await ProcessRunner.RunAsync("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Append(StringBuilder target, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lock)
        {
            target.AppendLine(line);
        }
    }
}
