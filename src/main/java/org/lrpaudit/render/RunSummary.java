package org.lrpaudit.render;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The report's run summary from the manifest: the run, its counts and its input, each as a table of its own. */
final class RunSummary {
    private RunSummary() {}

    static String html(Map<String, Object> m) {
        StringBuilder html = new StringBuilder("<h2>Run</h2>\n<div class=\"summary\">\n<table id=\"run\">\n");
        row(html, "run id", m.get("run_id"));
        row(html, "start", m.get("start"));
        if (m.get("duration_seconds") instanceof Number d) row(html, "duration", String.format(Locale.ROOT, "%.1f s", d.doubleValue()));
        row(html, "Spark master", m.get("spark_master"));
        if (m.get("model") instanceof Map<?, ?> model) {
            row(html, "model", model.get("path"));
            row(html, "model SHA-256", model.get("sha256"));
        }
        if (m.get("configuration") instanceof Map<?, ?> conf) {
            row(html, "rules", conf.get("rules"));
            row(html, "preprocessing", conf.get("preprocessing"));
            row(html, "target", conf.get("target"));
        }
        html.append("</table>\n");
        if (m.get("counts") instanceof Map<?, ?> counts) {
            html.append("<table id=\"counts\">\n<tr><th colspan=\"2\">images</th></tr>\n");
            for (Map.Entry<?, ?> e : counts.entrySet()) {
                Object v = e.getValue();
                row(html, String.valueOf(e.getKey()).replace('_', ' '), v instanceof Number n ? String.format(Locale.ROOT, "%,d", n.longValue()) : v);
            }
            Object accuracy = m.get("accuracy");
            row(html, "accuracy", accuracy instanceof Number a ? String.format(Locale.ROOT, "%.1f%% where labelled", 100 * a.doubleValue())
                    : "– (no labels)");
            html.append("</table>\n");
        }
        if (m.get("input") instanceof Map<?, ?> input) {
            html.append("<table id=\"input\">\n<tr><th colspan=\"2\">input</th></tr>\n");
            for (String key : List.of("path", "format")) row(html, key, input.get(key));
            html.append("</table>\n");
        }
        return html.append("</div>\n").toString();
    }

    private static void row(StringBuilder html, String key, Object value) {
        if (value == null) return;
        html.append("<tr><th>").append(Report.esc(key)).append("</th><td>").append(Report.esc(String.valueOf(value))).append("</td></tr>\n");
    }
}
