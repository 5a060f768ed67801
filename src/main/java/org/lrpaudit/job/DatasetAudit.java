package org.lrpaudit.job;

import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.sql.functions;
import org.lrpaudit.audit.ClassAggregates;
import org.lrpaudit.audit.Findings;
import org.lrpaudit.audit.spray.ClusterTable;
import org.lrpaudit.audit.spray.SpectralAnalysis;
import org.lrpaudit.data.InputImages;
import org.lrpaudit.output.Columns;
import org.lrpaudit.output.ImageClusters;
import org.lrpaudit.render.Report;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The dataset-level audit after images/ and classes/ are written: SpRAy per class → clusters/ and image_clusters/. */
final class DatasetAudit {
    private static final Logger log = LoggerFactory.getLogger(DatasetAudit.class);

    /** What the audit wrote; clusters is empty when SpRAy is off. */
    record Outcome(List<Row> clusters, List<SpectralAnalysis.ClassSpectrum> spectra, List<Findings.Finding> findings) {}

    private DatasetAudit() {}

    /**
     * Up to {@code perCluster} member heatmaps of every cluster (deterministic: the smallest hashes of image_id),
     * streamed to the driver one partition at a time for the report's galleries.
     */
    static Iterator<Report.Member> members(Dataset<Row> images, String output, int perCluster) {
        if (perCluster <= 0) return Collections.emptyIterator();
        SparkSession spark = images.sparkSession();
        Dataset<Row> assigned = spark.read().parquet(AuditJob.literal(AuditJob.child(output, "image_clusters")));
        WindowSpec w = Window.partitionBy(Columns.TARGET, SpectralAnalysis.CLUSTER).orderBy(functions.xxhash64(functions.col(Columns.IMAGE_ID)),
                functions.col(Columns.IMAGE_ID));
        Dataset<Row> sample = assigned.withColumn("n", functions.row_number().over(w)).filter(functions.col("n").leq(perCluster))
                .join(images.select(Columns.IMAGE_ID, Columns.SOURCE, Columns.LABEL_NAME, Columns.PREDICTED_NAME, Columns.HEATMAP, Columns.HEATMAP_HEIGHT,
                        Columns.HEATMAP_WIDTH), Columns.IMAGE_ID)
                .orderBy(Columns.TARGET, SpectralAnalysis.CLUSTER, "n");
        Iterator<Row> rows = sample.toLocalIterator();
        return new Iterator<>() {
            @Override public boolean hasNext() { return rows.hasNext(); }

            @Override public Report.Member next() {
                Row r = rows.next();
                List<Float> h = r.getList(r.fieldIndex(Columns.HEATMAP));
                float[] heatmap = new float[h.size()];
                for (int i = 0; i < heatmap.length; i++) heatmap[i] = h.get(i);
                return new Report.Member(r.getAs(Columns.IMAGE_ID), r.getAs(Columns.SOURCE), r.<Integer>getAs(Columns.TARGET), r.<Integer>getAs(SpectralAnalysis.CLUSTER),
                        r.getAs(Columns.LABEL_NAME), r.getAs(Columns.PREDICTED_NAME), heatmap, r.<Integer>getAs(Columns.HEATMAP_HEIGHT),
                        r.<Integer>getAs(Columns.HEATMAP_WIDTH));
            }
        };
    }

    /**
     * What the report samples: {@link #members} and, per class, up to {@code Report.pointsPerClass} images of
     * image_clusters/ with their embedding coordinates (the same deterministic choice by hash of image_id).
     */
    static Report.Samples samples(Dataset<Row> images, String output, int perCluster, int classes, InputImages inputs) {
        Dataset<Row> assigned = images.sparkSession().read().parquet(AuditJob.literal(AuditJob.child(output, "image_clusters")))
                .filter(functions.col(ImageClusters.EMBEDDING_X).isNotNull().and(functions.col(ImageClusters.EMBEDDING_Y).isNotNull()));
        WindowSpec w = Window.partitionBy(Columns.TARGET).orderBy(functions.xxhash64(functions.col(Columns.IMAGE_ID)), functions.col(Columns.IMAGE_ID));
        List<Report.Point> points = assigned.withColumn("n", functions.row_number().over(w)).filter(functions.col("n").leq(Report.pointsPerClass(classes)))
                .select(Columns.IMAGE_ID, Columns.TARGET, ImageClusters.CLUSTER, ImageClusters.EMBEDDING_X, ImageClusters.EMBEDDING_Y)
                .collectAsList().stream()
                .map(r -> new Report.Point(r.getString(0), r.getInt(1), r.getInt(2), r.getDouble(3), r.getDouble(4))).toList();
        return new Report.Samples(members(images, output, perCluster), points, inputs);
    }

    static Outcome run(SparkSession spark, Dataset<Row> images, List<Row> classes, SpectralAnalysis.Options o, String output) {
        Map<Integer, Long> counts = new HashMap<>();
        Map<Integer, String> names = new HashMap<>();
        for (Row c : classes) {
            int t = c.getInt(c.fieldIndex(Columns.TARGET));
            counts.put(t, c.getLong(c.fieldIndex(ClassAggregates.COUNT)));
            names.put(t, c.getString(c.fieldIndex(Columns.TARGET_NAME)));
        }
        long t0 = System.nanoTime();
        SpectralAnalysis.Result spray = SpectralAnalysis.run(spark, images, counts, names, o);
        String members = AuditJob.child(output, "image_clusters"), clusters = AuditJob.child(output, "clusters");
        spray.assignments().write().mode(SaveMode.Overwrite).parquet(members);
        Dataset<Row> assigned = spark.read().parquet(AuditJob.literal(members));
        ClusterTable.of(images, new SpectralAnalysis.Result(assigned, spray.spectra()), o).coalesce(1).write().mode(SaveMode.Overwrite)
                .parquet(clusters);
        List<Row> clusterRows = spark.read().parquet(AuditJob.literal(clusters)).orderBy(Columns.TARGET, SpectralAnalysis.CLUSTER).collectAsList();
        log.info(String.format("SpRAy: %d classes, %d clusters in %.1f s", spray.spectra().size(), clusterRows.size(), (System.nanoTime() - t0) / 1e9));
        for (Findings.Finding f : Findings.candidates(classes, clusterRows)) log.debug("candidate: {} {}", String.format("%.3f", f.score()), f.reason());
        List<Findings.Finding> findings = Findings.of(classes, clusterRows);
        spark.createDataFrame(Findings.rows(findings), Findings.SCHEMA).coalesce(1).write().mode(SaveMode.Overwrite)
                .parquet(AuditJob.child(output, "findings"));
        return new Outcome(clusterRows, spray.spectra(), findings);
    }
}
