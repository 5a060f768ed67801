package org.lrpaudit.compare;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.lrpaudit.job.AuditJob;
import org.lrpaudit.output.Columns;

/**
 * One audit's output folder (any Hadoop path) read back for a comparison: its manifest, classes/, and — when the run
 * had SpRAy on — clusters/ and findings/; images/ stays a lazy Dataset.
 */
record AuditOutput(String path, JsonNode manifest, List<Row> classes, List<Row> clusters, List<Row> findings, Dataset<Row> images) {

    /** Reads an audit's outputs; a folder that is not a finished audit is an error naming what is missing. */
    static AuditOutput read(SparkSession spark, String path, String role) {
        Path dir = new Path(path);
        try {
            FileSystem fs = dir.getFileSystem(spark.sparkContext().hadoopConfiguration());
            Path manifestFile = new Path(dir, "_manifest.json");
            if (!fs.exists(manifestFile)) {
                throw new IllegalArgumentException("--" + role + " " + path + " is not a finished lrp-audit output (no _manifest.json): give the "
                        + "--output folder of a completed run");
            }
            JsonNode manifest;
            try (InputStream in = fs.open(manifestFile)) {
                manifest = new ObjectMapper().readTree(in);
            }
            for (String table : List.of("images", "classes")) {
                if (!fs.exists(new Path(dir, table))) throw new IllegalArgumentException("--" + role + " " + path + " has no " + table + "/ table");
            }
            boolean spray = fs.exists(new Path(dir, "clusters")) && fs.exists(new Path(dir, "findings"));
            List<Row> classes = spark.read().parquet(table(dir, "classes")).orderBy(Columns.TARGET).collectAsList();
            List<Row> clusters = spray ? spark.read().parquet(table(dir, "clusters")).orderBy(Columns.TARGET, "cluster").collectAsList() : null;
            List<Row> findings = spray ? spark.read().parquet(table(dir, "findings")).orderBy("rank").collectAsList() : null;
            return new AuditOutput(path, manifest, classes, clusters, findings, spark.read().parquet(table(dir, "images")));
        } catch (IOException e) {
            throw new IllegalArgumentException("--" + role + " " + path + " cannot be read: " + e.getMessage());
        }
    }

    /** A manifest value by JSON pointer, as text ("" if absent). */
    String text(String pointer) {
        JsonNode n = manifest.at(pointer);
        return n.isMissingNode() || n.isNull() ? "" : n.isValueNode() ? n.asText() : n.toString();
    }

    String runId() { return text("/run_id"); }

    boolean hasSpray() { return clusters != null; }

    boolean hasColumn(String column) { return List.of(images.columns()).contains(column); }

    private static String table(Path dir, String name) { return AuditJob.literal(new Path(dir, name).toString()); }
}
