package org.lrpaudit.output;

import static org.apache.spark.sql.types.DataTypes.DoubleType;
import static org.apache.spark.sql.types.DataTypes.IntegerType;
import static org.apache.spark.sql.types.DataTypes.LongType;
import static org.apache.spark.sql.types.DataTypes.StringType;
import static org.apache.spark.sql.types.DataTypes.createArrayType;
import static org.apache.spark.sql.types.DataTypes.createStructField;

import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The faithfulness/ tables ({@code --faithfulness}): {@code faithfulness/curves} (one row per class, composite,
 * removal order and step: the mean target logit of the sampled images) and {@code faithfulness/summary} (one row per
 * class and composite: AOPC of each order and the symmetric relevance gain, with the random order's as the floor).
 */
public final class FaithfulnessColumns {
    private FaithfulnessColumns() {}

    /** The folder under --output, and its two tables. */
    public static final String DIR = "faithfulness", CURVES = "curves", SUMMARY = "summary";

    public static final String COMPOSITE = "composite", ORDER = "order", STEP = "step", REMOVED_SHARE = "removed_share",
            MEAN_LOGIT = "mean_logit", IMAGES = "images", CURVE = "curve", LOGIT_UNPERTURBED = "logit_unperturbed",
            LOGIT_BASELINE = "logit_baseline", AOPC_MORF = "aopc_morf", AOPC_LERF = "aopc_lerf", SRG = "srg",
            AOPC_RANDOM = "aopc_random", SRG_RANDOM = "srg_random", SRG_NORMALISED = "srg_normalised",
            SRG_RANDOM_NORMALISED = "srg_random_normalised";

    /** Executor output, one row per sampled image, composite and order: its target logit at steps 0..L. */
    public static final StructType PER_IMAGE = new StructType(new StructField[] {
            createStructField(Columns.TARGET, IntegerType, false),
            createStructField(COMPOSITE, StringType, false),
            createStructField(ORDER, StringType, false),
            createStructField(CURVE, createArrayType(DoubleType, false), false)});

    /** faithfulness/curves. The random orders do not depend on the composite: their rows name the run's composite. */
    public static final StructType CURVES_SCHEMA = new StructType(new StructField[] {
            createStructField(Columns.TARGET, IntegerType, false),
            createStructField(Columns.TARGET_NAME, StringType, false),
            createStructField(COMPOSITE, StringType, false),
            createStructField(ORDER, StringType, false),
            createStructField(STEP, IntegerType, false),
            createStructField(REMOVED_SHARE, DoubleType, false),
            createStructField(MEAN_LOGIT, DoubleType, false),
            createStructField(IMAGES, LongType, false)});

    /** faithfulness/summary: one row per class and composite. */
    public static final StructType SUMMARY_SCHEMA = new StructType(new StructField[] {
            createStructField(Columns.TARGET, IntegerType, false),
            createStructField(Columns.TARGET_NAME, StringType, false),
            createStructField(COMPOSITE, StringType, false),
            createStructField(IMAGES, LongType, false),
            createStructField(LOGIT_UNPERTURBED, DoubleType, false),
            createStructField(LOGIT_BASELINE, DoubleType, false),
            createStructField(AOPC_MORF, DoubleType, false),
            createStructField(AOPC_LERF, DoubleType, false),
            createStructField(SRG, DoubleType, false),
            createStructField(AOPC_RANDOM, DoubleType, false),
            createStructField(SRG_RANDOM, DoubleType, false),
            createStructField(SRG_NORMALISED, DoubleType, true),
            createStructField(SRG_RANDOM_NORMALISED, DoubleType, true)});
}
