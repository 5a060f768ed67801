package org.lrpaudit.bench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.lrpaudit.audit.spray.KnnGraph;
import org.lrpaudit.audit.spray.SpectralEmbedding;
import scala.Tuple2;

/**
 * How SpRAy's distributed steps scale with the size of one class: synthetic 16×16 relevance maps from four
 * strategies (a blob at one of four places, jittered, plus noise), kNN graph by the inverted-file index against
 * exact brute force (one cell) where that is affordable, then the spectrum. Prints seconds per step, the exact/index
 * time ratio and the index's recall. Run: scripts/benchmark spray [--sizes 2000,8000,32000] [--exact-up-to 8000]
 */
public final class SprayBenchmark {
    public static void main(String[] args) {
        int[] sizes = {2000, 8000, 32000};
        int exactUpTo = 8000;
        long localLimit = 200_000;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--sizes" -> sizes = java.util.Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                case "--exact-up-to" -> exactUpTo = Integer.parseInt(args[++i]);
                case "--local-eigen-limit" -> localLimit = Long.parseLong(args[++i]);
                case "--suite" -> i++;
                default -> throw new IllegalArgumentException("unknown option " + args[i] + "; use --sizes N,N --exact-up-to N");
            }
        }
        SparkSession spark = SparkSession.builder().master("local[*]").config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1").getOrCreate();
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        System.out.printf("%8s %8s %10s %10s %8s %8s %10s %12s%n", "n", "cells", "index s", "exact s", "exact/ix", "recall", "spectrum s",
                "eigenvalues");
        for (int n : sizes) {
            JavaRDD<Tuple2<Long, double[]>> pts = sc.parallelize(maps(n, 7), Math.max(2, n / 2000)).persist(StorageLevel.MEMORY_ONLY());
            pts.count();
            long t0 = System.nanoTime();
            KnnGraph.Result ix = KnnGraph.build(pts, n, 10, 2048, 3, 1);
            var ixGraph = ix.neighbours().persist(StorageLevel.MEMORY_ONLY());
            ixGraph.count();
            double ixSeconds = (System.nanoTime() - t0) / 1e9;
            String exactSeconds = "-", ratio = "-", recall = "-";
            if (n <= exactUpTo && ix.stats().cells() > 1) {
                long t1 = System.nanoTime();
                KnnGraph.Result exact = KnnGraph.build(pts, n, 10, n, 1, 1);
                Map<Long, long[]> truth = new HashMap<>();
                exact.neighbours().collect().forEach(t -> truth.put(t._1(), t._2().ids()));
                double ex = (System.nanoTime() - t1) / 1e9;
                int hits = 0;
                for (Tuple2<Long, KnnGraph.Neighbours> t : ixGraph.collect()) {
                    Set<Long> s = new HashSet<>();
                    for (long j : truth.get(t._1())) s.add(j);
                    for (long j : t._2().ids()) if (s.contains(j)) hits++;
                }
                exactSeconds = String.format("%.1f", ex);
                ratio = String.format("%.2f", ex / ixSeconds);
                recall = String.format("%.3f", hits / (10.0 * n));
            }
            long t2 = System.nanoTime();
            SpectralEmbedding.Spectrum s = SpectralEmbedding.of(ixGraph, n, 6, localLimit);
            s.rows().count();
            double specSeconds = (System.nanoTime() - t2) / 1e9;
            StringBuilder eig = new StringBuilder();
            for (double e : s.eigenvalues()) eig.append(String.format("%.3f ", e));
            System.out.printf("%8d %8d %10.1f %10s %8s %8s %10.1f   %s%n", n, ix.stats().cells(), ixSeconds, exactSeconds, ratio, recall, specSeconds, eig);
            ixGraph.unpersist();
            pts.unpersist();
        }
        spark.stop();
    }

    static List<Tuple2<Long, double[]>> maps(int n, long seed) {
        Random rnd = new Random(seed);
        int side = 16;
        int[][] centres = {{3, 4}, {3, 11}, {12, 8}, {8, 8}};
        List<Tuple2<Long, double[]>> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int[] c = centres[i % centres.length];
            double cy = c[0] + rnd.nextGaussian(), cx = c[1] + rnd.nextGaussian(), total = 0;
            double[] v = new double[side * side];
            for (int y = 0; y < side; y++) {
                for (int x = 0; x < side; x++) {
                    double d2 = (y - cy) * (y - cy) + (x - cx) * (x - cx);
                    v[y * side + x] = Math.exp(-d2 / 6) + 0.05 * Math.abs(rnd.nextGaussian());
                    total += v[y * side + x];
                }
            }
            for (int k = 0; k < v.length; k++) v[k] /= total;
            out.add(new Tuple2<>((long) i, v));
        }
        return out;
    }
}
