package org.lrpaudit.audit;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.stddev_samp;
import static org.apache.spark.sql.functions.when;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.lrpaudit.job.Columns;
import scala.Tuple2;

/**
 * classes/: per target class, the count, accuracy where labels are known, the mean heatmap, mean |heatmap| and mean
 * grid shares (element-wise sums combined map-side, so no heatmap reaches the driver), the means of the per-image
 * statistics and the spread of Σ relevance.
 */
public final class ClassAggregates {
    private ClassAggregates() {}

    public static final String COUNT = "count", LABELLED = "labelled", ACCURACY = "accuracy", MEAN_HEATMAP = "mean_heatmap",
            MEAN_ABS_HEATMAP = "mean_abs_heatmap", MEAN_GRID = "mean_grid", RELEVANCE_SUM_STD = "relevance_sum_std";

    public static Dataset<Row> of(Dataset<Row> images) {
        List<Column> aggs = new ArrayList<>();
        aggs.add(first(Columns.TARGET_NAME).as(Columns.TARGET_NAME));
        aggs.add(count("*").as(COUNT));
        aggs.add(count(Columns.LABEL).as(LABELLED));
        aggs.add(avg(when(col(Columns.LABEL).isNull(), null)
                .otherwise(when(col(Columns.PREDICTED).equalTo(col(Columns.LABEL)), 1.0).otherwise(0.0))).as(ACCURACY));
        for (String stat : Columns.STATISTICS) aggs.add(avg(stat).as("mean_" + stat));
        aggs.add(stddev_samp(Columns.RELEVANCE_SUM).as(RELEVANCE_SUM_STD));
        Dataset<Row> scalars = images.groupBy(Columns.TARGET)
                .agg(aggs.get(0), aggs.subList(1, aggs.size()).toArray(new Column[0]));

        JavaRDD<Row> sums = images.select(Columns.TARGET, Columns.HEATMAP, Columns.GRID).javaRDD()
                .mapToPair(r -> new Tuple2<>(r.getInt(0), Sums.of(r.getList(1), r.getList(2))))
                .reduceByKey(Sums::plus)
                .map(t -> t._2().toRow(t._1()));
        StructType schema = new StructType()
                .add("_target", DataTypes.IntegerType, false)
                .add(MEAN_HEATMAP, DataTypes.createArrayType(DataTypes.FloatType, false), false)
                .add(MEAN_ABS_HEATMAP, DataTypes.createArrayType(DataTypes.FloatType, false), false)
                .add(MEAN_GRID, DataTypes.createArrayType(DataTypes.FloatType, false), false);
        Dataset<Row> arrays = images.sparkSession().createDataFrame(sums, schema);
        return scalars.join(arrays, scalars.col(Columns.TARGET).equalTo(arrays.col("_target"))).drop("_target")
                .orderBy(Columns.TARGET);
    }

    /** Element-wise running sums of one class's heatmaps, |heatmaps| and grid shares, in double. */
    static final class Sums implements Serializable {
        long n;
        double[] heatmap, abs, grid;

        static Sums of(List<Float> heatmap, List<Float> grid) {
            Sums s = new Sums();
            s.n = 1;
            s.heatmap = new double[heatmap.size()];
            s.abs = new double[heatmap.size()];
            s.grid = new double[grid.size()];
            for (int i = 0; i < s.heatmap.length; i++) {
                double v = heatmap.get(i);
                s.heatmap[i] = v;
                s.abs[i] = Math.abs(v);
            }
            for (int i = 0; i < s.grid.length; i++) s.grid[i] = grid.get(i);
            return s;
        }

        Sums plus(Sums o) {
            if (o.heatmap.length != heatmap.length) throw new IllegalStateException("heatmaps of one class differ in size");
            for (int i = 0; i < heatmap.length; i++) { heatmap[i] += o.heatmap[i]; abs[i] += o.abs[i]; }
            for (int i = 0; i < grid.length; i++) grid[i] += o.grid[i];
            n += o.n;
            return this;
        }

        Row toRow(int target) { return RowFactory.create(target, mean(heatmap), mean(abs), mean(grid)); }

        private float[] mean(double[] sum) {
            float[] out = new float[sum.length];
            for (int i = 0; i < out.length; i++) out[i] = (float) (sum[i] / n);
            return out;
        }
    }
}
