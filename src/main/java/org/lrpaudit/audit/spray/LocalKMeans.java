package org.lrpaudit.audit.spray;

import java.util.Arrays;
import java.util.Random;

/**
 * k-means on points held on the driver: k-means++ seeding, then Lloyd's iterations until no point changes cluster.
 * Used for the spectral embedding of a class analysed on the driver (n × c numbers, c ≤ 9), where MLlib's k-means
 * would cost a Spark job per iteration. Several seedings are tried and the lowest within-cluster cost is kept, so a
 * poor first seed does not split a blob; everything follows from {@code seed}.
 */
final class LocalKMeans {
    static final int MAX_ITERATIONS = 100, SEEDINGS = 10;

    private LocalKMeans() {}

    /** The cluster (0…k−1) of every point. */
    static int[] cluster(double[][] points, int k, long seed) {
        if (k < 1 || k > points.length) throw new IllegalArgumentException("k-means needs 1 ≤ k ≤ n, got k " + k + " for " + points.length + " points");
        Random rnd = new Random(seed);
        int[] best = null;
        double bestCost = Double.POSITIVE_INFINITY;
        for (int s = 0; s < SEEDINGS; s++) {
            int[] assignment = lloyd(points, seeds(points, k, rnd));
            double cost = cost(points, assignment, k);
            if (cost < bestCost) {
                bestCost = cost;
                best = assignment;
            }
        }
        return best;
    }

    /** k-means++: each next centre drawn with probability proportional to its squared distance to the nearest chosen one. */
    static double[][] seeds(double[][] points, int k, Random rnd) {
        int n = points.length;
        double[][] centres = new double[k][];
        centres[0] = points[rnd.nextInt(n)].clone();
        double[] d = new double[n];
        Arrays.fill(d, Double.POSITIVE_INFINITY);
        for (int c = 1; c < k; c++) {
            double total = 0;
            for (int i = 0; i < n; i++) {
                d[i] = Math.min(d[i], HeatmapVectors.squaredDistance(points[i], centres[c - 1]));
                total += d[i];
            }
            int pick = n - 1;
            if (total > 0) {
                double r = rnd.nextDouble() * total;
                for (int i = 0; i < n; i++) {
                    r -= d[i];
                    if (r <= 0 && d[i] > 0) {
                        pick = i;
                        break;
                    }
                }
            } else {
                pick = rnd.nextInt(n); // every point coincides with a centre: any point will do
            }
            centres[c] = points[pick].clone();
        }
        return centres;
    }

    static int[] lloyd(double[][] points, double[][] centres) {
        int n = points.length, k = centres.length, dim = points[0].length;
        int[] assignment = new int[n];
        Arrays.fill(assignment, -1);
        for (int iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
            boolean changed = false;
            for (int i = 0; i < n; i++) {
                int c = nearest(points[i], centres);
                if (c != assignment[i]) {
                    assignment[i] = c;
                    changed = true;
                }
            }
            if (!changed) break;
            double[][] sums = new double[k][dim];
            int[] counts = new int[k];
            for (int i = 0; i < n; i++) {
                counts[assignment[i]]++;
                for (int q = 0; q < dim; q++) sums[assignment[i]][q] += points[i][q];
            }
            for (int c = 0; c < k; c++) {
                if (counts[c] == 0) { // an emptied cluster restarts at the point farthest from its centre
                    int far = 0;
                    double farthest = -1;
                    for (int i = 0; i < n; i++) {
                        double d = HeatmapVectors.squaredDistance(points[i], centres[assignment[i]]);
                        if (d > farthest) {
                            farthest = d;
                            far = i;
                        }
                    }
                    centres[c] = points[far].clone();
                } else {
                    for (int q = 0; q < dim; q++) centres[c][q] = sums[c][q] / counts[c];
                }
            }
        }
        return assignment;
    }

    static double cost(double[][] points, int[] assignment, int k) {
        int dim = points[0].length;
        double[][] centres = new double[k][dim];
        int[] counts = new int[k];
        for (int i = 0; i < points.length; i++) {
            counts[assignment[i]]++;
            for (int q = 0; q < dim; q++) centres[assignment[i]][q] += points[i][q];
        }
        for (int c = 0; c < k; c++) for (int q = 0; q < dim; q++) centres[c][q] /= Math.max(1, counts[c]);
        double cost = 0;
        for (int i = 0; i < points.length; i++) cost += HeatmapVectors.squaredDistance(points[i], centres[assignment[i]]);
        return cost;
    }

    private static int nearest(double[] p, double[][] centres) {
        int best = 0;
        double bestD = Double.POSITIVE_INFINITY;
        for (int c = 0; c < centres.length; c++) {
            double d = HeatmapVectors.squaredDistance(p, centres[c]);
            if (d < bestD) {
                bestD = d;
                best = c;
            }
        }
        return best;
    }
}
