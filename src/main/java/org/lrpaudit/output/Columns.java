package org.lrpaudit.output;

import static org.apache.spark.sql.types.DataTypes.BinaryType;
import static org.apache.spark.sql.types.DataTypes.DoubleType;
import static org.apache.spark.sql.types.DataTypes.FloatType;
import static org.apache.spark.sql.types.DataTypes.IntegerType;
import static org.apache.spark.sql.types.DataTypes.StringType;
import static org.apache.spark.sql.types.DataTypes.createArrayType;
import static org.apache.spark.sql.types.DataTypes.createMapType;
import static org.apache.spark.sql.types.DataTypes.createStructField;

import java.util.List;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The schemas the job reads and writes. Column names are the contract with users' downstream jobs:
 * extend, never rename.
 */
public final class Columns {
    private Columns() {}

    // ---- input rows: one per image, from any source
    public static final String IMAGE_ID = "image_id", SOURCE = "source", CONTENT = "content", LABEL = "label",
            LABEL_NAME = "label_name", RAW_HEIGHT = "raw_height", RAW_WIDTH = "raw_width", READ_ERROR = "read_error";

    /**
     * Input: {@code content} holds encoded image bytes (PNG, JPEG, ...), or raw 8-bit gray pixels when
     * {@code raw_height} and {@code raw_width} are set (IDX files). {@code read_error} marks an input that failed
     * before decoding (e.g. a label folder not in the class list); it is reported, not explained.
     */
    public static final StructType INPUT = new StructType(new StructField[] {
            createStructField(IMAGE_ID, StringType, false),
            createStructField(SOURCE, StringType, true),
            createStructField(CONTENT, BinaryType, true),
            createStructField(LABEL, IntegerType, true),
            createStructField(LABEL_NAME, StringType, true),
            createStructField(RAW_HEIGHT, IntegerType, true),
            createStructField(RAW_WIDTH, IntegerType, true),
            createStructField(READ_ERROR, StringType, true)});

    // ---- explained rows
    public static final String PREDICTED = "predicted", PREDICTED_NAME = "predicted_name", TARGET = "target",
            TARGET_NAME = "target_name", TARGET_LOGIT = "target_logit", PROBABILITY = "probability",
            TARGET_PROBABILITY = "target_probability", RELEVANCE_SUM = "relevance_sum", ABSORBED_SHARE = "absorbed_share",
            HEATMAP_HEIGHT = "heatmap_height", HEATMAP_WIDTH = "heatmap_width", HEATMAP = "heatmap",
            POSITIVE_SUM = "positive_sum", NEGATIVE_SUM = "negative_sum", MAX_ABS = "max_abs", CENTROID_X = "centroid_x",
            CENTROID_Y = "centroid_y", ENTROPY = "entropy", BORDER_SHARE = "border_share", GRID_SIZE = "grid_size",
            GRID = "grid", LOGITS = "logits", CONTENT_SHA256 = "content_sha256", CONCEPTS = "concepts", ERROR_STAGE = "error_stage", ERROR = "error", STAGE = "stage";

    /** Spark's setting for how array columns are laid out in Parquet ("true": two-level lists; see LrpAudit). */
    public static final String LIST_LAYOUT_SETTING = "spark.sql.parquet.writeLegacyFormat";

    /** The statistics columns that classes/ averages per class. */
    public static final List<String> STATISTICS = List.of(RELEVANCE_SUM, ABSORBED_SHARE, POSITIVE_SUM, NEGATIVE_SUM, MAX_ABS,
            CENTROID_X, CENTROID_Y, ENTROPY, BORDER_SHARE, TARGET_LOGIT, PROBABILITY);

    /** images/ concepts: layer name → the relevance at that layer's output summed per channel (--concept-layers). */
    public static final org.apache.spark.sql.types.DataType CONCEPTS_TYPE = createMapType(StringType, createArrayType(FloatType, false), false);

    /**
     * images/: one row per explained image. {@code content_sha256} is the hex SHA-256 of the input's {@code content} as
     * read (file bytes, or the raw pixel slice of an IDX image): what --baseline compares to tell an unchanged image.
     * {@code concepts} is null unless the run had --concept-layers; images/ written before it existed have no such column.
     */
    public static final StructType IMAGES = new StructType(new StructField[] {
            createStructField(IMAGE_ID, StringType, false),
            createStructField(SOURCE, StringType, true),
            createStructField(LABEL, IntegerType, true),
            createStructField(LABEL_NAME, StringType, true),
            createStructField(PREDICTED, IntegerType, false),
            createStructField(PREDICTED_NAME, StringType, false),
            createStructField(TARGET, IntegerType, false),
            createStructField(TARGET_NAME, StringType, false),
            createStructField(TARGET_LOGIT, DoubleType, false),
            createStructField(PROBABILITY, DoubleType, false),
            createStructField(TARGET_PROBABILITY, DoubleType, false),
            createStructField(RELEVANCE_SUM, DoubleType, false),
            createStructField(ABSORBED_SHARE, DoubleType, false),
            createStructField(HEATMAP_HEIGHT, IntegerType, false),
            createStructField(HEATMAP_WIDTH, IntegerType, false),
            createStructField(HEATMAP, createArrayType(FloatType, false), false),
            createStructField(POSITIVE_SUM, DoubleType, false),
            createStructField(NEGATIVE_SUM, DoubleType, false),
            createStructField(MAX_ABS, DoubleType, false),
            createStructField(CENTROID_X, DoubleType, true),
            createStructField(CENTROID_Y, DoubleType, true),
            createStructField(ENTROPY, DoubleType, false),
            createStructField(BORDER_SHARE, DoubleType, false),
            createStructField(GRID_SIZE, IntegerType, false),
            createStructField(GRID, createArrayType(FloatType, false), false),
            createStructField(LOGITS, createArrayType(FloatType, false), false),
            createStructField(CONTENT_SHA256, StringType, false),
            createStructField(CONCEPTS, CONCEPTS_TYPE, true)});

    /** What the explain step returns: images/ columns (nullable) plus the failure, if any. */
    public static final StructType RESULT = withErrors(IMAGES);

    /** errors/: one row per input that failed. */
    public static final StructType ERRORS = new StructType(new StructField[] {
            createStructField(IMAGE_ID, StringType, false),
            createStructField(SOURCE, StringType, true),
            createStructField(STAGE, StringType, false),
            createStructField(ERROR, StringType, false)});

    private static StructType withErrors(StructType images) {
        StructType out = new StructType();
        for (StructField f : images.fields()) out = out.add(f.name(), f.dataType(), !f.name().equals(IMAGE_ID));
        return out.add(ERROR_STAGE, StringType, true).add(ERROR, StringType, true);
    }
}
