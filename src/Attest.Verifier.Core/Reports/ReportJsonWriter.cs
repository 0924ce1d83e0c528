using System.Globalization;
using System.Text.Json;

namespace Attest.Verifier.Reports;

/// <summary>Writes a <see cref="ReproducibilityReport"/> as JSON (the format is in docs/report.md).</summary>
public static class ReportJsonWriter
{
    /// <summary>Writes the report to <paramref name="stream"/> as indented UTF-8 JSON.</summary>
    /// <param name="report">The report.</param>
    /// <param name="stream">The destination.</param>
    public static void Write(ReproducibilityReport report, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(stream);
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("generatedAt", report.GeneratedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        w.WriteStartArray("logs");
        foreach (var log in report.Logs)
        {
            w.WriteStartObject();
            w.WriteString("origin", log.Origin);
            w.WriteNumber("treeSize", log.TreeSize);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        var t = report.Totals;
        w.WriteStartObject("totals");
        w.WriteNumber("attestations", t.Attestations);
        w.WriteNumber("repeats", t.Repeats);
        w.WriteNumber("unreadable", t.Unreadable);
        w.WriteNumber("registryChanges", t.RegistryChanges);
        w.WriteNumber("outputs", t.Outputs);
        w.WriteNumber("reproduced", t.Reproduced);
        w.WriteNumber("disputed", t.Disputed);
        w.WriteNumber("builtOnce", t.BuiltOnce);
        w.WriteNumber("builders", t.Builders);
        w.WriteEndObject();
        w.WriteStartArray("builders");
        foreach (var b in report.Builders)
        {
            w.WriteStartObject();
            w.WriteString("keyId", b.KeyId);
            if (b.Name is null)
            {
                w.WriteNull("name");
            }
            else
            {
                w.WriteString("name", b.Name);
            }

            w.WriteNumber("attestations", b.Attestations);
            w.WriteNumber("outputs", b.Outputs);
            w.WriteNumber("reproducedByOthers", b.ReproducedByOthers);
            w.WriteNumber("disputed", b.Disputed);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("days");
        foreach (var d in report.Days)
        {
            w.WriteStartObject();
            w.WriteString("date", d.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            w.WriteNumber("attestations", d.Attestations);
            w.WriteNumber("reproduced", d.Reproduced);
            w.WriteNumber("disputed", d.Disputed);
            w.WriteNumber("builtOnce", d.BuiltOnce);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        WriteOutputs(w, "disputed", report.Disputed);
        WriteOutputs(w, "reproduced", report.Reproduced);
        WriteOutputs(w, "builtOnce", report.BuiltOnce);
        w.WriteStartArray("tpmCounterRegressions");
        foreach (var r in report.TpmCounterRegressions)
        {
            w.WriteStartObject();
            w.WriteString("origin", r.Origin);
            w.WriteString("akName", r.AkName);
            w.WriteString("builder", r.BuilderKeyId);
            w.WriteNumber("previousIndex", r.PreviousIndex);
            w.WriteNumber("index", r.Index);
            w.WriteString("kind", r.Kind);
            w.WriteString("reason", r.Reason);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteOutputs(Utf8JsonWriter w, string name, IReadOnlyList<OutputReport> outputs)
    {
        w.WriteStartArray(name);
        foreach (var o in outputs)
        {
            w.WriteStartObject();
            w.WriteString("drvPath", o.Derivation);
            w.WriteString("output", o.Output);
            w.WriteString("storePath", o.StorePath);
            w.WriteStartArray("claims");
            foreach (var c in o.Claims)
            {
                w.WriteStartObject();
                w.WriteString("keyId", c.KeyId);
                w.WriteString("builder", c.DisplayName);
                w.WriteString("narHash", c.NarHash);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }
}
