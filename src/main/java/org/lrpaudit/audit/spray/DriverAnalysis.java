package org.lrpaudit.audit.spray;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import scala.Tuple2;

/**
 * SpRAy for one class whose heatmap vectors fit on the driver: exact kNN, the normalised Laplacian's smallest
 * eigenpairs (ARPACK, {@link LocalEigen}), the Ng–Jordan–Weiss embedding and k-means ({@link LocalKMeans}), with no
 * Spark job per step. The graph and the spectrum are the ones the distributed path computes for a class that fits one
 * index cell, entry for entry (SpectralAnalysisTest compares them); only k-means is another implementation.
 */
final class DriverAnalysis {
    /**
     * @param cluster every point's cluster, 0 the largest
     * @param view    every point's 2-D view of the embedding ({@link SpectralEmbedding#view})
     */
    record Outcome(double[] eigenvalues, int clusters, double eigengap, int[] cluster, double[][] view) {}

    private DriverAnalysis() {}

    /** @param vectors the class's heatmap vectors, indexed 0…n−1 in this order; n ≥ o.minClassSize() */
    static Outcome analyse(List<double[]> vectors, SpectralAnalysis.Options o) {
        int n = vectors.size();
        if (n < o.minClassSize()) throw new IllegalArgumentException(n + " vectors, fewer than " + o.minClassSize() + " needed for a graph");
        List<Tuple2<Long, double[]>> points = new ArrayList<>(n);
        for (int i = 0; i < n; i++) points.add(new Tuple2<>((long) i, vectors.get(i)));
        int kk = Math.min(o.neighbours(), n - 1);
        long[][] neighbours = new long[n][];
        for (int i = 0; i < n; i++) neighbours[i] = KnnGraph.nearest(points.get(i), points, kk).ids();

        LocalEigen.Pairs pairs = LocalEigen.largest(SpectralEmbedding.halfShiftedAffinity(neighbours), Math.min(n - 1, o.maxClusters() + 1), 1);
        double[] lambda = SpectralEmbedding.laplacianEigenvalues(pairs.values());
        int c = SpectralEmbedding.suggestedClusters(lambda, o.maxClusters());
        double[][] embedded = new double[n][];
        for (int i = 0; i < n; i++) embedded[i] = SpectralEmbedding.embed(pairs.vectors()[i], c);
        int[] raw = LocalKMeans.cluster(embedded, c, o.seed());

        Map<Integer, Long> sizes = new HashMap<>();
        for (int r : raw) sizes.merge(r, 1L, Long::sum);
        int[] renumber = bySize(sizes, c);
        int[] cluster = new int[n];
        for (int i = 0; i < n; i++) cluster[i] = renumber[raw[i]];
        double[] degree = SpectralEmbedding.degrees(neighbours);
        double[][] view = new double[n][];
        for (int i = 0; i < n; i++) view[i] = SpectralEmbedding.view(pairs.vectors()[i], degree[i]);
        return new Outcome(lambda, sizes.size(), SpectralEmbedding.eigengap(lambda, c), cluster, view);
    }

    /** Labels 0…c−1 → new labels with 0 the largest cluster (ties by the old label); labels absent from sizes map to −1. */
    static int[] bySize(Map<Integer, Long> sizes, int c) {
        List<Integer> order = new ArrayList<>(sizes.keySet());
        order.sort(Comparator.<Integer>comparingLong(sizes::get).reversed().thenComparing(Comparator.naturalOrder()));
        int[] renumber = new int[c];
        java.util.Arrays.fill(renumber, -1);
        for (int i = 0; i < order.size(); i++) renumber[order.get(i)] = i;
        return renumber;
    }
}
