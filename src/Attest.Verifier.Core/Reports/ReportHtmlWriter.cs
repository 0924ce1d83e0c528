using System.Globalization;
using System.Net;
using System.Text;

namespace Attest.Verifier.Reports;

/// <summary>
/// Writes a <see cref="ReproducibilityReport"/> as one self-contained HTML page: inline CSS, summary cards, a per-day
/// chart as inline SVG, disputed outputs first with their differing hashes, and a small inline script that filters the
/// tables (it marks <c>&lt;body data-search="ready"&gt;</c> once it has run). No external assets.
/// </summary>
public static class ReportHtmlWriter
{
    private const string Css = """
        :root{--ok:#1a7f37;--bad:#cf222e;--once:#8c959f;--ink:#1f2328;--mute:#59636e;--line:#d1d9e0;--bg:#f6f8fa}
        *{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--ink);background:var(--bg)}
        header{background:#24292f;color:#fff;padding:20px 32px}header h1{margin:0;font-size:22px}header p{margin:4px 0 0;color:#c9d1d9;font-size:13px}
        main{max-width:1200px;margin:0 auto;padding:24px 32px}
        .cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:14px;margin-bottom:24px}
        .card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:14px 16px;border-top:4px solid var(--line)}
        .card .n{font-size:28px;font-weight:600}.card .l{color:var(--mute);font-size:13px}
        .card.ok{border-top-color:var(--ok)}.card.bad{border-top-color:var(--bad)}.card.once{border-top-color:var(--once)}
        section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:16px 20px;margin-bottom:24px}
        h2{font-size:17px;margin:0 0 12px}
        table{width:100%;border-collapse:collapse;font-size:13px}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
        th{background:var(--bg);font-weight:600}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
        code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;word-break:break-all}
        .hash{display:block}.h0{color:#0550ae}.h1{color:#953800}.h2{color:#8250df}.h3{color:#116329}
        .pill{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;color:#fff}.pill.ok{background:var(--ok)}.pill.bad{background:var(--bad)}.pill.once{background:var(--once)}
        .legend span{margin-right:14px;font-size:12px;color:var(--mute)}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px}
        input[type=search]{width:100%;padding:8px 10px;font-size:14px;border:1px solid var(--line);border-radius:6px;margin-bottom:16px}
        .note{color:var(--mute);font-size:12px}svg text{font:11px system-ui,sans-serif;fill:var(--mute)}
        """;

    private const string Script = """
        (function(){var q=document.getElementById('q');var rows=document.querySelectorAll('tr[data-s]');
        function f(){var t=q.value.trim().toLowerCase();var shown=0;rows.forEach(function(r){var v=!t||r.getAttribute('data-s').indexOf(t)>=0;r.style.display=v?'':'none';if(v)shown++;});
        document.getElementById('shown').textContent=t?shown+' matching rows':'';}
        q.addEventListener('input',f);f();document.body.setAttribute('data-search','ready');})();
        """;

    /// <summary>Writes the page to <paramref name="writer"/>.</summary>
    /// <param name="report">The report.</param>
    /// <param name="writer">The destination.</param>
    public static void Write(ReproducibilityReport report, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(writer);
        var t = report.Totals;
        var c = CultureInfo.InvariantCulture;
        writer.Write("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">");
        writer.Write("<title>Attest reproducibility report</title><style>");
        writer.Write(Css);
        writer.Write("</style></head><body data-search=\"off\"><header><h1>Reproducibility report</h1><p>");
        writer.Write(E(string.Join(", ", report.Logs.Select(l => $"{l.Origin} (size {l.TreeSize.ToString(c)})"))));
        writer.Write(" · generated ");
        writer.Write(E(report.GeneratedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", c)));
        writer.Write("</p></header><main>");

        writer.Write("<div class=\"cards\">");
        Card(writer, "", t.Outputs, "outputs", "total");
        Card(writer, "ok", t.Reproduced, "reproduced", "reproduced");
        Card(writer, "bad", t.Disputed, "disputed", "disputed");
        Card(writer, "once", t.BuiltOnce, "built once", "built-once");
        Card(writer, "", t.Attestations, "attestations", "attestations");
        Card(writer, "", t.Builders, "builders", "builders");
        writer.Write("<div class=\"card ok\"><div class=\"n\" data-figure=\"reproduced-share\">");
        writer.Write(E((t.ReproducedShare * 100).ToString("0.0", c)));
        writer.Write("%</div><div class=\"l\">reproduced of outputs built twice or more</div></div></div>");

        writer.Write("<input type=\"search\" id=\"q\" placeholder=\"Filter by store path, derivation, builder or hash\" aria-label=\"Filter\"><p class=\"note\" id=\"shown\"></p>");

        writer.Write("<section><h2>Per day</h2>");
        Chart(writer, report.Days);
        writer.Write("</section>");

        writer.Write("<section id=\"disputed\"><h2>Disputed outputs (");
        writer.Write(t.Disputed.ToString(c));
        writer.Write(")</h2>");
        if (report.Disputed.Count == 0)
        {
            writer.Write("<p class=\"note\">No output is disputed.</p>");
        }
        else
        {
            OutputTable(writer, report.Disputed, withHashes: true);
        }

        writer.Write("</section>");
        if (report.TpmCounterRegressions.Count != 0)
        {
            writer.Write("<section id=\"tpm-counters\"><h2>TPM counters that went backwards (");
            writer.Write(report.TpmCounterRegressions.Count.ToString(c));
            writer.Write(")</h2><table><thead><tr><th>log</th><th>AK name</th><th>builder</th><th class=\"num\">earlier entry</th><th class=\"num\">entry</th><th>what</th></tr></thead><tbody>");
            foreach (var r in report.TpmCounterRegressions)
            {
                writer.Write("<tr><td>");
                writer.Write(E(r.Origin));
                writer.Write("</td><td><code>");
                writer.Write(E(r.AkName[..Math.Min(20, r.AkName.Length)]));
                writer.Write("…</code></td><td>");
                writer.Write(E(r.BuilderKeyId[..Math.Min(16, r.BuilderKeyId.Length)]));
                writer.Write("</td>");
                Num(writer, r.PreviousIndex);
                Num(writer, r.Index);
                writer.Write("<td>");
                writer.Write(E(r.Kind + ": " + r.Reason));
                writer.Write("</td></tr>");
            }

            writer.Write("</tbody></table></section>");
        }

        writer.Write("<section id=\"builders\"><h2>Builders</h2><table><thead><tr><th>builder</th><th>key id</th><th class=\"num\">attestations</th><th class=\"num\">outputs</th><th class=\"num\">reproduced by others</th><th class=\"num\">disputed</th></tr></thead><tbody>");
        foreach (var b in report.Builders)
        {
            writer.Write("<tr data-s=\"");
            writer.Write(E((b.DisplayName + " " + b.KeyId).ToLowerInvariant()));
            writer.Write("\"><td>");
            writer.Write(E(b.DisplayName));
            writer.Write("</td><td><code>");
            writer.Write(E(b.KeyId[..Math.Min(16, b.KeyId.Length)]));
            writer.Write("…</code></td>");
            Num(writer, b.Attestations);
            Num(writer, b.Outputs);
            Num(writer, b.ReproducedByOthers);
            Num(writer, b.Disputed);
            writer.Write("</tr>");
        }

        writer.Write("</tbody></table></section>");
        Listed(writer, "reproduced", "Reproduced outputs", t.Reproduced, report.Reproduced);
        Listed(writer, "built-once", "Built once", t.BuiltOnce, report.BuiltOnce);
        writer.Write("</main><script>");
        writer.Write(Script);
        writer.Write("</script></body></html>\n");
    }

    private static void Listed(TextWriter writer, string id, string title, long total, IReadOnlyList<OutputReport> outputs)
    {
        writer.Write("<section id=\"");
        writer.Write(id);
        writer.Write("\"><h2>");
        writer.Write(E(title));
        writer.Write(" (");
        writer.Write(total.ToString(CultureInfo.InvariantCulture));
        writer.Write(")</h2>");
        if (outputs.Count < total)
        {
            writer.Write("<p class=\"note\">The first ");
            writer.Write(outputs.Count.ToString(CultureInfo.InvariantCulture));
            writer.Write(" are listed; the JSON report has the same cap, raise it with --max-listed.</p>");
        }

        OutputTable(writer, outputs, withHashes: false);
        writer.Write("</section>");
    }

    private static void OutputTable(TextWriter writer, IReadOnlyList<OutputReport> outputs, bool withHashes)
    {
        writer.Write("<table><thead><tr><th>store path</th><th>output</th><th>");
        writer.Write(withHashes ? "builders and NAR hashes" : "builders");
        writer.Write("</th></tr></thead><tbody>");
        foreach (var o in outputs)
        {
            var search = new StringBuilder(o.StorePath).Append(' ').Append(o.Derivation);
            foreach (var claim in o.Claims)
            {
                search.Append(' ').Append(claim.DisplayName).Append(' ').Append(claim.NarHash);
            }

            writer.Write("<tr data-s=\"");
            writer.Write(E(search.ToString().ToLowerInvariant()));
            writer.Write("\"><td><code>");
            writer.Write(E(o.StorePath));
            writer.Write("</code><br><span class=\"note\">");
            writer.Write(E(o.Derivation));
            writer.Write("</span></td><td>");
            writer.Write(E(o.Output));
            writer.Write("</td><td>");
            if (withHashes)
            {
                var colours = new Dictionary<string, int>(StringComparer.Ordinal);
                foreach (var claim in o.Claims)
                {
                    if (!colours.TryGetValue(claim.NarHash, out var colour))
                    {
                        colour = colours.Count % 4;
                        colours[claim.NarHash] = colour;
                    }

                    writer.Write("<span class=\"hash h");
                    writer.Write(colour.ToString(CultureInfo.InvariantCulture));
                    writer.Write("\"><b>");
                    writer.Write(E(claim.DisplayName));
                    writer.Write("</b> <code>");
                    writer.Write(E(claim.NarHash));
                    writer.Write("</code></span>");
                }
            }
            else
            {
                writer.Write(E(string.Join(", ", o.Claims.Select(cl => cl.DisplayName).Distinct(StringComparer.Ordinal))));
            }

            writer.Write("</td></tr>");
        }

        writer.Write("</tbody></table>");
    }

    // A stacked bar per day: reproduced, disputed, built once (outputs by the day of their first attestation).
    private static void Chart(TextWriter writer, IReadOnlyList<DayReport> days)
    {
        if (days.Count == 0)
        {
            writer.Write("<p class=\"note\">No attestations yet.</p>");
            return;
        }

        var c = CultureInfo.InvariantCulture;
        const int height = 180, top = 10, bottom = 24, left = 44;
        var shown = days.Count > 120 ? days.Skip(days.Count - 120).ToList() : days;
        var max = Math.Max(1, shown.Max(d => d.Reproduced + d.Disputed + d.BuiltOnce));
        var bar = Math.Clamp(900 / shown.Count, 4, 48);
        var width = left + (shown.Count * (bar + 2)) + 10;
        writer.Write("<div class=\"legend\"><span><i style=\"background:var(--ok)\"></i>reproduced</span><span><i style=\"background:var(--bad)\"></i>disputed</span><span><i style=\"background:var(--once)\"></i>built once</span></div>");
        writer.Write(string.Create(c, $"<svg role=\"img\" aria-label=\"Outputs per day\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">"));
        var plot = height - top - bottom;
        writer.Write(string.Create(c, $"<line x1=\"{left - 4}\" y1=\"{top + plot}\" x2=\"{width}\" y2=\"{top + plot}\" stroke=\"#d1d9e0\"/>"));
        writer.Write(string.Create(c, $"<text x=\"{left - 8}\" y=\"{top + 8}\" text-anchor=\"end\">{max}</text><text x=\"{left - 8}\" y=\"{top + plot}\" text-anchor=\"end\">0</text>"));
        for (var i = 0; i < shown.Count; i++)
        {
            var d = shown[i];
            var x = left + (i * (bar + 2));
            var y = (double)(top + plot);
            foreach (var (count, colour) in new[] { (d.Reproduced, "#1a7f37"), (d.Disputed, "#cf222e"), (d.BuiltOnce, "#8c959f") })
            {
                if (count == 0)
                {
                    continue;
                }

                var h = (double)count * plot / max;
                y -= h;
                writer.Write(string.Create(c, $"<rect x=\"{x}\" y=\"{y:0.##}\" width=\"{bar}\" height=\"{h:0.##}\" fill=\"{colour}\"><title>{d.Date:yyyy-MM-dd}: {count}</title></rect>"));
            }

            if (i == 0 || i == shown.Count - 1 || (shown.Count <= 14))
            {
                writer.Write(string.Create(c, $"<text x=\"{x + (bar / 2)}\" y=\"{height - 8}\" text-anchor=\"middle\">{d.Date:MM-dd}</text>"));
            }
        }

        writer.Write("</svg>");
        writer.Write("<table><thead><tr><th>day (UTC)</th><th class=\"num\">attestations</th><th class=\"num\">reproduced</th><th class=\"num\">disputed</th><th class=\"num\">built once</th></tr></thead><tbody>");
        foreach (var d in days.Reverse().Take(31))
        {
            writer.Write("<tr><td>");
            writer.Write(d.Date.ToString("yyyy-MM-dd", c));
            writer.Write("</td>");
            Num(writer, d.Attestations);
            Num(writer, d.Reproduced);
            Num(writer, d.Disputed);
            Num(writer, d.BuiltOnce);
            writer.Write("</tr>");
        }

        writer.Write("</tbody></table>");
    }

    private static void Card(TextWriter writer, string kind, long value, string label, string figure)
    {
        writer.Write("<div class=\"card ");
        writer.Write(kind);
        writer.Write("\"><div class=\"n\" data-figure=\"");
        writer.Write(figure);
        writer.Write("\">");
        writer.Write(value.ToString("N0", CultureInfo.InvariantCulture));
        writer.Write("</div><div class=\"l\">");
        writer.Write(E(label));
        writer.Write("</div></div>");
    }

    private static void Num(TextWriter writer, long value)
    {
        writer.Write("<td class=\"num\">");
        writer.Write(value.ToString("N0", CultureInfo.InvariantCulture));
        writer.Write("</td>");
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
