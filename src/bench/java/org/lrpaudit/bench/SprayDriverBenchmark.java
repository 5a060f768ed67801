package org.lrpaudit.bench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.lrpaudit.audit.spray.SpectralAnalysis;
import org.lrpaudit.job.AuditJob;
import scala.Tuple2;

/**
 * SpRAy over many small classes, the usual shape of an audit (10 classes of ~100 images in the bundled sample): the
 * whole analysis with classes on the driver (the default up to 2,048 images) against the same analysis by Spark jobs
 * (driver class limit 0), alternating in one JVM after a warm-up round of each. Synthetic 16×16 maps from four
 * strategies ({@link SprayBenchmark#maps}). Run: scripts/benchmark spray-driver [--classes 10 --class-size 100,1000 --rounds 3]
 */
public final class SprayDriverBenchmark {
    public static void main(String[] args) {
        int classes = 10, rounds = 3;
        int[] sizes = {100, 1000};
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--classes" -> classes = Integer.parseInt(args[++i]);
                case "--class-size" -> sizes = java.util.Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--suite" -> i++;
                default -> throw new IllegalArgumentException("unknown option " + args[i] + "; use --classes C --class-size N,N --rounds R");
            }
        }
        SparkSession spark = SparkSession.builder().master("local[*]").config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .config(new HashMap<String, Object>(AuditJob.SESSION_DEFAULTS)).getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        System.out.printf("%8s %10s %22s %22s %9s%n", "classes", "per class", "on the driver s", "by Spark jobs s", "ratio");
        for (int n : sizes) {
            Dataset<Row> images = images(spark, classes, n).persist(StorageLevel.MEMORY_ONLY());
            images.count();
            Map<Integer, Long> counts = new HashMap<>();
            Map<Integer, String> names = new HashMap<>();
            for (int c = 0; c < classes; c++) {
                counts.put(c, (long) n);
                names.put(c, "class " + c);
            }
            SpectralAnalysis.Options driver = SpectralAnalysis.Options.defaults(), jobs = driver.withDriverClassLimit(0);
            List<Double> d = new ArrayList<>(), j = new ArrayList<>();
            for (int round = 0; round <= rounds; round++) { // round 0 warms up both
                double a = seconds(spark, images, counts, names, driver), b = seconds(spark, images, counts, names, jobs);
                if (round > 0) {
                    d.add(a);
                    j.add(b);
                }
            }
            Stats sd = Stats.of(d), sj = Stats.of(j);
            System.out.printf("%8d %10d %22s %22s %8.1fx%n", classes, n, sd, sj, sj.median() / sd.median());
            images.unpersist();
        }
        spark.stop();
    }

    private static double seconds(SparkSession spark, Dataset<Row> images, Map<Integer, Long> counts, Map<Integer, String> names,
                                  SpectralAnalysis.Options o) {
        long t0 = System.nanoTime();
        SpectralAnalysis.Result r = SpectralAnalysis.run(spark, images, counts, names, o);
        long assigned = r.assignments().count();
        if (assigned != counts.values().stream().mapToLong(Long::longValue).sum()) throw new IllegalStateException(assigned + " assignments");
        return (System.nanoTime() - t0) / 1e9;
    }

    /** classes × n rows of images/'s SpRAy columns, the heatmap a 16×16 map. */
    static Dataset<Row> images(SparkSession spark, int classes, int n) {
        StructType schema = new StructType().add("image_id", DataTypes.StringType).add("target", DataTypes.IntegerType)
                .add("heatmap", DataTypes.createArrayType(DataTypes.FloatType)).add("heatmap_height", DataTypes.IntegerType)
                .add("heatmap_width", DataTypes.IntegerType);
        List<Row> rows = new ArrayList<>(classes * n);
        for (int c = 0; c < classes; c++) {
            for (Tuple2<Long, double[]> m : SprayBenchmark.maps(n, 100 + c)) {
                List<Float> h = new ArrayList<>(m._2().length);
                for (double v : m._2()) h.add((float) v);
                rows.add(RowFactory.create(c + "-" + m._1(), c, h, 16, 16));
            }
        }
        return spark.createDataFrame(rows, schema).repartition(4);
    }
}
