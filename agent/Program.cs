using Attest.Agent.Commands;

return await AgentCli.CreateRootCommand().Parse(args).InvokeAsync();
