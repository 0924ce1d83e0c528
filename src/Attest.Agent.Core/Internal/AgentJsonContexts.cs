using System.Text.Json;
using System.Text.Json.Serialization;
using Attest.Agent.Core.Configuration;
using Attest.Agent.Core.Spool;

namespace Attest.Agent.Core.Internal;

// Source-generated serialization metadata: the agent is published as Native AOT (docs/agent.md), where
// reflection-based System.Text.Json is unavailable, and the generated code also starts faster under the JIT.

/// <summary>
/// The configuration file as <see cref="AgentOptions.ToJson"/> writes it: camelCase, indented, nulls left out.
/// Reading is <see cref="AgentOptionsReader"/>'s (comments, trailing commas, unknown members refused, defaults kept).
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AgentOptions))]
internal sealed partial class ConfigurationJsonContext : JsonSerializerContext;

/// <summary>The spool's own small JSON files (receipts, dead-letter reasons, state): camelCase, indented.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(AgentState))]
[JsonSerializable(typeof(DeliveryReceipt))]
[JsonSerializable(typeof(DeadLetterReason))]
internal sealed partial class SpoolJsonContext : JsonSerializerContext;
