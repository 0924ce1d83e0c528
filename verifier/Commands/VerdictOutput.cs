using System.Buffers;
using System.Text;
using System.Text.Json;
using Attest.Verifier.Quorum;
using Attest.Verifier.Verification;

namespace Attest.Verifier.Cli.Commands;

/// <summary>Verdicts as text a person reads and as JSON for programs (shape documented in docs/verifier.md).</summary>
internal static class VerdictOutput
{
    public static string ToText(IReadOnlyList<PathOutcome> outcomes)
    {
        var text = new StringBuilder();
        foreach (PathOutcome outcome in outcomes)
        {
            if (outcome.Verification is not { } verification)
            {
                text.Append("ERROR      ").Append(outcome.Query.StorePath).Append('\n')
                    .Append("  ").Append(outcome.Error!.Message).Append('\n');
                continue;
            }

            QuorumVerdict verdict = verification.Verdict;
            text.Append(verdict.Trusted ? "TRUSTED    " : "NOT TRUSTED ").Append(verdict.StorePath).Append('\n')
                .Append("  NAR hash ").Append(verdict.ExpectedNarHash).Append('\n');
            foreach (BuilderVote vote in verdict.Agreeing)
            {
                text.Append("  agreed:    ").Append(Describe(vote)).Append('\n');
            }

            foreach (string note in verdict.TpmNotes)
            {
                text.Append("  TPM note:  ").Append(note).Append('\n');
            }

            foreach (BuilderVote vote in verdict.Dissenting)
            {
                text.Append("  disagreed: ").Append(Describe(vote)).Append(" recorded ").Append(vote.NarHash).Append('\n');
            }

            foreach (RejectedAttestation rejected in verdict.Rejected)
            {
                CheckedAttestation a = rejected.Attestation;
                text.Append("  rejected:  ").Append(a.LogOrigin).Append('#').Append(a.Index)
                    .Append(" by ").Append(rejected.BuilderName ?? "key " + a.BuilderKeyId).Append(": ")
                    .AppendJoin("; ", rejected.Reasons).Append('\n');
            }

            foreach (string ignored in verification.Ignored)
            {
                text.Append("  ignored:   ").Append(ignored).Append('\n');
            }

            if (verdict.Agreeing.Count == 0 && verdict.Dissenting.Count == 0 && verdict.Rejected.Count == 0)
            {
                text.Append("  no attestation of this path was found in the logs\n");
            }

            foreach (string reason in verdict.Reasons)
            {
                text.Append("  why not:   ").Append(reason).Append('\n');
            }
        }

        return text.ToString();
    }

    public static string ToJson(IReadOnlyList<PathOutcome> outcomes)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteBoolean("trusted", outcomes.All(o => o.Verification?.Verdict.Trusted == true));
            writer.WriteStartArray("paths");
            foreach (PathOutcome outcome in outcomes)
            {
                writer.WriteStartObject();
                writer.WriteString("storePath", outcome.Query.StorePath.FullPath);
                writer.WriteString("narHash", outcome.Query.NarHash.ToString());
                if (outcome.Verification is not { } verification)
                {
                    writer.WriteString("status", "error");
                    writer.WriteBoolean("trusted", false);
                    writer.WriteString("error", outcome.Error!.Message);
                    writer.WriteEndObject();
                    continue;
                }

                QuorumVerdict verdict = verification.Verdict;
                writer.WriteString("status", verdict.Trusted ? "trusted" : "not-trusted");
                writer.WriteBoolean("trusted", verdict.Trusted);
                WriteVotes(writer, "agreeing", verdict.Agreeing);
                WriteVotes(writer, "dissenting", verdict.Dissenting);
                writer.WriteStartArray("rejected");
                foreach (RejectedAttestation rejected in verdict.Rejected)
                {
                    writer.WriteStartObject();
                    writer.WriteString("entry", $"{rejected.Attestation.LogOrigin}#{rejected.Attestation.Index}");
                    writer.WriteString("keyId", rejected.Attestation.BuilderKeyId);
                    if (rejected.BuilderName is { } name)
                    {
                        writer.WriteString("builder", name);
                    }
                    else
                    {
                        writer.WriteNull("builder");
                    }

                    writer.WriteString("narHash", rejected.Attestation.NarHash.ToString());
                    WriteStrings(writer, "reasons", rejected.Reasons);
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
                WriteStrings(writer, "ignored", verification.Ignored);
                WriteStrings(writer, "tpmNotes", verdict.TpmNotes);
                WriteStrings(writer, "reasons", verdict.Reasons);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string Describe(BuilderVote vote) =>
        $"{vote.Builder.Name} (operator {vote.Builder.Operator}{(vote.TpmVerified ? ", TPM verified" : string.Empty)}) in {string.Join(", ", vote.Entries)}";

    private static void WriteVotes(Utf8JsonWriter writer, string name, IReadOnlyList<BuilderVote> votes)
    {
        writer.WriteStartArray(name);
        foreach (BuilderVote vote in votes)
        {
            writer.WriteStartObject();
            writer.WriteString("builder", vote.Builder.Name);
            writer.WriteString("operator", vote.Builder.Operator);
            writer.WriteString("keyId", vote.Builder.Key.KeyId);
            writer.WriteString("narHash", vote.NarHash.ToString());
            writer.WriteBoolean("tpmVerified", vote.TpmVerified);
            WriteStrings(writer, "entries", vote.Entries);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    private static void WriteStrings(Utf8JsonWriter writer, string name, IEnumerable<string> values)
    {
        writer.WriteStartArray(name);
        foreach (string value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }
}
