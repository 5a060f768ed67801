package org.lrpaudit.render;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.lrpaudit.output.Columns;
import org.lrpaudit.output.FaithfulnessColumns;

/**
 * The report's faithfulness section: per class a table row per composite (AOPC of both orders, SRG, and the random
 * order's SRG as the floor) and an inline SVG of the mean target logit against the share of patches removed.
 */
public final class FaithfulnessPlot {
    private static final String[] COLOURS = {"#c0392b", "#2471a3", "#1e8449", "#7d3c98", "#b9770e"};
    private static final int W = 360, H = 200, PAD = 36;

    private FaithfulnessPlot() {}

    /** The section's HTML, from faithfulness/summary and faithfulness/curves rows. */
    public static String section(List<Row> summary, List<Row> curves) {
        StringBuilder html = new StringBuilder("<h2 id=\"faithfulness\">Faithfulness</h2>\n<p>Region perturbation on a sample of each class: "
                + "patches are replaced by the baseline most relevant first (MoRF, solid) or least relevant first (LeRF, dashed); grey: a random "
                + "order. SRG = area under LeRF − area under MoRF, in logits: higher is more faithful, the random order's SRG is the floor "
                + "(about 0). SRG/drop divides by the logit's fall from the image to the baseline.</p>\n");
        html.append("<table id=\"faithfulness-summary\">\n<tr><th>class</th><th>composite</th><th>images</th><th>AOPC MoRF</th><th>AOPC LeRF</th>")
                .append("<th>SRG</th><th>SRG random</th><th>SRG/drop</th></tr>\n");
        for (Row r : summary) {
            Object norm = r.getAs(FaithfulnessColumns.SRG_NORMALISED);
            html.append("<tr class=\"faithfulness\" data-class=\"").append(Report.esc(r.getAs(Columns.TARGET_NAME))).append("\"><td>")
                    .append(Report.esc(r.getAs(Columns.TARGET_NAME))).append("</td><td>").append(Report.esc(r.getAs(FaithfulnessColumns.COMPOSITE)))
                    .append("</td><td>").append((long) r.getAs(FaithfulnessColumns.IMAGES)).append("</td><td>")
                    .append(f(r.getAs(FaithfulnessColumns.AOPC_MORF))).append("</td><td>").append(f(r.getAs(FaithfulnessColumns.AOPC_LERF)))
                    .append("</td><td>").append(f(r.getAs(FaithfulnessColumns.SRG))).append("</td><td>").append(f(r.getAs(FaithfulnessColumns.SRG_RANDOM)))
                    .append("</td><td>").append(norm == null ? "" : f((Double) norm)).append("</td></tr>\n");
        }
        html.append("</table>\n<div class=\"gallery\">\n");
        Map<Integer, List<Row>> byClass = new LinkedHashMap<>();
        for (Row r : curves) byClass.computeIfAbsent(r.<Integer>getAs(Columns.TARGET), k -> new ArrayList<>()).add(r);
        List<String> composites = summary.stream().map(r -> r.<String>getAs(FaithfulnessColumns.COMPOSITE)).distinct().toList();
        for (List<Row> rows : byClass.values()) html.append(plot(rows, composites));
        return html.append("</div>\n").toString();
    }

    /** One class's curves: one polyline per (composite, order). */
    static String plot(List<Row> rows, List<String> composites) {
        Map<String, List<double[]>> lines = new LinkedHashMap<>();
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (Row r : rows) {
            double x = r.getAs(FaithfulnessColumns.REMOVED_SHARE), y = r.getAs(FaithfulnessColumns.MEAN_LOGIT);
            lo = Math.min(lo, y);
            hi = Math.max(hi, y);
            lines.computeIfAbsent(r.getAs(FaithfulnessColumns.COMPOSITE) + "|" + r.getAs(FaithfulnessColumns.ORDER), k -> new ArrayList<>())
                    .add(new double[] {x, y});
        }
        if (hi - lo < 1e-9) hi = lo + 1;
        String name = rows.get(0).getAs(Columns.TARGET_NAME);
        StringBuilder svg = new StringBuilder("<figure><svg class=\"faithfulness\" data-class=\"").append(Report.esc(name)).append("\" width=\"")
                .append(W).append("\" height=\"").append(H).append("\" role=\"img\" aria-label=\"perturbation curves of ").append(Report.esc(name))
                .append("\"><rect x=\"").append(PAD).append("\" y=\"4\" width=\"").append(W - PAD - 4).append("\" height=\"").append(H - PAD - 4)
                .append("\" fill=\"none\" stroke=\"#ccc\"/>");
        for (Map.Entry<String, List<double[]>> e : lines.entrySet()) {
            String[] key = e.getKey().split("\\|", 2);
            boolean random = key[1].startsWith("random");
            String colour = random ? "#999" : COLOURS[Math.max(0, composites.indexOf(key[0])) % COLOURS.length];
            String dash = key[1].equals("lerf") || key[1].equals("random_reversed") ? " stroke-dasharray=\"5,3\"" : "";
            svg.append("<polyline class=\"").append(key[1]).append("\" data-composite=\"").append(Report.esc(key[0])).append("\" fill=\"none\" stroke=\"")
                    .append(colour).append("\" stroke-width=\"1.5\"").append(dash).append(" points=\"");
            for (double[] p : e.getValue()) {
                svg.append(String.format(Locale.ROOT, "%.1f,%.1f ", PAD + p[0] * (W - PAD - 4), 4 + (hi - p[1]) / (hi - lo) * (H - PAD - 4)));
            }
            svg.append("\"><title>").append(Report.esc(key[0] + " " + key[1])).append("</title></polyline>");
        }
        svg.append(String.format(Locale.ROOT, "<text x=\"2\" y=\"14\" font-size=\"10\">%.1f</text><text x=\"2\" y=\"%d\" font-size=\"10\">%.1f</text>",
                hi, H - PAD, lo));
        svg.append("<text x=\"").append(PAD).append("\" y=\"").append(H - PAD + 14).append("\" font-size=\"10\">0</text><text x=\"").append(W - 70)
                .append("\" y=\"").append(H - PAD + 14).append("\" font-size=\"10\">all removed</text>");
        svg.append("<text x=\"").append(PAD).append("\" y=\"").append(H - 6).append("\" font-size=\"10\">");
        for (int i = 0; i < composites.size(); i++) {
            svg.append("<tspan fill=\"").append(COLOURS[i % COLOURS.length]).append("\">").append(Report.esc(composites.get(i))).append(" </tspan>");
        }
        svg.append("<tspan fill=\"#999\">random</tspan></text></svg><figcaption>").append(Report.esc(name)).append(": mean target logit</figcaption></figure>\n");
        return svg.toString();
    }

    private static String f(double v) { return String.format(Locale.ROOT, "%.3f", v); }
}
