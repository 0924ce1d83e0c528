using Attest.Agent.Commands;

return await AgentCli.InvokeAsync(args);
