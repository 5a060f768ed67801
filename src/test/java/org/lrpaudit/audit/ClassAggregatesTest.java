package org.lrpaudit.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.lrpaudit.SparkTest;
import org.lrpaudit.output.Columns;

/** classes/ against the same figures computed row by row in plain Java, over several partitions. */
class ClassAggregatesTest extends SparkTest {
    private static final int CELLS = 20, GRID = 4;

    @Test
    void aggregatesEqualARowByRowComputation() {
        StructType schema = new StructType()
                .add(Columns.TARGET, DataTypes.IntegerType, false)
                .add(Columns.TARGET_NAME, DataTypes.StringType, false)
                .add(Columns.LABEL, DataTypes.IntegerType, true)
                .add(Columns.PREDICTED, DataTypes.IntegerType, false)
                .add(Columns.HEATMAP, DataTypes.createArrayType(DataTypes.FloatType, false), false)
                .add(Columns.GRID, DataTypes.createArrayType(DataTypes.FloatType, false), false);
        for (String stat : Columns.STATISTICS) schema = schema.add(stat, DataTypes.DoubleType, true);
        Random random = new Random(11);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            int target = i % 3 == 2 && i % 7 == 0 ? 0 : i % 3; // uneven classes
            Object[] v = new Object[schema.size()];
            v[0] = target;
            v[1] = "class" + target;
            v[2] = i % 5 == 0 ? null : random.nextInt(3); // some unlabelled
            v[3] = random.nextInt(3);
            v[4] = floats(random, CELLS);
            v[5] = floats(random, GRID);
            for (int k = 0; k < Columns.STATISTICS.size(); k++) {
                boolean centroid = Columns.STATISTICS.get(k).startsWith("centroid");
                v[6 + k] = centroid && i % 11 == 0 ? null : random.nextGaussian() * 3 + target;
            }
            rows.add(RowFactory.create(v));
        }
        List<Row> classes = ClassAggregates.of(spark.createDataFrame(rows, schema).repartition(4)).collectAsList();
        assertEquals(3, classes.size());
        for (Row c : classes) check(c, rows.stream().filter(r -> r.getInt(0) == c.getInt(0)).toList());
    }

    private static void check(Row c, List<Row> members) {
        String name = "class " + c.getInt(0);
        assertEquals(members.size(), c.getLong(c.fieldIndex(ClassAggregates.COUNT)), name);
        long labelled = members.stream().filter(r -> !r.isNullAt(2)).count();
        long correct = members.stream().filter(r -> !r.isNullAt(2) && r.getInt(2) == r.getInt(3)).count();
        assertEquals(labelled, c.getLong(c.fieldIndex(ClassAggregates.LABELLED)), name);
        assertEquals((double) correct / labelled, c.getDouble(c.fieldIndex(ClassAggregates.ACCURACY)), 1e-12, name);
        Map<String, Double> means = new HashMap<>();
        for (int k = 0; k < Columns.STATISTICS.size(); k++) {
            int column = 6 + k;
            means.put(Columns.STATISTICS.get(k), members.stream().filter(r -> !r.isNullAt(column)).mapToDouble(r -> r.getDouble(column))
                    .average().orElse(Double.NaN));
        }
        for (var e : means.entrySet()) assertEquals(e.getValue(), c.getDouble(c.fieldIndex("mean_" + e.getKey())), 1e-9, e.getKey());
        double mean = means.get(Columns.RELEVANCE_SUM);
        int rs = 6 + Columns.STATISTICS.indexOf(Columns.RELEVANCE_SUM);
        double var = members.stream().mapToDouble(r -> Math.pow(r.getDouble(rs) - mean, 2)).sum() / (members.size() - 1);
        assertEquals(Math.sqrt(var), c.getDouble(c.fieldIndex(ClassAggregates.RELEVANCE_SUM_STD)), 1e-9, name);
        assertArrayMean(members, 4, false, c.getList(c.fieldIndex(ClassAggregates.MEAN_HEATMAP)), name);
        assertArrayMean(members, 4, true, c.getList(c.fieldIndex(ClassAggregates.MEAN_ABS_HEATMAP)), name);
        assertArrayMean(members, 5, false, c.getList(c.fieldIndex(ClassAggregates.MEAN_GRID)), name);
    }

    private static void assertArrayMean(List<Row> members, int column, boolean abs, List<Float> actual, String name) {
        int n = members.get(0).getList(column).size();
        assertEquals(n, actual.size());
        for (int i = 0; i < n; i++) {
            double sum = 0;
            for (Row r : members) {
                float v = r.<Float>getList(column).get(i);
                sum += abs ? Math.abs(v) : v;
            }
            assertEquals(sum / members.size(), actual.get(i), 1e-6, name + " element " + i);
        }
    }

    private static Object floats(Random random, int n) {
        List<Float> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add((float) random.nextGaussian());
        return scala.jdk.javaapi.CollectionConverters.asScala(out).toSeq(); // Spark's external type for arrays
    }
}
