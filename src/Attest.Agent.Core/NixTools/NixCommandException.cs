namespace Attest.Agent.Core.NixTools;

/// <summary>A Nix command failed or printed something the agent cannot read.</summary>
public sealed class NixCommandException : Exception
{
    /// <summary>Creates the exception.</summary>
    public NixCommandException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The command and what went wrong.</param>
    public NixCommandException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    /// <param name="message">The command and what went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public NixCommandException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The command's exit code, when it ran.</summary>
    public int? ExitCode { get; init; }
}
