package org.lrpaudit.audit.spray;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.lrpaudit.output.Columns;
import org.lrpaudit.output.ImageClusters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * Spectral relevance analysis (docs/dataset-audit.md) of every target class: heatmap vectors → kNN graph → Laplacian
 * spectrum → eigengap → k-means in the spectral embedding. A class of up to driverClassLimit images (2,048) is
 * analysed on the driver from its collected vectors (size² numbers per image, collected for many classes at once):
 * a handful of Spark jobs per class would cost seconds for work of milliseconds. Larger classes are analysed by
 * Spark jobs, a few classes at once from driver threads; nothing of size n×n is built on either path and no full
 * heatmap reaches the driver. Cluster 0 is always the largest cluster of its class.
 */
public final class SpectralAnalysis {
    private static final Logger log = LoggerFactory.getLogger(SpectralAnalysis.class);
    public static final String CLUSTER = ImageClusters.CLUSTER, SIZE = "size", SHARE = "share", CLUSTERS = "clusters", EIGENVALUES = "eigenvalues",
            EIGENGAP = "eigengap", STATUS = "status", MEAN_VECTOR = "mean_vector", VECTOR_HEIGHT = "vector_height",
            VECTOR_WIDTH = "vector_width", MEAN_HEATMAP = "mean_heatmap";

    /**
     * @param driverClassLimit classes of up to this many images are analysed on the driver ({@link DriverAnalysis}) from
     *                         their collected vectors; the default equals cellSize, below which the distributed index
     *                         is one cell — one task computing the same exact kNN — anyway
     * @param localEigenLimit  larger classes: spectra of up to this many images are solved on the driver
     */
    public record Options(int size, HeatmapVectors.Normalisation normalisation, int neighbours, int maxClusters, int minClassSize,
                          int cellSize, int probes, long driverClassLimit, long localEigenLimit, int parallelism, long seed)
            implements Serializable {
        public static Options defaults() {
            return new Options(16, HeatmapVectors.Normalisation.ABS, 10, 8, 20, 2048, 3, 2048, 200_000, 2, 1);
        }

        public Options withLocalEigenLimit(long limit) {
            return new Options(size, normalisation, neighbours, maxClusters, minClassSize, cellSize, probes, driverClassLimit, limit,
                    parallelism, seed);
        }

        public Options withDriverClassLimit(long limit) {
            return new Options(size, normalisation, neighbours, maxClusters, minClassSize, cellSize, probes, limit, localEigenLimit,
                    parallelism, seed);
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

    /** image_clusters/: image_id, target, cluster and two coordinates of the spectral embedding ({@link SpectralEmbedding#view}). */
    public static final StructType ASSIGNMENTS = ImageClusters.SCHEMA;

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
            List<Integer> onDriver = targets.stream().filter(t -> counts.get(t) <= o.driverClassLimit()).toList();
            List<Future<ClassOutcome>> distributed = new ArrayList<>();
            for (int t : targets) {
                if (!onDriver.contains(t)) distributed.add(pool.submit(() -> analyse(vectors, t, names.getOrDefault(t, String.valueOf(t)), counts.get(t), o)));
            }
            List<ClassOutcome> outcomes = new ArrayList<>();
            for (List<Integer> chunk : chunks(onDriver, counts, (long) o.size() * o.size())) { // one collect per chunk of small classes
                Set<Integer> wanted = new HashSet<>(chunk);
                Map<Integer, List<Tuple2<String, double[]>>> byClass = new HashMap<>();
                for (Tuple2<Integer, Tuple2<String, double[]>> v : vectors.filter(v -> wanted.contains(v._1())).collect()) {
                    byClass.computeIfAbsent(v._1(), k -> new ArrayList<>()).add(v._2());
                }
                List<Future<ClassOutcome>> local = new ArrayList<>();
                for (int t : chunk) {
                    local.add(pool.submit(() -> analyseOnDriver(t, names.getOrDefault(t, String.valueOf(t)), byClass.getOrDefault(t, List.of()), o)));
                }
                for (Future<ClassOutcome> f : local) outcomes.add(f.get()); // this chunk's vectors are released before the next collect
            }
            for (Future<ClassOutcome> f : distributed) outcomes.add(f.get());
            outcomes.sort(Comparator.comparingInt(c -> c.spectrum().target()));
            List<Row> driverRows = new ArrayList<>();
            JavaRDD<Row> all = null;
            for (ClassOutcome c : outcomes) {
                if (c.rows() != null) all = all == null ? c.rows() : all.union(c.rows());
                else driverRows.addAll(c.driverRows());
            }
            Dataset<Row> assignments = spark.createDataFrame(driverRows, ASSIGNMENTS);
            if (all != null) assignments = assignments.union(spark.createDataFrame(all, ASSIGNMENTS));
            return new Result(assignments, outcomes.stream().map(ClassOutcome::spectrum).toList());
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

    /** A class's spectrum and its images' clusters: as a cached RDD (distributed path) or as rows on the driver. */
    record ClassOutcome(ClassSpectrum spectrum, JavaRDD<Row> rows, List<Row> driverRows) {}

    /** Vectors collected per chunk of classes: at most this many numbers (8 bytes each) on the driver at once. */
    static final long DRIVER_CHUNK_NUMBERS = 16_000_000;

    /** Consecutive groups of classes whose vectors together stay within {@link #DRIVER_CHUNK_NUMBERS}. */
    static List<List<Integer>> chunks(List<Integer> targets, Map<Integer, Long> counts, long dimension) {
        List<List<Integer>> out = new ArrayList<>();
        List<Integer> current = new ArrayList<>();
        long numbers = 0;
        for (int t : targets) {
            long size = counts.get(t) * dimension;
            if (!current.isEmpty() && numbers + size > DRIVER_CHUNK_NUMBERS) {
                out.add(current);
                current = new ArrayList<>();
                numbers = 0;
            }
            current.add(t);
            numbers += size;
        }
        if (!current.isEmpty()) out.add(current);
        return out;
    }

    /** One class from its collected (image_id, vector) pairs, on the driver. */
    static ClassOutcome analyseOnDriver(int target, String name, List<Tuple2<String, double[]>> points, Options o) {
        long t0 = System.nanoTime();
        int n = points.size();
        List<Row> rows = new ArrayList<>(n);
        if (n < o.minClassSize()) {
            for (Tuple2<String, double[]> p : points) rows.add(RowFactory.create(p._1(), target, 0, null, null));
            return new ClassOutcome(new ClassSpectrum(target, name, n, new double[0], 1, Double.NaN, tooSmall(n, o)), null, rows);
        }
        DriverAnalysis.Outcome r = DriverAnalysis.analyse(points.stream().map(Tuple2::_2).toList(), o);
        int[] sizes = new int[r.clusters()];
        for (int i = 0; i < n; i++) {
            double[] xy = r.view()[i];
            rows.add(RowFactory.create(points.get(i)._1(), target, r.cluster()[i], xy[0], xy[1]));
            sizes[r.cluster()[i]]++;
        }
        log.info(String.format("SpRAy %s: %d images on the driver, eigenvalues %s, %d clusters of sizes %s (%.2f s)", name, n,
                Arrays.toString(round(r.eigenvalues())), r.clusters(), Arrays.toString(sizes), (System.nanoTime() - t0) / 1e9));
        return new ClassOutcome(new ClassSpectrum(target, name, n, r.eigenvalues(), r.clusters(), r.eigengap(), "analysed"), null, rows);
    }

    private static String tooSmall(long n, Options o) { return "not analysed: " + n + " images, fewer than " + o.minClassSize(); }

    /** One class: its spectrum and its images' clusters (cached; small: image_id, target, cluster). */
    static ClassOutcome analyse(JavaPairRDD<Integer, Tuple2<String, double[]>> vectors, int target, String name, long n, Options o) {
        long t0 = System.nanoTime();
        JavaPairRDD<Long, Tuple2<String, double[]>> points = vectors.filter(v -> v._1() == target).values().zipWithIndex()
                .mapToPair(p -> new Tuple2<>(p._2(), p._1())).persist(StorageLevel.MEMORY_AND_DISK());
        if (n < o.minClassSize()) {
            JavaRDD<Row> rows = points.map(p -> RowFactory.create(p._2()._1(), target, 0, null, null)).cache();
            rows.count();
            points.unpersist();
            return new ClassOutcome(new ClassSpectrum(target, name, n, new double[0], 1, Double.NaN, tooSmall(n, o)), rows, null);
        }
        KnnGraph.Result knn = KnnGraph.build(points.map(p -> new Tuple2<>(p._1(), p._2()._2())), n, o.neighbours(), o.cellSize(), o.probes(),
                o.seed());
        JavaPairRDD<Long, KnnGraph.Neighbours> graph = knn.neighbours().persist(StorageLevel.MEMORY_AND_DISK());
        SpectralEmbedding.Spectrum spectrum = SpectralEmbedding.of(graph, n, (int) Math.min(n - 1, o.maxClusters() + 1), o.localEigenLimit());
        int c = spectrum.suggestedClusters(o.maxClusters());
        spectrum.rows().cache(); // read twice: by k-means and by the 2-D view (spectrum.view() derives from it)
        JavaPairRDD<Long, double[]> embedded = spectrum.rows().mapValues(r -> SpectralEmbedding.embed(r, c)).cache();
        KMeansModel km = new KMeans().setK(c).setSeed(o.seed()).setMaxIterations(100).run(embedded.values().map(Vectors::dense).rdd());
        JavaPairRDD<Long, Integer> raw = embedded.mapValues(e -> km.predict(Vectors.dense(e)));
        // cluster 0 = the largest: renumber by size, ties by the k-means label
        Map<Integer, Long> sizes = raw.values().countByValue();
        int[] renumber = DriverAnalysis.bySize(sizes, c);
        List<Long> bySize = sizes.values().stream().sorted(Comparator.reverseOrder()).toList();
        JavaRDD<Row> rows = points.join(raw).join(spectrum.view()).map(p -> {
            double[] xy = p._2()._2();
            return RowFactory.create(p._2()._1()._1()._1(), target, renumber[p._2()._1()._2()], xy[0], xy[1]);
        }).cache();
        rows.count();
        embedded.unpersist();
        spectrum.rows().unpersist();
        graph.unpersist();
        points.unpersist();
        log.info(String.format("SpRAy %s: %d images, %d cells (largest %d), eigenvalues %s, %d clusters of sizes %s (%.1f s)", name, n,
                knn.stats().cells(), knn.stats().largestCell(), Arrays.toString(round(spectrum.eigenvalues())), bySize.size(),
                bySize, (System.nanoTime() - t0) / 1e9));
        return new ClassOutcome(new ClassSpectrum(target, name, n, spectrum.eigenvalues(), bySize.size(), spectrum.eigengap(c), "analysed"), rows, null);
    }

    private static double[] round(double[] v) {
        return Arrays.stream(v).map(x -> Math.round(x * 1e4) / 1e4).toArray();
    }
}
