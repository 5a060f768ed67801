package org.lrpaudit.output;

import static org.apache.spark.sql.types.DataTypes.DoubleType;
import static org.apache.spark.sql.types.DataTypes.IntegerType;
import static org.apache.spark.sql.types.DataTypes.LongType;
import static org.apache.spark.sql.types.DataTypes.StringType;
import static org.apache.spark.sql.types.DataTypes.createStructField;

import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** The concept tables written with --concept-layers (docs/concepts.md): concepts/ and concept_references/. */
public final class ConceptColumns {
    private ConceptColumns() {}

    public static final String CONCEPTS_DIR = "concepts", REFERENCES_DIR = "concept_references";

    public static final String CLUSTER = "cluster", LAYER = "layer", CHANNEL = "channel", IMAGES = "images", SHARE = "share",
            CLASS_SHARE = "class_share", LIFT = "lift", RANK = "rank", IMAGE_TARGET = "image_target";

    /**
     * concepts/: per (class, cluster, layer) a channel's mean share of the images' positive relevance at that layer.
     * cluster null: the class's own profile (share = class_share, lift 1). lift = share / class_share (null where the
     * class gives the channel nothing). Which channels are kept: see ConceptAudit.
     */
    public static final StructType CONCEPTS = new StructType(new StructField[] {
            createStructField(Columns.TARGET, IntegerType, false),
            createStructField(Columns.TARGET_NAME, StringType, false),
            createStructField(CLUSTER, IntegerType, true),
            createStructField(LAYER, StringType, false),
            createStructField(CHANNEL, IntegerType, false),
            createStructField(IMAGES, LongType, false),
            createStructField(SHARE, DoubleType, false),
            createStructField(CLASS_SHARE, DoubleType, false),
            createStructField(LIFT, DoubleType, true)});

    /**
     * concept_references/: per (scope, layer, channel) the k images in which the channel takes the largest share of the
     * layer's positive relevance, rank 1 first (ties: smaller image_id). target null: over all images; otherwise among
     * the images explained for that class. share: the channel's R⁺ over the layer's Σ R⁺ in that image.
     */
    public static final StructType REFERENCES = new StructType(new StructField[] {
            createStructField(Columns.TARGET, IntegerType, true),
            createStructField(Columns.TARGET_NAME, StringType, true),
            createStructField(LAYER, StringType, false),
            createStructField(CHANNEL, IntegerType, false),
            createStructField(RANK, IntegerType, false),
            createStructField(Columns.IMAGE_ID, StringType, false),
            createStructField(IMAGE_TARGET, IntegerType, false),
            createStructField(SHARE, DoubleType, false)});
}
