package org.lrpaudit.render;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.lrpaudit.audit.ClassAggregates;
import org.lrpaudit.audit.Findings;
import org.lrpaudit.audit.spray.ClusterTable;
import org.lrpaudit.audit.spray.SpectralAnalysis;
import org.lrpaudit.output.Columns;
import org.lrpaudit.output.OutputFiles;

/**
 * report/: a static HTML page (no scripts or styles from elsewhere; opens from disk) with the run summary, the
 * ranked findings (each with the galleries of the clusters it names right under it), per-class statistics and mean
 * heatmaps, each class's eigenvalue plot and its cluster galleries.
 * Heatmaps are PNG files beside it in report/img/, rendered with the tutorial's colouring.
 */
public final class Report {
    /** A heatmap of one cluster member, for a gallery. */
    public record Member(String imageId, int target, int cluster, String labelName, String predictedName, float[] heatmap, int height,
                         int width) {}

    /** More of the page from another render class (e.g. {@link ConceptReport}), after the findings; its images go under dir/img. */
    public interface Section {
        void write(StringBuilder html, FileSystem fs, Path dir) throws IOException;
    }

    private final FileSystem fs;
    private final Path dir;
    private final StringBuilder html = new StringBuilder();
    /** Heatmap files already written: a gallery shown under a finding and in its class's section is written once. */
    private final java.util.Set<String> written = new java.util.HashSet<>();

    private Report(FileSystem fs, Path dir) {
        this.fs = fs;
        this.dir = dir;
    }

    /** Writes report/index.html and report/img/; returns the path of index.html. */
    public static String write(Configuration conf, String output, Map<String, Object> manifest, List<Row> classes, List<Row> clusters,
                               List<Findings.Finding> findings, Iterator<Member> members, Section... sections) {
        try {
            Path dir = new Path(output, "report");
            Report r = new Report(dir.getFileSystem(conf), dir);
            r.page(manifest, classes, clusters, findings, members, sections);
            Path index = new Path(dir, "index.html");
            try (OutputStream out = OutputFiles.create(r.fs, index)) {
                out.write(r.html.toString().getBytes(StandardCharsets.UTF_8));
            }
            return index.toString();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the report under " + output + ": " + e.getMessage(), e);
        }
    }

    private void page(Map<String, Object> manifest, List<Row> classes, List<Row> clusters, List<Findings.Finding> findings,
                      Iterator<Member> members, Section... sections) throws IOException {
        html.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>lrp-audit report</title>\n<style>")
                .append("body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}")
                .append("td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f4f4f4}")
                .append(".high{color:#b00;font-weight:bold}.medium{color:#a60}.gallery{display:flex;flex-wrap:wrap;gap:6px}")
                .append("figure{margin:0;font-size:11px;text-align:center}img{image-rendering:pixelated;border:1px solid #ddd}")
                .append("section.class{border-top:2px solid #ddd;margin-top:2em}</style></head>\n<body>\n");
        html.append("<h1>lrp-audit report</h1>\n");
        summary(manifest);
        Map<Integer, List<Member>> byClass = new LinkedHashMap<>();
        while (members.hasNext()) {
            Member m = members.next();
            byClass.computeIfAbsent(m.target(), k -> new ArrayList<>()).add(m);
        }
        findingsTable(findings, clusters, byClass);
        for (Section section : sections) section.write(html, fs, dir);
        classTable(classes, clusters);
        for (Row c : classes) classSection(c, clusters, byClass.getOrDefault(c.getInt(c.fieldIndex(Columns.TARGET)), List.of()));
        html.append("<p>Colours: red = evidence for the class, blue = against; each heatmap scaled to ±10·(mean|R|³)^⅓ (LRP tutorial).</p>\n")
                // lets a headless browser check that every heatmap decoded (see ReportBrowserTest)
                .append("<script>window.addEventListener('load',()=>{document.body.dataset.images=document.images.length;")
                .append("document.body.dataset.imagesLoaded=[...document.images].filter(i=>i.complete&&i.naturalWidth>0).length;});</script>\n")
                .append("</body></html>\n");
    }

    private void summary(Map<String, Object> m) {
        html.append("<h2>Run</h2>\n<table id=\"run\">\n");
        for (String key : List.of("run_id", "start", "duration_seconds", "counts", "accuracy", "model", "input", "spark_master")) {
            Object v = m.get(key);
            if (v instanceof Map<?, ?> map && key.equals("model")) v = map.get("path") + " (SHA-256 " + map.get("sha256") + ")";
            if (v instanceof Double d && key.equals("accuracy")) v = String.format(Locale.ROOT, "%.1f%% where labelled", 100 * d);
            row("th", key.replace('_', ' '), String.valueOf(v));
        }
        if (m.get("configuration") instanceof Map<?, ?> conf) row("th", "rules", String.valueOf(conf.get("rules")));
        html.append("</table>\n");
    }

    private void findingsTable(List<Findings.Finding> findings, List<Row> clusters, Map<Integer, List<Member>> members) throws IOException {
        html.append("<h2>Findings</h2>\n");
        if (findings.isEmpty()) {
            html.append("<p id=\"no-findings\">No class or cluster reached the reporting threshold (score ≥ ").append(Findings.MEDIUM).append(").</p>\n");
            return;
        }
        html.append("<table id=\"findings\">\n<tr><th>rank</th><th>class</th><th>cluster</th><th>kind</th><th>severity</th><th>score</th><th>reason</th></tr>\n");
        int rank = 1;
        for (Findings.Finding f : findings) {
            html.append("<tr class=\"finding\" data-class=\"").append(esc(f.targetName())).append("\"><td>").append(rank++).append("</td><td>")
                    .append(esc(f.targetName())).append("</td><td>").append(f.cluster() == null ? "" : f.cluster()).append("</td><td>")
                    .append(f.kind()).append("</td><td class=\"").append(f.severity()).append("\">").append(f.severity()).append("</td><td>")
                    .append(String.format(Locale.ROOT, "%.2f", f.score())).append("</td><td>").append(esc(f.reason())).append("</td></tr>\n");
            if (f.clusters().isEmpty()) continue;
            html.append("<tr class=\"finding-galleries\"><td></td><td colspan=\"6\">");
            for (int cl : f.clusters()) {
                Row k = clusters.stream().filter(r -> r.getInt(r.fieldIndex(Columns.TARGET)) == f.target()
                        && r.getInt(r.fieldIndex(SpectralAnalysis.CLUSTER)) == cl).findFirst().orElse(null);
                if (k != null) gallery(f.target(), k, members.getOrDefault(f.target(), List.of()), true);
            }
            html.append("</td></tr>\n");
        }
        html.append("</table>\n");
    }

    private void classTable(List<Row> classes, List<Row> clusters) throws IOException {
        html.append("<h2>Classes</h2>\n<table id=\"classes\">\n<tr><th>class</th><th>mean heatmap</th><th>images</th><th>accuracy</th>")
                .append("<th>entropy</th><th>border share</th><th>Σ R</th><th>clusters</th><th>eigengap</th></tr>\n");
        for (Row c : classes) {
            int t = c.getInt(c.fieldIndex(Columns.TARGET));
            String name = c.getString(c.fieldIndex(Columns.TARGET_NAME));
            Row first = clusters.stream().filter(r -> r.getInt(r.fieldIndex(Columns.TARGET)) == t).findFirst().orElse(null);
            Object acc = c.get(c.fieldIndex(ClassAggregates.ACCURACY));
            html.append("<tr><td><a href=\"#class-").append(t).append("\">").append(esc(name)).append("</a></td><td>")
                    .append(img("class-" + t + ".png", heatmapOf(c, ClassAggregates.MEAN_HEATMAP), dims(first), 56, name)).append("</td><td>")
                    .append(c.getLong(c.fieldIndex(ClassAggregates.COUNT))).append("</td><td>")
                    .append(acc == null ? "–" : String.format(Locale.ROOT, "%.1f%%", 100 * (Double) acc)).append("</td><td>")
                    .append(fmt(c, "mean_" + Columns.ENTROPY)).append("</td><td>").append(fmt(c, "mean_" + Columns.BORDER_SHARE)).append("</td><td>")
                    .append(fmt(c, "mean_" + Columns.RELEVANCE_SUM)).append("</td><td>")
                    .append(first == null ? "–" : first.getInt(first.fieldIndex(SpectralAnalysis.CLUSTERS))).append("</td><td>")
                    .append(first == null || first.isNullAt(first.fieldIndex(SpectralAnalysis.EIGENGAP)) ? "–"
                            : String.format(Locale.ROOT, "%.3f", first.getDouble(first.fieldIndex(SpectralAnalysis.EIGENGAP))))
                    .append("</td></tr>\n");
        }
        html.append("</table>\n");
    }

    private void classSection(Row c, List<Row> clusters, List<Member> members) throws IOException {
        int t = c.getInt(c.fieldIndex(Columns.TARGET));
        String name = c.getString(c.fieldIndex(Columns.TARGET_NAME));
        List<Row> own = clusters.stream().filter(r -> r.getInt(r.fieldIndex(Columns.TARGET)) == t).toList();
        html.append("<section class=\"class\" id=\"class-").append(t).append("\"><h2>").append(esc(name)).append("</h2>\n");
        if (own.isEmpty()) {
            html.append("<p>No spectral analysis for this class.</p></section>\n");
            return;
        }
        Row first = own.get(0);
        html.append("<p>").append(esc(first.getString(first.fieldIndex(SpectralAnalysis.STATUS)))).append("</p>\n");
        List<Double> eig = first.getList(first.fieldIndex(SpectralAnalysis.EIGENVALUES));
        if (!eig.isEmpty()) html.append(eigenPlot(eig, first.getInt(first.fieldIndex(SpectralAnalysis.CLUSTERS))));
        for (Row k : own) gallery(t, k, members, false);
        html.append("</section>\n");
    }

    /** A cluster's heading and gallery: its mean heatmap and its sampled members (compact under a finding). */
    private void gallery(int t, Row k, List<Member> members, boolean underFinding) throws IOException {
        int cl = k.getInt(k.fieldIndex(SpectralAnalysis.CLUSTER));
        String name = k.getString(k.fieldIndex(Columns.TARGET_NAME));
        Object agree = k.get(k.fieldIndex(ClusterTable.LABEL_AGREEMENT));
        html.append(underFinding ? "<p>" : "<h3>").append("cluster ").append(cl).append(": ").append(k.getLong(k.fieldIndex(SpectralAnalysis.SIZE)))
                .append(" images (").append(String.format(Locale.ROOT, "%.0f%%", 100 * k.getDouble(k.fieldIndex(SpectralAnalysis.SHARE)))).append(" of the class")
                .append(agree == null ? "" : String.format(Locale.ROOT, ", %.0f%% labelled %s", 100 * (Double) agree, esc(name)))
                .append(underFinding ? ")</p>\n" : ")</h3>\n");
        html.append("<div class=\"gallery ").append(underFinding ? "finding-cluster" : "cluster").append("\" data-class=\"").append(esc(name))
                .append("\" data-cluster=\"").append(cl).append("\"><figure>")
                .append(img("cluster-" + t + "-" + cl + ".png", heatmapOf(k, SpectralAnalysis.MEAN_HEATMAP), dims(k), 112, underFinding ? 84 : 112,
                        "mean of cluster " + cl)).append("<figcaption>mean</figcaption></figure>\n");
        int i = 0;
        for (Member m : members) {
            if (m.cluster() != cl) continue;
            html.append("<figure>").append(img("member-" + t + "-" + cl + "-" + i++ + ".png", m.heatmap(), new int[] {m.height(), m.width()},
                    84, underFinding ? 56 : 84, m.imageId())).append("<figcaption title=\"").append(esc(m.imageId())).append("\">")
                    .append(esc(m.labelName() == null ? "?" : m.labelName())).append(" → ").append(esc(m.predictedName())).append("</figcaption></figure>\n");
        }
        html.append("</div>\n");
    }

    /** Eigenvalues of the normalised Laplacian as an inline SVG line plot, the chosen cluster count marked. */
    static String eigenPlot(List<Double> eig, int clusters) {
        int w = 320, h = 140, pad = 24;
        double max = Math.max(1e-9, eig.stream().mapToDouble(Double::doubleValue).max().orElse(1));
        StringBuilder pts = new StringBuilder(), dots = new StringBuilder();
        for (int i = 0; i < eig.size(); i++) {
            double x = pad + (w - 2.0 * pad) * i / Math.max(1, eig.size() - 1), y = h - pad - (h - 2.0 * pad) * eig.get(i) / max;
            pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
            dots.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"><title>λ%d = %.4f</title></circle>", x, y,
                    i == clusters - 1 ? "#b00" : "#333", i + 1, eig.get(i)));
        }
        return "<svg class=\"eigenvalues\" width=\"" + w + "\" height=\"" + h + "\" role=\"img\" aria-label=\"eigenvalues\">"
                + "<line x1=\"" + pad + "\" y1=\"" + (h - pad) + "\" x2=\"" + (w - pad) + "\" y2=\"" + (h - pad) + "\" stroke=\"#999\"/>"
                + "<polyline fill=\"none\" stroke=\"#36c\" points=\"" + pts + "\"/>" + dots
                + "<text x=\"" + pad + "\" y=\"14\" font-size=\"11\">Laplacian eigenvalues (red: last before the chosen eigengap, " + clusters
                + " clusters)</text></svg>\n";
    }

    private String img(String file, float[] heatmap, int[] hw, int pixels, String alt) throws IOException {
        return img(file, heatmap, hw, pixels, pixels, alt);
    }

    /** An image shown {@code shown} pixels wide from a file of {@code pixels}. */
    private String img(String file, float[] heatmap, int[] hw, int pixels, int shown, String alt) throws IOException {
        if (heatmap == null || hw == null) return "";
        if (written.add(file)) {
            try (OutputStream out = OutputFiles.create(fs, new Path(new Path(dir, "img"), file))) {
                out.write(Heatmaps.png(heatmap, hw[0], hw[1], pixels));
            }
        }
        return "<img src=\"img/" + file + "\" alt=\"" + esc(alt) + "\" width=\"" + shown + "\">";
    }

    private static float[] heatmapOf(Row r, String column) {
        List<Float> v = r.getList(r.fieldIndex(column));
        float[] out = new float[v.size()];
        for (int i = 0; i < out.length; i++) out[i] = v.get(i);
        return out;
    }

    private static int[] dims(Row cluster) {
        return cluster == null ? null : new int[] {cluster.getInt(cluster.fieldIndex(Columns.HEATMAP_HEIGHT)), cluster.getInt(cluster.fieldIndex(Columns.HEATMAP_WIDTH))};
    }

    private void row(String head, String key, String value) {
        html.append("<tr><").append(head).append(">").append(esc(key)).append("</").append(head).append("><td>").append(esc(value)).append("</td></tr>\n");
    }

    private static String fmt(Row r, String column) {
        int i = r.fieldIndex(column);
        return r.isNullAt(i) ? "–" : String.format(Locale.ROOT, "%.3f", r.getDouble(i));
    }

    public static String esc(String s) {
        return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
