package org.lrpaudit.audit.spray;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The driver's k-means against planted blobs and against Lloyd's optimality conditions. */
class LocalKMeansTest {
    /** sizes[g] points around corner g of the unit simplex in dim dimensions. */
    static double[][] blobs(int[] sizes, int dim, double noise, long seed) {
        Random rnd = new Random(seed);
        int n = 0;
        for (int s : sizes) n += s;
        double[][] out = new double[n][];
        int i = 0;
        for (int g = 0; g < sizes.length; g++) {
            for (int q = 0; q < sizes[g]; q++, i++) {
                out[i] = new double[dim];
                out[i][g] = 1;
                for (int d = 0; d < dim; d++) out[i][d] += noise * rnd.nextGaussian();
            }
        }
        return out;
    }

    @Test
    void recoversUnequalBlobsAndIsDeterministic() {
        int[] sizes = {200, 50, 9, 3};
        double[][] points = blobs(sizes, 5, 0.1, 3);
        int[] a = LocalKMeans.cluster(points, 4, 1);
        assertArrayEquals(a, LocalKMeans.cluster(points, 4, 1), "the same seed gives the same clusters");
        Map<Integer, Set<Integer>> groupsOf = new HashMap<>();
        int i = 0;
        for (int g = 0; g < sizes.length; g++) for (int q = 0; q < sizes[g]; q++) groupsOf.computeIfAbsent(a[i++], k -> new HashSet<>()).add(g);
        assertEquals(4, groupsOf.size(), "every blob is a cluster: " + groupsOf);
        for (Set<Integer> g : groupsOf.values()) assertEquals(1, g.size(), "a cluster mixes blobs: " + groupsOf);
    }

    /** At convergence every point is nearest its own cluster's mean (Lloyd's fixed point), even on structureless data. */
    @Test
    void convergedAssignmentIsItsOwnNearestMean() {
        double[][] points = blobs(new int[] {300}, 3, 1.0, 7);
        int k = 6;
        int[] a = LocalKMeans.cluster(points, k, 2);
        double[][] means = new double[k][3];
        int[] counts = new int[k];
        for (int i = 0; i < points.length; i++) {
            counts[a[i]]++;
            for (int d = 0; d < 3; d++) means[a[i]][d] += points[i][d];
        }
        for (int c = 0; c < k; c++) {
            assertTrue(counts[c] > 0, "cluster " + c + " is empty");
            for (int d = 0; d < 3; d++) means[c][d] /= counts[c];
        }
        for (int i = 0; i < points.length; i++) {
            double own = HeatmapVectors.squaredDistance(points[i], means[a[i]]);
            for (int c = 0; c < k; c++) assertTrue(own <= HeatmapVectors.squaredDistance(points[i], means[c]) + 1e-12, "point " + i + " is nearer mean " + c);
        }
        assertTrue(LocalKMeans.cost(points, a, k) < LocalKMeans.cost(points, new int[points.length], k) / 2, "six means explain the data better than one");
    }

    @Test
    void identicalPointsAndBadKAreHandled() {
        double[][] same = new double[10][];
        for (int i = 0; i < same.length; i++) same[i] = new double[] {1, 2};
        int[] a = LocalKMeans.cluster(same, 2, 1);
        assertEquals(10, a.length);
        assertThrows(IllegalArgumentException.class, () -> LocalKMeans.cluster(same, 11, 1));
        assertThrows(IllegalArgumentException.class, () -> LocalKMeans.cluster(same, 0, 1));
    }
}
