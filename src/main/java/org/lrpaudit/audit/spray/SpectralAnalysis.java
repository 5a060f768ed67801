package org.lrpaudit.audit.spray;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.mllib.clustering.KMeans;
import org.apache.spark.mllib.clustering.KMeansModel;
import org.apache.spark.mllib.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.lrpaudit.job.Columns;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * Spectral relevance analysis (LRP.md §7) of every target class: heatmap vectors → kNN graph → Laplacian
 * spectrum → eigengap → k-means in the spectral embedding. Classes are analysed concurrently from a few driver
 * threads (each class is a handful of small Spark jobs); nothing of size n×n and no heatmap leaves the executors
 * except per-cluster means. Cluster 0 is always the largest cluster of its class.
 */
public final class SpectralAnalysis {
    private static final Logger log = LoggerFactory.getLogger(SpectralAnalysis.class);
    public static final String CLUSTER = "cluster", SIZE = "size", SHARE = "share", CLUSTERS = "clusters", EIGENVALUES = "eigenvalues",
            EIGENGAP = "eigengap", STATUS = "status", MEAN_VECTOR = "mean_vector", VECTOR_HEIGHT = "vector_height",
            VECTOR_WIDTH = "vector_width", MEAN_HEATMAP = "mean_heatmap";

    public record Options(int size, HeatmapVectors.Normalisation normalisation, int neighbours, int maxClusters, int minClassSize,
                          int cellSize, int probes, long localEigenLimit, int parallelism, long seed) implements Serializable {
        public static Options defaults() {
            return new Options(16, HeatmapVectors.Normalisation.ABS, 10, 8, 20, 2048, 3, 200_000, 2, 1);
        }

        public Options withLocalEigenLimit(long limit) {
            return new Options(size, normalisation, neighbours, maxClusters, minClassSize, cellSize, probes, limit, parallelism, seed);
        }

        public Options {
            if (size < 1) throw new IllegalArgumentException("--spray-size must be at least 1, got " + size);
            if (neighbours < 1) throw new IllegalArgumentException("--spray-neighbours must be at least 1, got " + neighbours);
            if (maxClusters < 2) throw new IllegalArgumentException("--spray-max-clusters must be at least 2, got " + maxClusters);
            if (minClassSize < Math.max(neighbours + 1, maxClusters + 2)) {
                minClassSize = Math.max(neighbours + 1, maxClusters + 2);
            }
        }
    }

    /** What one class's analysis found (the eigenvalues are empty for a class too small to analyse). */
    public record ClassSpectrum(int target, String targetName, long count, double[] eigenvalues, int clusters, double eigengap,
                                String status) implements Serializable {}

    /** image_id → cluster, and the per-class spectra. */
    public record Result(Dataset<Row> assignments, List<ClassSpectrum> spectra) {}

    public static final StructType ASSIGNMENTS = new StructType()
            .add(Columns.IMAGE_ID, DataTypes.StringType, false)
            .add(Columns.TARGET, DataTypes.IntegerType, false)
            .add(CLUSTER, DataTypes.IntegerType, false);

    private SpectralAnalysis() {}

    /**
     * @param images  rows of images/ (image_id, target, target_name, heatmap, heatmap_height, heatmap_width)
     * @param counts  images per target class (from classes/)
     */
    public static Result run(SparkSession spark, Dataset<Row> images, Map<Integer, Long> counts, Map<Integer, String> names, Options o) {
        JavaPairRDD<Integer, Tuple2<String, double[]>> vectors = images
                .select(Columns.TARGET, Columns.IMAGE_ID, Columns.HEATMAP, Columns.HEATMAP_HEIGHT, Columns.HEATMAP_WIDTH)
                .javaRDD().mapToPair(r -> {
                    List<Float> h = r.getList(2);
                    float[] heatmap = new float[h.size()];
                    for (int i = 0; i < heatmap.length; i++) heatmap[i] = h.get(i);
                    return new Tuple2<>(r.getInt(0), new Tuple2<>(r.getString(1),
                            HeatmapVectors.of(heatmap, r.getInt(3), r.getInt(4), o.size(), o.normalisation())));
                }).persist(StorageLevel.MEMORY_AND_DISK());
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, o.parallelism()), r -> {
            Thread t = new Thread(r, "lrp-audit-spray");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Integer> targets = counts.keySet().stream().sorted().toList();
            List<Future<Tuple2<ClassSpectrum, JavaRDD<Row>>>> futures = new ArrayList<>();
            for (int t : targets) futures.add(pool.submit(() -> analyse(vectors, t, names.getOrDefault(t, String.valueOf(t)), counts.get(t), o)));
            List<ClassSpectrum> spectra = new ArrayList<>();
            JavaRDD<Row> all = null;
            for (Future<Tuple2<ClassSpectrum, JavaRDD<Row>>> f : futures) {
                Tuple2<ClassSpectrum, JavaRDD<Row>> r = f.get();
                spectra.add(r._1());
                all = all == null ? r._2() : all.union(r._2());
            }
            Dataset<Row> assignments = all == null ? spark.createDataFrame(List.of(), ASSIGNMENTS) : spark.createDataFrame(all, ASSIGNMENTS);
            return new Result(assignments, spectra);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("spectral analysis interrupted", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
        } finally {
            pool.shutdownNow();
            vectors.unpersist(); // the assignments are cached on their own; the vectors are no longer needed
        }
    }

    /** One class: its spectrum and its images' clusters (cached; small: image_id, target, cluster). */
    static Tuple2<ClassSpectrum, JavaRDD<Row>> analyse(JavaPairRDD<Integer, Tuple2<String, double[]>> vectors, int target, String name,
                                                         long n, Options o) {
        long t0 = System.nanoTime();
        JavaPairRDD<Long, Tuple2<String, double[]>> points = vectors.filter(v -> v._1() == target).values().zipWithIndex()
                .mapToPair(p -> new Tuple2<>(p._2(), p._1())).persist(StorageLevel.MEMORY_AND_DISK());
        if (n < o.minClassSize()) {
            JavaRDD<Row> rows = points.map(p -> RowFactory.create(p._2()._1(), target, 0)).cache();
            rows.count();
            points.unpersist();
            return new Tuple2<>(new ClassSpectrum(target, name, n, new double[0], 1, Double.NaN,
                    "not analysed: " + n + " images, fewer than " + o.minClassSize()), rows);
        }
        KnnGraph.Result knn = KnnGraph.build(points.map(p -> new Tuple2<>(p._1(), p._2()._2())), n, o.neighbours(), o.cellSize(), o.probes(),
                o.seed());
        JavaPairRDD<Long, KnnGraph.Neighbours> graph = knn.neighbours().persist(StorageLevel.MEMORY_AND_DISK());
        SpectralEmbedding.Spectrum spectrum = SpectralEmbedding.of(graph, n, (int) Math.min(n - 1, o.maxClusters() + 1), o.localEigenLimit());
        int c = spectrum.suggestedClusters(o.maxClusters());
        JavaPairRDD<Long, double[]> embedded = spectrum.rows().mapValues(r -> SpectralEmbedding.embed(r, c)).cache();
        KMeansModel km = new KMeans().setK(c).setSeed(o.seed()).setMaxIterations(100).run(embedded.values().map(Vectors::dense).rdd());
        JavaPairRDD<Long, Integer> raw = embedded.mapValues(e -> km.predict(Vectors.dense(e)));
        // cluster 0 = the largest: renumber by size, ties by the k-means label
        Map<Integer, Long> sizes = raw.values().countByValue();
        List<Integer> bySize = new ArrayList<>(sizes.keySet());
        bySize.sort(Comparator.<Integer>comparingLong(sizes::get).reversed().thenComparing(Comparator.naturalOrder()));
        int[] renumber = new int[c];
        for (int i = 0; i < bySize.size(); i++) renumber[bySize.get(i)] = i;
        JavaRDD<Row> rows = points.join(raw).map(p -> RowFactory.create(p._2()._1()._1(), target, renumber[p._2()._2()])).cache();
        rows.count();
        embedded.unpersist();
        graph.unpersist();
        points.unpersist();
        log.info(String.format("SpRAy %s: %d images, %d cells (largest %d), eigenvalues %s, %d clusters of sizes %s (%.1f s)", name, n,
                knn.stats().cells(), knn.stats().largestCell(), Arrays.toString(round(spectrum.eigenvalues())), bySize.size(),
                bySize.stream().map(sizes::get).toList(), (System.nanoTime() - t0) / 1e9));
        return new Tuple2<>(new ClassSpectrum(target, name, n, spectrum.eigenvalues(), bySize.size(), spectrum.eigengap(c), "analysed"), rows);
    }

    private static double[] round(double[] v) {
        return Arrays.stream(v).map(x -> Math.round(x * 1e4) / 1e4).toArray();
    }
}
