package org.lrpaudit.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.lrpaudit.output.Columns;
import org.lrpaudit.job.LrpAudit;
import org.lrpaudit.job.SessionSettings;

/**
 * The images/ Parquet write alone, on one task: rows of the images/ schema with random 28×28 heatmaps, cached in
 * memory, written in Spark's standard three-level list layout and in the two-level layout the job uses, and in the
 * two-level layout with Parquet's default dictionary attempt on the float arrays (what {@link LrpAudit#parquetOptions}
 * turns off), alternating.
 */
final class ImagesWriteBenchmark {
    record Result(int rows, Stats threeLevel, Stats twoLevel, Stats twoLevelDictionary) {}

    Result run(int rows, int rounds) throws Exception {
        SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
        Dataset<Row> table = spark.createDataFrame(rows(rows, 28 * 28), Columns.IMAGES).coalesce(1).cache();
        table.count();
        Path out = Files.createTempDirectory("lrp-bench-write");
        List<Double> three = new ArrayList<>(), two = new ArrayList<>(), dictionary = new ArrayList<>();
        for (int round = 0; round < rounds + 1; round++) { // round 0 warms the JIT
            double a = write(spark, table, out.resolve("three-level"), false, true), b = write(spark, table, out.resolve("two-level"), true, true),
                    c = write(spark, table, out.resolve("two-level-dictionary"), true, false);
            System.err.printf(Locale.ROOT, "  images/ write round %d: three-level %.2f s, two-level %.2f s, two-level with dictionary %.2f s%n", round, a, b, c);
            if (round == 0) continue;
            three.add(a);
            two.add(b);
            dictionary.add(c);
        }
        table.unpersist();
        return new Result(rows, Stats.of(three), Stats.of(two), Stats.of(dictionary));
    }

    /** @param noFloatDictionary the job's writer options; false: Parquet's default dictionary attempt on every column */
    private static double write(SparkSession spark, Dataset<Row> table, Path dir, boolean twoLevel, boolean noFloatDictionary) {
        var layout = twoLevel ? LrpAudit.IMAGES_SESSION_SETTINGS : java.util.Map.of(Columns.LIST_LAYOUT_SETTING, "false");
        try (SessionSettings.Applied applied = SessionSettings.apply(spark, layout)) {
            long t0 = System.nanoTime();
            table.write().mode("overwrite").options(noFloatDictionary ? LrpAudit.parquetOptions() : java.util.Map.of()).parquet(dir.toString());
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (spark.read().parquet(dir.toString()).count() != table.count()) throw new IllegalStateException("rows lost in " + dir);
            return seconds;
        }
    }

    /** Rows of the images/ schema: random heatmaps (relevance values do not repeat), placeholders elsewhere. */
    private static List<Row> rows(int n, int pixels) {
        Random random = new Random(1);
        StructType schema = Columns.IMAGES;
        List<Row> rows = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Object[] v = new Object[schema.size()];
            for (int k = 0; k < v.length; k++) {
                DataType t = schema.fields()[k].dataType();
                if (t.equals(DataTypes.StringType)) v[k] = "image-" + i;
                else if (t.equals(DataTypes.IntegerType)) v[k] = i % 10;
                else if (t.equals(DataTypes.DoubleType)) v[k] = random.nextDouble();
            }
            float[] heatmap = new float[pixels];
            for (int j = 0; j < pixels; j++) heatmap[j] = (float) random.nextGaussian();
            v[schema.fieldIndex(Columns.HEATMAP)] = heatmap;
            v[schema.fieldIndex(Columns.GRID)] = new float[16];
            v[schema.fieldIndex(Columns.LOGITS)] = new float[10];
            rows.add(RowFactory.create(v));
        }
        return rows;
    }
}
