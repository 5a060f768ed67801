package org.lrpaudit.job;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.encoders.ExpressionEncoder;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import org.lrpaudit.data.ImageDecoder;
import org.lrpaudit.output.Columns;

/**
 * The pipeline for Java code that already has a SparkSession: {@link #explain} takes a Dataset of images and returns
 * one row per image — explained, or failed with its stage and reason. The command-line job is a thin layer over it.
 *
 * <pre>{@code
 * ExplainSetup setup = Requests.explainSetup(Settings.parse(new String[] {"--model", "m.onnx", "--mean", "0.5", "--std", "0.5"})); // cli.Requests
 * Dataset<Row> result = LrpAudit.explain(images, setup, LrpAudit.Options.defaults());
 * result.persist(StorageLevel.MEMORY_AND_DISK()); // two actions follow: without it each explains again
 * LrpAudit.writeImages(result, "out/images", SaveMode.ErrorIfExists);
 * LrpAudit.failures(result).write().parquet("out/errors");
 * }</pre>
 */
public final class LrpAudit {

    /**
     * @param batchSize images per engine call within a partition
     * @param grid      cells per side of the relevance-share grid statistic
     * @param maxPixels images whose header claims more pixels are refused before decoding
     */
    public record Options(int batchSize, int grid, long maxPixels) {
        public Options {
            if (batchSize < 1) throw new IllegalArgumentException("--batch-size must be at least 1, got " + batchSize);
            if (grid < 1) throw new IllegalArgumentException("--grid must be at least 1, got " + grid);
            if (maxPixels < 1) throw new IllegalArgumentException("--max-pixels must be positive, got " + maxPixels);
        }

        public static Options defaults() { return new Options(32, 4, ImageDecoder.DEFAULT_MAX_PIXELS); }
    }

    private LrpAudit() {}

    /**
     * Explains every row of {@code images}: columns {@code image_id} (string) and {@code content} (encoded image bytes)
     * are required; {@code source}, {@code label} (int), {@code label_name}, {@code raw_height}/{@code raw_width}
     * (content is raw 8-bit gray pixels) and {@code read_error} are optional (see {@link Columns#INPUT}).
     * The returned Dataset has the {@link Columns#RESULT} schema and is lazy: nothing runs until it is used.
     */
    public static Dataset<Row> explain(Dataset<Row> images, ExplainPlan setup, Options options) {
        return explain(images, setup, options, null, null);
    }

    /** @param failures if not null, also receives every errors/ row as it is made */
    static Dataset<Row> explain(Dataset<Row> images, ExplainPlan setup, Options options, LongAccumulator progress,
                                FailureCollector failures) {
        return explain(images, setup, options, progress, failures, null);
    }

    /** @param baseline if not null, inputs it already explained yield no row (see {@link Baseline}) */
    static Dataset<Row> explain(Dataset<Row> images, ExplainPlan setup, Options options, LongAccumulator progress,
                                FailureCollector failures, Baseline.Matcher baseline) {
        SparkSession spark = images.sparkSession();
        LongAccumulator counter = progress != null ? progress : spark.sparkContext().longAccumulator("lrp-audit images");
        return conform(images).mapPartitions(new PartitionExplainer(broadcast(spark, setup), PartitionExplainer.Layout.JOB,
                options.batchSize(), options.grid(), options.maxPixels(), counter, failures, baseline),
                ExpressionEncoder.apply(Columns.RESULT));
    }

    /**
     * Explains every row of {@code frame} and keeps all its columns: the result has them first, then the
     * {@link #appendedFields} (the images/ columns from {@code predicted} on, with the error columns), each name
     * prefixed. Lazy, like {@link #explain}.
     *
     * @param contentColumn encoded image bytes (binary)
     * @param labelColumn   an integer label column, or null when the plan's target does not read labels
     */
    public static Dataset<Row> appendExplanations(Dataset<Row> frame, String contentColumn, String labelColumn, ExplainPlan plan,
                                                  Options options, String prefix) {
        List<Column> cols = new ArrayList<>(List.of(col("*")));
        for (StructField f : Columns.INPUT.fields()) {
            Column c = f.name().equals(Columns.IMAGE_ID) ? lit("")
                    : f.name().equals(Columns.CONTENT) ? frame.col(quoted(contentColumn))
                    : f.name().equals(Columns.LABEL) && labelColumn != null ? frame.col(quoted(labelColumn))
                    : lit(null);
            cols.add(c.cast(f.dataType()).as("__lrp_input_" + f.name())); // read by position: the names only avoid clashes
        }
        StructType out = frame.schema();
        for (StructField f : appendedFields(prefix)) out = out.add(f);
        SparkSession spark = frame.sparkSession();
        LongAccumulator counter = spark.sparkContext().longAccumulator("lrp-audit images");
        return frame.select(cols.toArray(new Column[0])).mapPartitions(new PartitionExplainer(broadcast(spark, plan),
                PartitionExplainer.Layout.appended(frame.columns().length), options.batchSize(), options.grid(), options.maxPixels(),
                counter, null, null), ExpressionEncoder.apply(out));
    }

    /** The columns {@link #appendExplanations} adds, names prefixed: all nullable (a failed row has only the error). */
    public static List<StructField> appendedFields(String prefix) {
        List<StructField> out = new ArrayList<>();
        StructField[] result = Columns.RESULT.fields();
        for (int i = Columns.RESULT.fieldIndex(Columns.PREDICTED); i < result.length; i++) {
            out.add(new StructField(prefix + result[i].name(), result[i].dataType(), true, result[i].metadata()));
        }
        return out;
    }

    private static String quoted(String column) { return "`" + column.replace("`", "``") + "`"; }

    private static Broadcast<ExplainPlan> broadcast(SparkSession spark, ExplainPlan plan) {
        return spark.sparkContext().broadcast(plan, scala.reflect.ClassTag$.MODULE$.apply(ExplainPlan.class));
    }

    /**
     * Session settings for the images/ write: lists in Parquet's two-level layout ({@code repeated float array}), as
     * Spark's legacy writer makes them. Spark's standard three-level layout costs a group start, a field start and
     * their ends per element; on 784-value heatmaps the two-level write took 48 µs per row against 77 µs
     * ({@code scripts/benchmark write}). The Parquet format's backward-compatibility rules for lists oblige readers to
     * take both layouts as {@code array<float>} (ImagesLayoutTest reads it with Spark and with parquet-mr's record
     * reader); of the other types this setting changes, images/ has no decimal and one map, {@code concepts} (null unless
     * --concept-layers), written in the legacy MAP_KEY_VALUE layout that the same rules oblige readers to accept.
     */
    public static final Map<String, String> IMAGES_SESSION_SETTINGS = Map.of(Columns.LIST_LAYOUT_SETTING, "true");

    /**
     * Parquet writer options for images/: the float-array columns (heatmap, grid, logits) are written without dictionary
     * encoding. Relevance values almost never repeat, so Parquet's default dictionary attempt builds a hash map of every
     * value of a page and then falls back to plain encoding anyway: the write is 1.08× faster without it on 28×28
     * heatmaps (scripts/benchmark write), for byte-identical file sizes. Keys for both list layouts (see {@link #IMAGES_SESSION_SETTINGS}).
     */
    public static Map<String, String> parquetOptions() {
        Map<String, String> options = new LinkedHashMap<>();
        for (String column : List.of(Columns.HEATMAP, Columns.GRID, Columns.LOGITS)) {
            options.put("parquet.enable.dictionary#" + column + ".array", "false"); // two-level list layout
            options.put("parquet.enable.dictionary#" + column + ".list.element", "false"); // three-level (Spark's default)
        }
        return options;
    }

    /**
     * Writes the explained rows of {@code result} as images/ Parquet, with {@link #IMAGES_SESSION_SETTINGS} held for
     * the write (unless the session sets them) and {@link #parquetOptions()}.
     */
    public static void writeImages(Dataset<Row> result, String path, SaveMode mode) { writeImageRows(explained(result), path, mode); }

    /** Writes rows that already have the images/ columns (e.g. copied from an earlier run) as {@link #writeImages} does. */
    static void writeImageRows(Dataset<Row> images, String path, SaveMode mode) {
        try (SessionSettings.Applied layout = SessionSettings.apply(images.sparkSession(), IMAGES_SESSION_SETTINGS)) {
            images.write().mode(mode).options(parquetOptions()).parquet(path);
        }
    }

    /** images/ rows of an explain result. */
    public static Dataset<Row> explained(Dataset<Row> result) {
        Column[] cols = Arrays.stream(Columns.IMAGES.fieldNames()).map(org.apache.spark.sql.functions::col).toArray(Column[]::new);
        return result.filter(col(Columns.ERROR_STAGE).isNull()).select(cols);
    }

    /** errors/ rows of an explain result. */
    public static Dataset<Row> failures(Dataset<Row> result) {
        return result.filter(col(Columns.ERROR_STAGE).isNotNull())
                .select(col(Columns.IMAGE_ID), col(Columns.SOURCE), col(Columns.ERROR_STAGE).as(Columns.STAGE), col(Columns.ERROR));
    }

    /** Brings a user's Dataset to the input schema: required columns checked, optional ones added as nulls. */
    static Dataset<Row> conform(Dataset<Row> images) {
        List<String> present = Arrays.asList(images.columns());
        for (String required : List.of(Columns.IMAGE_ID, Columns.CONTENT)) {
            if (!present.contains(required)) {
                throw new IllegalArgumentException("images Dataset has no '" + required + "' column (columns: " + present + ")");
            }
        }
        List<Column> cols = new ArrayList<>();
        for (StructField f : Columns.INPUT.fields()) {
            Column c = present.contains(f.name()) ? col(f.name()) : lit(null);
            cols.add(c.cast(f.dataType()).as(f.name()));
        }
        return images.select(cols.toArray(new Column[0]));
    }
}
