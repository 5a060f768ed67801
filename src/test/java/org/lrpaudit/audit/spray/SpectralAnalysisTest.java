package org.lrpaudit.audit.spray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.lrpaudit.SparkTest;
import scala.Tuple2;

/** SpRAy's distributed steps against brute force and the eigen-equation, on synthetic heatmaps with known strategies. */
class SpectralAnalysisTest extends SparkTest {
    /** n points in `groups` well separated blobs of dimension d; blob g sits around unit vector e_g. */
    static List<Tuple2<Long, double[]>> blobs(int n, int groups, int d, double noise, long seed) {
        Random rnd = new Random(seed);
        List<Tuple2<Long, double[]>> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            double[] v = new double[d];
            v[i % groups] = 1;
            for (int k = 0; k < d; k++) v[k] += noise * rnd.nextGaussian();
            out.add(new Tuple2<>((long) i, v));
        }
        return out;
    }

    static Map<Long, long[]> bruteForce(List<Tuple2<Long, double[]>> pts, int k) {
        Map<Long, long[]> out = new HashMap<>();
        for (Tuple2<Long, double[]> q : pts) out.put(q._1(), KnnGraph.nearest(q, pts, k).ids());
        return out;
    }

    static Map<Long, long[]> collect(KnnGraph.Result r) {
        Map<Long, long[]> out = new HashMap<>();
        for (Tuple2<Long, KnnGraph.Neighbours> t : r.neighbours().collect()) out.put(t._1(), t._2().ids());
        return out;
    }

    @Test
    void oneCellIsExactAndCellsKeepHighRecall() {
        List<Tuple2<Long, double[]>> pts = blobs(600, 6, 16, 0.3, 1);
        JavaRDD<Tuple2<Long, double[]>> rdd = JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(pts, 3);
        Map<Long, long[]> exact = bruteForce(pts, 10);

        KnnGraph.Result single = KnnGraph.build(rdd, 600, 10, 2048, 2, 1);
        assertEquals(1, single.stats().cells());
        Map<Long, long[]> got = collect(single);
        for (long i = 0; i < 600; i++) assertEquals(java.util.Arrays.toString(exact.get(i)), java.util.Arrays.toString(got.get(i)), "point " + i);

        KnnGraph.Result cells = KnnGraph.build(rdd, 600, 10, 50, 3, 1);
        assertTrue(cells.stats().cells() > 1, "the index was not used");
        Map<Long, long[]> approx = collect(cells);
        int hits = 0;
        for (long i = 0; i < 600; i++) {
            Set<Long> truth = new HashSet<>();
            for (long j : exact.get(i)) truth.add(j);
            for (long j : approx.get(i)) if (truth.contains(j)) hits++;
            assertEquals(10, approx.get(i).length);
        }
        double recall = hits / 6000.0;
        System.out.printf("kNN recall with %d cells (largest %d): %.3f%n", cells.stats().cells(), cells.stats().largestCell(), recall);
        assertTrue(recall >= 0.9, "recall " + recall);
    }

    /**
     * Every returned pair satisfies L·u = λ·u for the explicitly built normalised Laplacian, and u has unit length:
     * solved on the driver (local ARPACK) and distributed (MLlib's computeSVD).
     */
    @ParameterizedTest(name = "local eigen limit {0}")
    @ValueSource(longs = {Long.MAX_VALUE, 0})
    void spectrumSolvesTheEigenEquationOfTheNormalisedLaplacian(long localLimit) {
        int n = 240, k = 8;
        List<Tuple2<Long, double[]>> pts = blobs(n, 3, 12, 0.35, 2);
        JavaRDD<Tuple2<Long, double[]>> rdd = JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(pts, 2);
        KnnGraph.Result knn = KnnGraph.build(rdd, n, k, 2048, 2, 1);
        Map<Long, long[]> nb = collect(knn);
        double[][] w = new double[n][n];
        nb.forEach((i, js) -> {
            for (long j : js) {
                w[(int) (long) i][(int) j] += 0.5;
                w[(int) j][(int) (long) i] += 0.5;
            }
        });
        double[] deg = new double[n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) deg[i] += w[i][j];

        SpectralEmbedding.Spectrum s = SpectralEmbedding.of(knn.neighbours(), n, 5, localLimit);
        assertEquals(5, s.eigenvalues().length);
        for (int q = 1; q < 5; q++) assertTrue(s.eigenvalues()[q] >= s.eigenvalues()[q - 1] - 1e-9, "ascending");
        assertEquals(0, s.eigenvalues()[0], 1e-6, "the smallest eigenvalue of a normalised Laplacian is 0");
        Map<Long, double[]> rows = new HashMap<>();
        s.rows().collect().forEach(t -> rows.put(t._1(), t._2()));
        for (int q = 0; q < 5; q++) {
            double[] u = new double[n];
            for (int i = 0; i < n; i++) u[i] = rows.get((long) i)[q];
            double norm = 0, residual = 0;
            for (int i = 0; i < n; i++) {
                double lu = u[i];
                for (int j = 0; j < n; j++) if (w[i][j] != 0) lu -= w[i][j] / Math.sqrt(deg[i] * deg[j]) * u[j];
                residual = Math.max(residual, Math.abs(lu - s.eigenvalues()[q] * u[i]));
                norm += u[i] * u[i];
            }
            assertEquals(1, norm, 1e-6, "eigenvector " + q);
            assertTrue(residual < 1e-6, "eigenpair " + q + ": |Lu − λu| = " + residual);
        }
        // three separated blobs: three eigenvalues near 0, then a jump
        assertEquals(3, s.suggestedClusters(4), java.util.Arrays.toString(s.eigenvalues()));
    }

    /** n images of one class (target 0), group g of sizes[g] with its relevance in band g of a 24×24 heatmap; id "g<g>-<i>". */
    static Dataset<Row> plantedStrategies(org.apache.spark.sql.SparkSession spark, int[] sizes, long seed) {
        StructType schema = new StructType().add("image_id", DataTypes.StringType).add("target", DataTypes.IntegerType)
                .add("heatmap", DataTypes.createArrayType(DataTypes.FloatType)).add("heatmap_height", DataTypes.IntegerType)
                .add("heatmap_width", DataTypes.IntegerType);
        Random rnd = new Random(seed);
        List<Row> rows = new ArrayList<>();
        int band = 24 / sizes.length;
        for (int g = 0; g < sizes.length; g++) {
            for (int i = 0; i < sizes[g]; i++) {
                Float[] h = new Float[24 * 24];
                for (int p = 0; p < h.length; p++) h[p] = (float) (0.05 * rnd.nextGaussian());
                for (int y = band * g; y < band * g + band; y++) for (int x = 4; x < 20; x++) h[y * 24 + x] += (float) (1 + 0.3 * rnd.nextGaussian());
                rows.add(RowFactory.create("g" + g + "-" + i, 0, java.util.Arrays.asList(h), 24, 24));
            }
        }
        return spark.createDataFrame(rows, schema);
    }

    static Map<String, Integer> clusters(SpectralAnalysis.Result r) {
        Map<String, Integer> out = new HashMap<>();
        for (Row a : r.assignments().collectAsList()) out.put(a.getAs("image_id"), a.getAs("cluster"));
        return out;
    }

    /** Three strategies in one class (relevance at the top, centre or bottom of the heatmap) come out as three pure clusters. */
    @ParameterizedTest(name = "driver class limit {0}")
    @ValueSource(longs = {2048, 0})
    void analysisRecoversPlantedStrategies(long driverClassLimit) {
        SpectralAnalysis.Result r = SpectralAnalysis.run(spark, plantedStrategies(spark, new int[] {60, 30, 15}, 5), Map.of(0, 105L), Map.of(0, "c"),
                SpectralAnalysis.Options.defaults().withDriverClassLimit(driverClassLimit));
        SpectralAnalysis.ClassSpectrum spectrum = r.spectra().get(0);
        assertEquals(3, spectrum.clusters(), java.util.Arrays.toString(spectrum.eigenvalues()));
        Map<Integer, Set<Character>> groupsOf = new HashMap<>();
        Map<Integer, Integer> size = new HashMap<>();
        clusters(r).forEach((id, c) -> {
            groupsOf.computeIfAbsent(c, k -> new HashSet<>()).add(id.charAt(1));
            size.merge(c, 1, Integer::sum);
        });
        for (Set<Character> g : groupsOf.values()) assertEquals(1, g.size(), "a cluster mixes strategies: " + groupsOf);
        assertEquals(60, size.get(0), "cluster 0 is the largest");
        assertEquals(15, size.get(2));
    }

    /**
     * The 2-D view carried into image_clusters/ (2nd and 3rd eigenvectors): three planted strategies lie apart in it,
     * each group tight around its own centre, on both paths.
     */
    @ParameterizedTest(name = "driver class limit {0}")
    @ValueSource(longs = {2048, 0})
    void theEmbeddingViewSeparatesPlantedStrategies(long driverClassLimit) {
        SpectralAnalysis.Result r = SpectralAnalysis.run(spark, plantedStrategies(spark, new int[] {60, 30, 15}, 5), Map.of(0, 105L), Map.of(0, "c"),
                SpectralAnalysis.Options.defaults().withDriverClassLimit(driverClassLimit));
        Map<Character, List<double[]>> byGroup = new HashMap<>();
        for (Row a : r.assignments().collectAsList()) {
            byGroup.computeIfAbsent(a.<String>getAs("image_id").charAt(1), k -> new ArrayList<>())
                    .add(new double[] {a.getAs("embedding_x"), a.getAs("embedding_y")});
        }
        assertEquals(3, byGroup.size());
        Map<Character, double[]> centre = new HashMap<>();
        double spread = 0;
        for (var e : byGroup.entrySet()) {
            double[] c = new double[2];
            for (double[] p : e.getValue()) for (int i = 0; i < 2; i++) c[i] += p[i] / e.getValue().size();
            centre.put(e.getKey(), c);
            for (double[] p : e.getValue()) spread = Math.max(spread, Math.hypot(p[0] - c[0], p[1] - c[1]));
        }
        double apart = Double.MAX_VALUE;
        for (char a : centre.keySet()) {
            for (char b : centre.keySet()) {
                if (a < b) apart = Math.min(apart, Math.hypot(centre.get(a)[0] - centre.get(b)[0], centre.get(a)[1] - centre.get(b)[1]));
            }
        }
        System.out.printf("embedding view (driver class limit %d): largest distance to a group centre / closest centres = %.3f%n", driverClassLimit,
                spread / apart);
        assertTrue(spread < apart / 4, "groups overlap in the view: largest distance to a centre " + spread + ", closest centres " + apart);
    }

    /**
     * A class analysed on the driver gets the spectrum the distributed path computes (the same kNN graph and matrix,
     * the same ARPACK start) and the same clusters, though k-means runs on another implementation; a second class
     * above the driver limit is analysed by Spark jobs in the same run.
     */
    @Test
    void driverAndDistributedPathsAgree() {
        Dataset<Row> one = plantedStrategies(spark, new int[] {70, 40, 25}, 11);
        Dataset<Row> images = one.union(plantedStrategies(spark, new int[] {50, 30}, 12)
                .selectExpr("concat('b', image_id) AS image_id", "1 AS target", "heatmap", "heatmap_height", "heatmap_width"));
        Map<Integer, Long> counts = Map.of(0, 135L, 1, 80L);
        Map<Integer, String> names = Map.of(0, "three", 1, "two");
        SpectralAnalysis.Options o = SpectralAnalysis.Options.defaults();
        SpectralAnalysis.Result driver = SpectralAnalysis.run(spark, images, counts, names, o);
        SpectralAnalysis.Result distributed = SpectralAnalysis.run(spark, images, counts, names, o.withDriverClassLimit(0));
        SpectralAnalysis.Result mixed = SpectralAnalysis.run(spark, images, counts, names, o.withDriverClassLimit(100)); // class 1 on the driver only

        for (SpectralAnalysis.Result r : List.of(driver, mixed)) {
            for (int c = 0; c < 2; c++) {
                SpectralAnalysis.ClassSpectrum a = r.spectra().get(c), b = distributed.spectra().get(c);
                assertEquals(b.target(), a.target());
                assertEquals(b.count(), a.count());
                assertEquals(b.eigenvalues().length, a.eigenvalues().length);
                for (int q = 0; q < a.eigenvalues().length; q++) assertEquals(b.eigenvalues()[q], a.eigenvalues()[q], 1e-9, "eigenvalue " + q);
                assertEquals(b.clusters(), a.clusters());
                assertEquals(b.eigengap(), a.eigengap(), 1e-9);
            }
            assertEquals(clusters(distributed), clusters(r));
        }
        assertEquals(3, driver.spectra().get(0).clusters());
        assertEquals(2, driver.spectra().get(1).clusters());
        Map<String, Integer> got = clusters(driver);
        assertEquals(135 + 80, got.size());
        for (int g = 0; g < 3; g++) assertEquals(g, got.get("g" + g + "-0"), "clusters are numbered by size");
    }

    @ParameterizedTest(name = "driver class limit {0}")
    @ValueSource(longs = {2048, 0})
    void classesTooSmallForAGraphAreOneCluster(long driverClassLimit) {
        StructType schema = new StructType().add("image_id", DataTypes.StringType).add("target", DataTypes.IntegerType)
                .add("heatmap", DataTypes.createArrayType(DataTypes.FloatType)).add("heatmap_height", DataTypes.IntegerType)
                .add("heatmap_width", DataTypes.IntegerType);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 5; i++) rows.add(RowFactory.create("x" + i, 3, List.of(1f, 0f, 0f, (float) i), 2, 2));
        SpectralAnalysis.Result r = SpectralAnalysis.run(spark, spark.createDataFrame(rows, schema), Map.of(3, 5L), Map.of(3, "few"),
                SpectralAnalysis.Options.defaults().withDriverClassLimit(driverClassLimit));
        assertEquals(5, r.assignments().where("cluster = 0").count());
        assertEquals(5, r.assignments().count());
        assertTrue(r.spectra().get(0).status().contains("fewer than"), r.spectra().get(0).status());
    }

    @Test
    void driverChunksKeepEveryClassOnceWithinTheBudget() {
        long dim = 256, perClass = SpectralAnalysis.DRIVER_CHUNK_NUMBERS / dim / 3; // three classes fill a chunk
        List<Integer> targets = List.of(0, 1, 2, 3, 4, 5, 6);
        Map<Integer, Long> counts = new HashMap<>();
        for (int t : targets) counts.put(t, perClass);
        counts.put(6, SpectralAnalysis.DRIVER_CHUNK_NUMBERS); // alone over the budget: a chunk of its own
        List<List<Integer>> chunks = SpectralAnalysis.chunks(targets, counts, dim);
        assertEquals(List.of(List.of(0, 1, 2), List.of(3, 4, 5), List.of(6)), chunks);
    }
}
