package org.lrpaudit.audit;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.lrpaudit.output.Columns;
import scala.Tuple2;

/**
 * classes/: per target class, the count, accuracy where labels are known, the means of the per-image statistics,
 * the spread of Σ relevance, and the element-wise mean heatmap, mean |heatmap| and mean grid shares. One pass, one
 * shuffle: each partition adds its images into one running sum per class, so no heatmap reaches the driver.
 */
public final class ClassAggregates {
    private ClassAggregates() {}

    public static final String COUNT = "count", LABELLED = "labelled", ACCURACY = "accuracy", MEAN_HEATMAP = "mean_heatmap",
            MEAN_ABS_HEATMAP = "mean_abs_heatmap", MEAN_GRID = "mean_grid", RELEVANCE_SUM_STD = "relevance_sum_std";

    public static final StructType SCHEMA = schema();

    private static StructType schema() {
        StructType s = new StructType()
                .add(Columns.TARGET, DataTypes.IntegerType, false)
                .add(Columns.TARGET_NAME, DataTypes.StringType, false)
                .add(COUNT, DataTypes.LongType, false)
                .add(LABELLED, DataTypes.LongType, false)
                .add(ACCURACY, DataTypes.DoubleType, true);
        for (String stat : Columns.STATISTICS) s = s.add("mean_" + stat, DataTypes.DoubleType, true);
        return s.add(RELEVANCE_SUM_STD, DataTypes.DoubleType, true)
                .add(MEAN_HEATMAP, DataTypes.createArrayType(DataTypes.FloatType, false), false)
                .add(MEAN_ABS_HEATMAP, DataTypes.createArrayType(DataTypes.FloatType, false), false)
                .add(MEAN_GRID, DataTypes.createArrayType(DataTypes.FloatType, false), false);
    }

    public static Dataset<Row> of(Dataset<Row> images) {
        List<Column> cols = new ArrayList<>(List.of(functions.col(Columns.TARGET), functions.col(Columns.TARGET_NAME),
                functions.col(Columns.LABEL), functions.col(Columns.PREDICTED), functions.col(Columns.HEATMAP), functions.col(Columns.GRID)));
        for (String stat : Columns.STATISTICS) cols.add(functions.col(stat).cast("double"));
        // Spark's internal rows, not Rows or beans: read back from Parquet the arrays may hold nulls, so both external
        // forms box every float of every heatmap; UnsafeArrayData.toFloatArray is one copy (the job never writes nulls)
        JavaRDD<Row> rows = images.select(cols.toArray(new Column[0])).queryExecution().toRdd().toJavaRDD()
                .mapPartitionsToPair(ClassAggregates::partitionSums)
                .reduceByKey(ClassSums::plus)
                .map(t -> t._2().toRow(t._1()));
        return images.sparkSession().createDataFrame(rows, SCHEMA);
    }

    /** One partition's sums per class, added in place. */
    private static Iterator<Tuple2<Integer, ClassSums>> partitionSums(Iterator<InternalRow> images) {
        Map<Integer, ClassSums> sums = new HashMap<>();
        while (images.hasNext()) {
            InternalRow image = images.next();
            sums.computeIfAbsent(image.getInt(TARGET), t -> new ClassSums(image)).add(image);
        }
        return sums.entrySet().stream().map(e -> new Tuple2<>(e.getKey(), e.getValue())).iterator();
    }

    // ordinals of the select in of()
    private static final int TARGET = 0, TARGET_NAME = 1, LABEL = 2, PREDICTED = 3, HEATMAP = 4, GRID = 5, STATISTICS = 6;

    /** Running sums for one class; merged pairwise, with Chan's update for the variance of Σ relevance. */
    static final class ClassSums implements Serializable {
        private static final int RELEVANCE_SUM = Columns.STATISTICS.indexOf(Columns.RELEVANCE_SUM);
        final String name;
        long n, labelled, correct;
        final double[] statSum = new double[Columns.STATISTICS.size()];
        final long[] statCount = new long[Columns.STATISTICS.size()];
        double rsMean, rsM2; // Σ relevance: mean and sum of squared deviations
        final double[] heatmap, abs, grid;

        ClassSums(InternalRow first) {
            name = first.getUTF8String(TARGET_NAME).toString();
            heatmap = new double[first.getArray(HEATMAP).numElements()];
            abs = new double[heatmap.length];
            grid = new double[first.getArray(GRID).numElements()];
        }

        /** Adds one image (Welford's update for the variance). */
        ClassSums add(InternalRow r) {
            float[] h = r.getArray(HEATMAP).toFloatArray(), g = r.getArray(GRID).toFloatArray();
            if (h.length != heatmap.length) throw new IllegalStateException("heatmaps of class " + name + " differ in size");
            for (int i = 0; i < h.length; i++) {
                heatmap[i] += h[i];
                abs[i] += Math.abs(h[i]);
            }
            for (int i = 0; i < g.length; i++) grid[i] += g[i];
            for (int k = 0; k < statSum.length; k++) {
                if (!r.isNullAt(STATISTICS + k)) {
                    statSum[k] += r.getDouble(STATISTICS + k);
                    statCount[k]++;
                }
            }
            n++;
            double x = r.getDouble(STATISTICS + RELEVANCE_SUM), delta = x - rsMean;
            rsMean += delta / n;
            rsM2 += delta * (x - rsMean);
            if (!r.isNullAt(LABEL)) {
                labelled++;
                if (r.getInt(LABEL) == r.getInt(PREDICTED)) correct++;
            }
            return this;
        }

        ClassSums plus(ClassSums o) {
            if (o.heatmap.length != heatmap.length) throw new IllegalStateException("heatmaps of class " + name + " differ in size");
            for (int i = 0; i < heatmap.length; i++) { heatmap[i] += o.heatmap[i]; abs[i] += o.abs[i]; }
            for (int i = 0; i < grid.length; i++) grid[i] += o.grid[i];
            for (int k = 0; k < statSum.length; k++) { statSum[k] += o.statSum[k]; statCount[k] += o.statCount[k]; }
            long total = n + o.n;
            double delta = o.rsMean - rsMean;
            rsM2 += o.rsM2 + delta * delta * n * o.n / total;
            rsMean += delta * o.n / total;
            n = total;
            labelled += o.labelled;
            correct += o.correct;
            return this;
        }

        Row toRow(int target) {
            Object[] v = new Object[SCHEMA.size()];
            int i = 0;
            v[i++] = target;
            v[i++] = name;
            v[i++] = n;
            v[i++] = labelled;
            v[i++] = labelled == 0 ? null : (double) correct / labelled;
            for (int k = 0; k < statSum.length; k++) v[i++] = statCount[k] == 0 ? null : statSum[k] / statCount[k];
            v[i++] = n < 2 ? null : Math.sqrt(rsM2 / (n - 1));
            v[i++] = mean(heatmap);
            v[i++] = mean(abs);
            v[i] = mean(grid);
            return RowFactory.create(v);
        }

        private float[] mean(double[] sum) {
            float[] out = new float[sum.length];
            for (int k = 0; k < out.length; k++) out[k] = (float) (sum[k] / n);
            return out;
        }
    }
}
