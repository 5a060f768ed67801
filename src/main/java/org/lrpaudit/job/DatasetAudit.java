package org.lrpaudit.job;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.lrpaudit.audit.ClassAggregates;
import org.lrpaudit.audit.spray.ClusterTable;
import org.lrpaudit.audit.spray.HeatmapVectors;
import org.lrpaudit.audit.spray.SpectralAnalysis;
import org.lrpaudit.cli.Settings;
import org.lrpaudit.cli.Settings.Key;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The dataset-level audit after images/ and classes/ are written: SpRAy per class → clusters/ and image_clusters/. */
final class DatasetAudit {
    private static final Logger log = LoggerFactory.getLogger(DatasetAudit.class);

    /** What the audit wrote; clusters is empty when SpRAy is off. */
    record Outcome(List<Row> clusters, List<SpectralAnalysis.ClassSpectrum> spectra) {}

    private DatasetAudit() {}

    static SpectralAnalysis.Options options(Settings s) {
        SpectralAnalysis.Options d = SpectralAnalysis.Options.defaults();
        return new SpectralAnalysis.Options(s.intValue(Key.SPRAY_SIZE, d.size()),
                s.has(Key.SPRAY_NORMALISATION) ? HeatmapVectors.Normalisation.parse(s.get(Key.SPRAY_NORMALISATION)) : d.normalisation(),
                s.intValue(Key.SPRAY_NEIGHBOURS, d.neighbours()), s.intValue(Key.SPRAY_MAX_CLUSTERS, d.maxClusters()), d.minClassSize(),
                s.intValue(Key.SPRAY_CELL_SIZE, d.cellSize()), d.probes(), d.parallelism(), d.seed());
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
        return new Outcome(clusterRows, spray.spectra());
    }
}
