package org.lrpaudit.output;

import static org.apache.spark.sql.types.DataTypes.DoubleType;
import static org.apache.spark.sql.types.DataTypes.IntegerType;
import static org.apache.spark.sql.types.DataTypes.StringType;
import static org.apache.spark.sql.types.DataTypes.createStructField;

import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** image_clusters/: one row per explained image, its SpRAy cluster and where it lies in its class's spectral embedding. */
public final class ImageClusters {
    private ImageClusters() {}

    /**
     * {@code embedding_x}, {@code embedding_y}: the image's components in the eigenvectors of the 2nd and 3rd smallest
     * eigenvalues of its class's normalised Laplacian (the first non-trivial ones), divided by the square root of its
     * degree in the kNN graph: a 2-D view of the embedding the clusters were found in. Null for a class too small to
     * analyse.
     */
    public static final String CLUSTER = "cluster", EMBEDDING_X = "embedding_x", EMBEDDING_Y = "embedding_y";

    public static final StructType SCHEMA = new StructType(new StructField[] {
            createStructField(Columns.IMAGE_ID, StringType, false),
            createStructField(Columns.TARGET, IntegerType, false),
            createStructField(CLUSTER, IntegerType, false),
            createStructField(EMBEDDING_X, DoubleType, true),
            createStructField(EMBEDDING_Y, DoubleType, true)});
}
