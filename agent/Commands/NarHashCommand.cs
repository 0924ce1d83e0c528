using System.CommandLine;
using Attest.Nix.Nar;

namespace Attest.Agent.Commands;

/// <summary><c>attest-agent nar-hash &lt;path&gt;</c>: the NAR hash of any path, as Nix prints it.</summary>
internal sealed class NarHashCommand : Command
{
    private readonly Argument<string> _path = new("path") { Description = "The file, directory or symlink to hash." };
    private readonly Option<bool> _sri = new("--sri") { Description = "Print the SRI form (sha256-<base64>)." };
    private readonly Option<bool> _size = new("--size") { Description = "Also print the NAR size in bytes." };

    public NarHashCommand()
        : base("nar-hash", "Print the SHA-256 NAR hash of a path as sha256:<nix32> (or SRI with --sri).")
    {
        Arguments.Add(_path);
        Options.Add(_sri);
        Options.Add(_size);
        SetAction(Execute);
    }

    private int Execute(ParseResult parseResult)
    {
        var path = parseResult.GetRequiredValue(_path);
        if (!File.Exists(path) && !Directory.Exists(path) && new FileInfo(path).LinkTarget is null)
        {
            return CommandSupport.Fail(parseResult, ExitCodes.IoError, $"'{path}' does not exist.");
        }

        NarHashResult result;
        try
        {
            result = NarHasher.HashPath(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return CommandSupport.Fail(parseResult, ExitCodes.IoError, $"cannot hash '{path}': {e.Message}");
        }

        var text = parseResult.GetValue(_sri) ? result.Hash.ToSri() : result.Hash.ToString();
        CommandSupport.Out(parseResult).WriteLine(parseResult.GetValue(_size) ? $"{text} {result.Size}" : text);
        return ExitCodes.Success;
    }
}
