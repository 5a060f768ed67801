package org.lrpaudit.compare;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.lrpaudit.audit.ClassAggregates;
import org.lrpaudit.output.Columns;
import org.lrpaudit.output.OutputFiles;
import org.lrpaudit.render.Heatmaps;
import static org.lrpaudit.render.Report.esc;

/**
 * Writes a comparison under a folder: comparison/ (Parquet, one row per check), comparison.json (the verdict, the exit
 * code, what differs, the flagged checks, the thresholds) and comparison.html (the same for a reader, with the
 * class-mean heatmaps of baseline and current side by side for every class that warned or failed).
 */
public final class ComparisonOutput {
    /** The names it writes under the folder; a later audit's --overwrite removes them too. */
    public static final List<String> OUTPUTS = List.of("comparison", "comparison.json", "comparison.html");

    public static final StructType SCHEMA = new StructType()
            .add("class", DataTypes.StringType, true)
            .add("check", DataTypes.StringType, false)
            .add("value", DataTypes.DoubleType, false)
            .add("baseline_value", DataTypes.DoubleType, true)
            .add("warn_threshold", DataTypes.DoubleType, false)
            .add("fail_threshold", DataTypes.DoubleType, false)
            .add("status", DataTypes.StringType, false)
            .add("reason", DataTypes.StringType, false);

    private ComparisonOutput() {}

    /** Writes the three outputs under {@code dir} (replacing an earlier comparison there); returns the page's path. */
    public static String write(SparkSession spark, AuditComparison.Result r, AuditComparison.FailOn failOn, String dir) {
        List<Row> rows = new ArrayList<>();
        for (Check c : r.checks()) {
            rows.add(RowFactory.create(c.className(), c.check(), c.value(), c.baselineValue(), c.warnAt(), c.failAt(), c.status().label(), c.reason()));
        }
        spark.createDataFrame(rows, SCHEMA).coalesce(1).write().mode(SaveMode.Overwrite).parquet(new Path(dir, "comparison").toString());
        Path page = new Path(dir, "comparison.html");
        try {
            FileSystem fs = page.getFileSystem(spark.sparkContext().hadoopConfiguration());
            try (OutputStream out = OutputFiles.create(fs, new Path(dir, "comparison.json"))) {
                new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out, AuditComparison.summary(r, failOn));
            }
            String html = page(spark, r, failOn);
            try (OutputStream out = OutputFiles.create(fs, page)) {
                out.write(html.getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the comparison under " + dir + ": " + e.getMessage(), e);
        }
        return page.toString();
    }

    private static String page(SparkSession spark, AuditComparison.Result r, AuditComparison.FailOn failOn) {
        StringBuilder html = new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>lrp-audit comparison</title>\n<style>")
                .append("body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}")
                .append("td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f4f4f4}")
                .append(".fail{color:#b00;font-weight:bold}.warn{color:#a60}.pass{color:#070}figure{display:inline-block;margin:0 12px 0 0;")
                .append("font-size:12px;text-align:center}img{image-rendering:pixelated;border:1px solid #ddd}</style></head>\n<body>\n")
                .append("<h1>lrp-audit comparison</h1>\n<p id=\"verdict\" class=\"").append(r.comparable() || r.comparedAnyway() ? r.status().label() : "fail")
                .append("\">").append(esc(r.headline(failOn))).append("</p>\n<table id=\"runs\">\n");
        row(html, "baseline", r.baseline() + " (run " + r.baselineRunId() + ")");
        row(html, "current", r.current() + " (run " + r.currentRunId() + ")");
        for (String p : r.problems()) row(html, "not comparable", p);
        for (String d : r.differences()) row(html, "differs", d);
        for (String n : r.notes()) row(html, "note", n);
        html.append("</table>\n");
        List<Check> flagged = r.flagged();
        if (!flagged.isEmpty()) {
            html.append("<h2>Checks that warned or failed</h2>\n<table id=\"flagged\">\n<tr><th>class</th><th>check</th><th>status</th><th>value</th>")
                    .append("<th>baseline</th><th>warn / fail at</th><th>reason</th></tr>\n");
            for (Check c : flagged) {
                html.append("<tr class=\"check\" data-class=\"").append(esc(c.className())).append("\" data-status=\"").append(c.status().label())
                        .append("\"><td>").append(c.className() == null ? "(all)" : esc(c.className())).append("</td><td>").append(c.check())
                        .append("</td><td class=\"").append(c.status().label()).append("\">").append(c.status().label()).append("</td><td>")
                        .append(num(c.value())).append("</td><td>").append(c.baselineValue() == null ? "" : num(c.baselineValue())).append("</td><td>")
                        .append(num(c.warnAt())).append(" / ").append(num(c.failAt())).append("</td><td>").append(esc(c.reason())).append("</td></tr>\n");
            }
            html.append("</table>\n");
            sideBySide(html, spark, r, flagged);
        }
        html.append("<p>").append(r.checks().size()).append(" checks in all; every one is in comparison/ (Parquet). Heatmaps: red = evidence for ")
                .append("the class, blue = against, each scaled to ±10·(mean|R|³)^⅓.</p>\n</body></html>\n");
        return html.toString();
    }

    /** Baseline and current class-mean heatmaps of each flagged class. */
    private static void sideBySide(StringBuilder html, SparkSession spark, AuditComparison.Result r, List<Check> flagged) {
        Set<String> classes = new LinkedHashSet<>();
        for (Check c : flagged) if (c.className() != null) classes.add(c.className());
        if (classes.isEmpty()) return;
        List<Row> before = classRows(spark, r.baseline()), now = classRows(spark, r.current());
        int[] hw = geometry(spark, r.current());
        html.append("<h2>Classes that moved: mean heatmaps</h2>\n");
        for (String name : classes) {
            html.append("<section class=\"moved\" data-class=\"").append(esc(name)).append("\"><h3>").append(esc(name)).append("</h3>\n");
            figure(html, find(before, name), hw, "baseline");
            figure(html, find(now, name), hw, "current");
            html.append("</section>\n");
        }
    }

    private static void figure(StringBuilder html, Row c, int[] hw, String caption) {
        html.append("<figure>");
        if (c == null) html.append("<div>(no images of this class)</div>");
        else {
            List<Float> v = c.getList(c.fieldIndex(ClassAggregates.MEAN_HEATMAP));
            float[] h = new float[v.size()];
            for (int i = 0; i < h.length; i++) h[i] = v.get(i);
            html.append("<img alt=\"").append(caption).append(" mean heatmap\" width=\"140\" src=\"data:image/png;base64,")
                    .append(Base64.getEncoder().encodeToString(Heatmaps.png(h, hw[0], hw[1], 140))).append("\">");
        }
        html.append("<figcaption>").append(caption).append(c == null ? "" : ", " + c.getLong(c.fieldIndex(ClassAggregates.COUNT)) + " images")
                .append("</figcaption></figure>\n");
    }

    private static List<Row> classRows(SparkSession spark, String dir) {
        return spark.read().parquet(org.lrpaudit.job.AuditJob.literal(new Path(dir, "classes").toString())).collectAsList();
    }

    private static int[] geometry(SparkSession spark, String dir) {
        Row one = spark.read().parquet(org.lrpaudit.job.AuditJob.literal(new Path(dir, "images").toString()))
                .select(Columns.HEATMAP_HEIGHT, Columns.HEATMAP_WIDTH).first();
        return new int[] {one.getInt(0), one.getInt(1)};
    }

    private static Row find(List<Row> classes, String name) {
        return classes.stream().filter(c -> name.equals(c.getString(c.fieldIndex(Columns.TARGET_NAME)))).findFirst().orElse(null);
    }

    private static void row(StringBuilder html, String key, String value) {
        html.append("<tr><th>").append(esc(key)).append("</th><td>").append(esc(value)).append("</td></tr>\n");
    }

    private static String num(double v) { return String.format(Locale.ROOT, "%.3f", v); }
}
