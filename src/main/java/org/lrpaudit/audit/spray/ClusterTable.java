package org.lrpaudit.audit.spray;

import java.io.Serializable;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.lrpaudit.output.Columns;
import scala.Tuple2;

/**
 * clusters/: one row per (class, cluster) with its size, the class's spectrum, the cluster's mean heatmap and its
 * mean positive-relevance map (each image's R⁺ downsampled and summing to 1, whatever the clustering normalisation:
 * findings compare where the evidence for the class lies).
 */
public final class ClusterTable {
    public static final String LABELLED = "labelled", LABEL_AGREEMENT = "label_agreement", MEAN_BORDER_SHARE = "mean_border_share",
            MEAN_ENTROPY = "mean_entropy";

    public static final StructType SCHEMA = new StructType()
            .add(Columns.TARGET, DataTypes.IntegerType, false)
            .add(Columns.TARGET_NAME, DataTypes.StringType, false)
            .add(SpectralAnalysis.CLUSTER, DataTypes.IntegerType, false)
            .add(SpectralAnalysis.SIZE, DataTypes.LongType, false)
            .add(SpectralAnalysis.SHARE, DataTypes.DoubleType, false)
            .add(SpectralAnalysis.CLUSTERS, DataTypes.IntegerType, false)
            .add(SpectralAnalysis.EIGENVALUES, DataTypes.createArrayType(DataTypes.DoubleType, false), false)
            .add(SpectralAnalysis.EIGENGAP, DataTypes.DoubleType, true)
            .add(SpectralAnalysis.STATUS, DataTypes.StringType, false)
            .add(LABELLED, DataTypes.LongType, false)
            .add(LABEL_AGREEMENT, DataTypes.DoubleType, true)
            .add(MEAN_BORDER_SHARE, DataTypes.DoubleType, false)
            .add(MEAN_ENTROPY, DataTypes.DoubleType, false)
            .add(Columns.HEATMAP_HEIGHT, DataTypes.IntegerType, false)
            .add(Columns.HEATMAP_WIDTH, DataTypes.IntegerType, false)
            .add(SpectralAnalysis.MEAN_HEATMAP, DataTypes.createArrayType(DataTypes.FloatType, false), false)
            .add(SpectralAnalysis.VECTOR_HEIGHT, DataTypes.IntegerType, false)
            .add(SpectralAnalysis.VECTOR_WIDTH, DataTypes.IntegerType, false)
            .add(SpectralAnalysis.MEAN_VECTOR, DataTypes.createArrayType(DataTypes.DoubleType, false), false);

    private ClusterTable() {}

    public static Dataset<Row> of(Dataset<Row> images, SpectralAnalysis.Result spray, SpectralAnalysis.Options o) {
        HashMap<Integer, SpectralAnalysis.ClassSpectrum> spectra = new HashMap<>();
        for (SpectralAnalysis.ClassSpectrum s : spray.spectra()) spectra.put(s.target(), s);
        Dataset<Row> joined = images.select(Columns.IMAGE_ID, Columns.LABEL, Columns.HEATMAP, Columns.HEATMAP_HEIGHT, Columns.HEATMAP_WIDTH,
                Columns.BORDER_SHARE, Columns.ENTROPY).join(spray.assignments(), Columns.IMAGE_ID);
        JavaRDD<Row> rows = joined.javaRDD()
                .mapToPair(r -> new Tuple2<>(new Tuple2<>(r.<Integer>getAs(Columns.TARGET), r.<Integer>getAs(SpectralAnalysis.CLUSTER)),
                        Sums.of(r, o)))
                .reduceByKey(Sums::plus)
                .map(t -> t._2().toRow(t._1()._1(), t._1()._2(), spectra.get(t._1()._1())));
        return images.sparkSession().createDataFrame(rows, SCHEMA);
    }

    static final class Sums implements Serializable {
        long n, labelled, agreeing;
        int height, width, vh, vw;
        double border, entropy;
        double[] heatmap, vector;

        static Sums of(Row r, SpectralAnalysis.Options o) {
            Sums s = new Sums();
            s.n = 1;
            int target = r.getAs(Columns.TARGET);
            if (!r.isNullAt(r.fieldIndex(Columns.LABEL))) {
                s.labelled = 1;
                s.agreeing = r.<Integer>getAs(Columns.LABEL) == target ? 1 : 0;
            }
            s.height = r.getAs(Columns.HEATMAP_HEIGHT);
            s.width = r.getAs(Columns.HEATMAP_WIDTH);
            List<Float> h = r.getList(r.fieldIndex(Columns.HEATMAP));
            float[] f = new float[h.size()];
            s.heatmap = new double[f.length];
            for (int i = 0; i < f.length; i++) s.heatmap[i] = f[i] = h.get(i);
            s.vector = HeatmapVectors.of(f, s.height, s.width, o.size(), HeatmapVectors.Normalisation.POSITIVE);
            int[] shape = HeatmapVectors.shape(s.height, s.width, o.size());
            s.vh = shape[0];
            s.vw = shape[1];
            s.border = r.<Double>getAs(Columns.BORDER_SHARE);
            s.entropy = r.<Double>getAs(Columns.ENTROPY);
            return s;
        }

        Sums plus(Sums o) {
            if (o.heatmap.length != heatmap.length) throw new IllegalStateException("heatmaps of one class differ in size");
            for (int i = 0; i < heatmap.length; i++) heatmap[i] += o.heatmap[i];
            for (int i = 0; i < vector.length; i++) vector[i] += o.vector[i];
            n += o.n;
            labelled += o.labelled;
            agreeing += o.agreeing;
            border += o.border;
            entropy += o.entropy;
            return this;
        }

        Row toRow(int target, int cluster, SpectralAnalysis.ClassSpectrum spectrum) {
            float[] mean = new float[heatmap.length];
            for (int i = 0; i < mean.length; i++) mean[i] = (float) (heatmap[i] / n);
            double[] v = new double[vector.length];
            for (int i = 0; i < v.length; i++) v[i] = vector[i] / n;
            return RowFactory.create(target, spectrum.targetName(), cluster, n, (double) n / spectrum.count(), spectrum.clusters(),
                    spectrum.eigenvalues(), Double.isNaN(spectrum.eigengap()) ? null : spectrum.eigengap(), spectrum.status(), labelled,
                    labelled == 0 ? null : (double) agreeing / labelled, border / n, entropy / n, height, width, mean, vh, vw, v);
        }
    }
}
