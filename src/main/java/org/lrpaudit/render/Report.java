package org.lrpaudit.render;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
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
import org.lrpaudit.audit.spray.SpectralAnalysis;
import org.lrpaudit.data.InputImages;
import org.lrpaudit.output.Columns;
import org.lrpaudit.output.OutputFiles;

/**
 * report/: a static HTML page (no scripts or styles from elsewhere; opens from disk) with the run summary, the
 * ranked findings (each linking to and showing the galleries of the clusters it names), per-class statistics and mean
 * heatmaps, each class's eigenvalue plot, a 2-D view of its spectral embedding, and its cluster galleries (sampled
 * members' inputs beside their heatmaps). Images are PNG files beside it in report/img/ ({@link ImageFiles}).
 */
public final class Report {
    /** A heatmap of one cluster member, for a gallery; {@code source} is images/'s, to show the input beside it. */
    public record Member(String imageId, String source, int target, int cluster, String labelName, String predictedName, float[] heatmap,
                         int height, int width) {}

    /** An image at its coordinates in a 2-D view of its class's spectral embedding. */
    public record Point(String imageId, int target, int cluster, double x, double y) {}

    /**
     * More of the page from another render class (e.g. {@link ConceptReport}, {@link FaithfulnessPlot}), after the
     * findings and the class table; its images go under dir/img.
     */
    public interface Section {
        void write(StringBuilder html, FileSystem fs, Path dir) throws IOException;
    }

    /**
     * What the report samples from the run: member heatmaps (streamed), embedding points per class (bounded, see
     * {@link #pointsPerClass}), and the reader that fetches the members' inputs again (null: inputs not shown).
     */
    public record Samples(Iterator<Member> members, List<Point> points, InputImages inputs) {
        public static Samples none() { return new Samples(Collections.emptyIterator(), List.of(), null); }
    }

    /** Embedding points drawn per class: at most 500, fewer with many classes (about 20,000 in all, at least 50 each). */
    public static int pointsPerClass(int classes) { return Math.max(50, Math.min(500, 20_000 / Math.max(1, classes))); }

    private final StringBuilder html = new StringBuilder();
    private final FileSystem fs;
    private final Path dir;
    private final ImageFiles files;
    private Gallery gallery;

    private Report(FileSystem fs, Path dir) {
        this.fs = fs;
        this.dir = dir;
        this.files = new ImageFiles(fs, dir);
    }

    /** Writes report/index.html and report/img/; returns the path of index.html. */
    public static String write(Configuration conf, String output, Map<String, Object> manifest, List<Row> classes, List<Row> clusters,
                               List<Findings.Finding> findings, Samples samples, Section... sections) {
        try {
            Path dir = new Path(output, "report");
            var fs = dir.getFileSystem(conf);
            Report r = new Report(fs, dir);
            r.page(manifest, classes, clusters, findings, samples, sections);
            Path index = new Path(dir, "index.html");
            try (OutputStream out = OutputFiles.create(fs, index)) {
                out.write(r.html.toString().getBytes(StandardCharsets.UTF_8));
            }
            return index.toString();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the report under " + output + ": " + e.getMessage(), e);
        }
    }

    private void page(Map<String, Object> manifest, List<Row> classes, List<Row> clusters, List<Findings.Finding> findings, Samples samples,
                      Section... sections) throws IOException {
        html.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>lrp-audit report</title>\n<style>")
                .append("body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}")
                .append("td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f4f4f4}")
                .append(".summary{display:flex;flex-wrap:wrap;gap:0 2em;align-items:flex-start}")
                .append(".high{color:#b00;font-weight:bold}.medium{color:#a60}.gallery{display:flex;flex-wrap:wrap;gap:6px}")
                .append("figure{margin:0;font-size:11px;text-align:center}img{image-rendering:pixelated;border:1px solid #ddd}")
                .append(".pair{display:flex;gap:1px}.no-input{display:inline-block;font-size:10px;color:#777;border:1px dashed #ccc;overflow:hidden}")
                .append(".swatch{display:inline-block;width:.8em;height:.8em;margin-right:.4em;border-radius:50%}")
                .append("section.class{border-top:2px solid #ddd;margin-top:2em}.plots{display:flex;flex-wrap:wrap;gap:2em}</style></head>\n<body>\n");
        html.append("<h1>lrp-audit report</h1>\n");
        html.append(RunSummary.html(manifest));
        Map<Integer, List<Member>> byClass = new LinkedHashMap<>();
        List<InputImages.Ref> refs = new ArrayList<>();
        while (samples.members().hasNext()) {
            Member m = samples.members().next();
            byClass.computeIfAbsent(m.target(), k -> new ArrayList<>()).add(m);
            refs.add(new InputImages.Ref(m.imageId(), m.source()));
        }
        gallery = new Gallery(files, samples.inputs() == null ? Map.of() : samples.inputs().read(refs));
        Map<Integer, List<Point>> points = new LinkedHashMap<>();
        for (Point p : samples.points()) points.computeIfAbsent(p.target(), k -> new ArrayList<>()).add(p);
        findingsTable(findings, clusters, byClass);
        classTable(classes, clusters);
        for (Section section : sections) section.write(html, fs, dir);
        for (Row c : classes) {
            int t = c.getInt(c.fieldIndex(Columns.TARGET));
            classSection(c, clusters, byClass.getOrDefault(t, List.of()), points.getOrDefault(t, List.of()));
        }
        html.append("<p>Colours: red = evidence for the class, blue = against; each heatmap scaled to ±10·(mean|R|³)^⅓ (LRP tutorial). ")
                .append("Each member's input is shown left of its heatmap as the model saw it (resized, cropped, in its colour mode).</p>\n")
                // lets a headless browser check that every image decoded (see CleverHansAuditTest)
                .append("<script>window.addEventListener('load',()=>{document.body.dataset.images=document.images.length;")
                .append("document.body.dataset.imagesLoaded=[...document.images].filter(i=>i.complete&&i.naturalWidth>0).length;});</script>\n")
                .append("</body></html>\n");
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
            Row about = f.cluster() == null ? null : cluster(clusters, f.target(), f.cluster());
            html.append("<tr class=\"finding\" data-class=\"").append(esc(f.targetName())).append("\"><td>").append(rank++).append("</td><td>")
                    .append("<a href=\"#class-").append(f.target()).append("\">").append(esc(f.targetName())).append("</a></td><td>")
                    .append(about == null ? (f.cluster() == null ? "" : f.cluster())
                            : "<a href=\"#" + Gallery.anchor(f.target(), f.cluster()) + "\">" + f.cluster() + "</a>").append("</td><td>")
                    .append(f.kind()).append("</td><td class=\"").append(f.severity()).append("\">").append(f.severity()).append("</td><td>")
                    .append(String.format(Locale.ROOT, "%.2f", f.score())).append("</td><td>").append(esc(f.reason())).append("</td></tr>\n");
            if (f.clusters().isEmpty()) continue;
            html.append("<tr class=\"finding-galleries\"><td></td><td colspan=\"6\">");
            for (int cl : f.clusters()) {
                Row k = cluster(clusters, f.target(), cl);
                if (k != null) html.append(gallery.html(f.target(), k, members.getOrDefault(f.target(), List.of()), true));
            }
            html.append("</td></tr>\n");
        }
        html.append("</table>\n");
    }

    private static Row cluster(List<Row> clusters, int target, int cluster) {
        return clusters.stream().filter(r -> r.getInt(r.fieldIndex(Columns.TARGET)) == target
                && r.getInt(r.fieldIndex(SpectralAnalysis.CLUSTER)) == cluster).findFirst().orElse(null);
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
                    .append(files.heatmap("class-" + t + ".png", heatmapOf(c, ClassAggregates.MEAN_HEATMAP), dims(first), 56, 56, name, null)).append("</td><td>")
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

    private void classSection(Row c, List<Row> clusters, List<Member> members, List<Point> points) throws IOException {
        int t = c.getInt(c.fieldIndex(Columns.TARGET));
        String name = c.getString(c.fieldIndex(Columns.TARGET_NAME));
        List<Row> own = clusters.stream().filter(r -> r.getInt(r.fieldIndex(Columns.TARGET)) == t).toList();
        html.append("<section class=\"class\" id=\"class-").append(t).append("\"><h2>").append(esc(name)).append("</h2>\n");
        if (own.isEmpty()) {
            html.append("<p>No spectral analysis for this class.</p></section>\n");
            return;
        }
        Row first = own.get(0);
        html.append("<p>").append(esc(first.getString(first.fieldIndex(SpectralAnalysis.STATUS)))).append("</p>\n<div class=\"plots\">");
        List<Double> eig = first.getList(first.fieldIndex(SpectralAnalysis.EIGENVALUES));
        if (!eig.isEmpty()) html.append(SpectrumPlots.eigenvalues(eig, first.getInt(first.fieldIndex(SpectralAnalysis.CLUSTERS))));
        if (!points.isEmpty()) html.append(SpectrumPlots.embedding(t, points, c.getLong(c.fieldIndex(ClassAggregates.COUNT))));
        html.append("</div>\n");
        for (Row k : own) html.append(gallery.html(t, k, members, false));
        html.append("</section>\n");
    }

    static float[] heatmapOf(Row r, String column) {
        List<Float> v = r.getList(r.fieldIndex(column));
        float[] out = new float[v.size()];
        for (int i = 0; i < out.length; i++) out[i] = v.get(i);
        return out;
    }

    static int[] dims(Row cluster) {
        return cluster == null ? null : new int[] {cluster.getInt(cluster.fieldIndex(Columns.HEATMAP_HEIGHT)), cluster.getInt(cluster.fieldIndex(Columns.HEATMAP_WIDTH))};
    }

    private static String fmt(Row r, String column) {
        int i = r.fieldIndex(column);
        return r.isNullAt(i) ? "–" : String.format(Locale.ROOT, "%.3f", r.getDouble(i));
    }

    public static String esc(String s) {
        return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
