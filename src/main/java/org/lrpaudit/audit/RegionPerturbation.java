package org.lrpaudit.audit;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Region perturbation (Samek et al. 2017) on one image: the image is cut into square patches, the patches are
 * ordered by the relevance they hold, and in L steps more and more of them are replaced by a constant baseline;
 * step k has the first round(k·P/L) of the P patches replaced, so step 0 is the image and step L is the baseline
 * everywhere. The model's target logit along the steps is the perturbation curve. No Spark, no ND4J: the caller
 * runs the forward passes.
 */
public final class RegionPerturbation {

    /** The order patches are removed in. RANDOM_REVERSED is RANDOM backwards: the random floor's "least relevant first". */
    public enum Order {
        MORF, LERF, RANDOM, RANDOM_REVERSED;

        public String label() { return name().toLowerCase(Locale.ROOT); }

        public static Order parse(String label) { return valueOf(label.toUpperCase(Locale.ROOT)); }
    }

    private RegionPerturbation() {}

    /** Square patches of side {@code patch} over an H×W image; the last row and column of patches may be narrower. */
    public record Grid(int height, int width, int patch) {
        public Grid {
            if (patch < 1) throw new IllegalArgumentException("patch size must be at least 1 pixel, got " + patch);
            if (patch > Math.min(height, width)) {
                throw new IllegalArgumentException("patch size " + patch + " is larger than the " + height + "x" + width + " image");
            }
        }

        public int rows() { return (height + patch - 1) / patch; }

        public int cols() { return (width + patch - 1) / patch; }

        public int count() { return rows() * cols(); }

        /** Relevance per patch: the sum of the H×W heatmap (row-major) over its pixels. */
        public double[] sums(float[] heatmap) {
            if (heatmap.length != height * width) throw new IllegalArgumentException(heatmap.length + " heatmap values for " + height + "x" + width);
            double[] out = new double[count()];
            for (int y = 0; y < height; y++) {
                int row = (y / patch) * cols();
                for (int x = 0; x < width; x++) out[row + x / patch] += heatmap[y * width + x];
            }
            return out;
        }

        /** Sets patch p of a [C, H, W] input to the per-channel baseline. */
        void fill(float[] input, int channels, int p, float[] baseline) {
            int y0 = (p / cols()) * patch, x0 = (p % cols()) * patch;
            int y1 = Math.min(height, y0 + patch), x1 = Math.min(width, x0 + patch);
            for (int c = 0; c < channels; c++) {
                int plane = c * height * width;
                for (int y = y0; y < y1; y++) Arrays.fill(input, plane + y * width + x0, plane + y * width + x1, baseline[c]);
            }
        }
    }

    /**
     * Patch indices in removal order: MoRF by relevance descending, LeRF ascending (ties by index), RANDOM a permutation
     * drawn from {@code seed}, RANDOM_REVERSED the same permutation backwards.
     */
    public static int[] order(double[] patchRelevance, Order order, long seed) {
        int n = patchRelevance.length;
        Integer[] idx = new Integer[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        switch (order) {
            case MORF -> Arrays.sort(idx, (a, b) -> Double.compare(patchRelevance[b], patchRelevance[a]));
            case LERF -> Arrays.sort(idx, (a, b) -> Double.compare(patchRelevance[a], patchRelevance[b]));
            case RANDOM, RANDOM_REVERSED -> {
                SplittableRandom rng = new SplittableRandom(seed);
                for (int i = n - 1; i > 0; i--) {
                    int j = rng.nextInt(i + 1);
                    Integer t = idx[i];
                    idx[i] = idx[j];
                    idx[j] = t;
                }
                if (order == Order.RANDOM_REVERSED) java.util.Collections.reverse(Arrays.asList(idx));
            }
        }
        return Arrays.stream(idx).mapToInt(Integer::intValue).toArray();
    }

    /** Patches replaced at step k of L: round(k·P/L), so steps spread the P patches evenly and step L has them all. */
    public static int removedAt(int step, int steps, int patches) {
        return (int) ((2L * step * patches + steps) / (2L * steps));
    }

    /**
     * The inputs of steps {@code from}..{@code to} (inclusive) of an L-step removal in {@code order}, each a copy of
     * the [C, H, W] input {@code x} with its first removedAt(k) patches set to {@code baseline} (one value per channel).
     */
    public static float[][] steps(float[] x, int channels, Grid grid, int[] order, int steps, float[] baseline, int from, int to) {
        if (x.length != channels * grid.height() * grid.width()) throw new IllegalArgumentException(x.length + " input values for " + channels + "x" + grid.height() + "x" + grid.width());
        if (baseline.length != channels) throw new IllegalArgumentException(baseline.length + " baseline values for " + channels + " channels");
        float[] current = x.clone();
        int removed = 0;
        float[][] out = new float[to - from + 1][];
        for (int k = 0; k <= to; k++) {
            int target = removedAt(k, steps, order.length);
            for (; removed < target; removed++) grid.fill(current, channels, order[removed], baseline);
            if (k >= from) out[k - from] = current.clone();
        }
        return out;
    }

    /**
     * Area over the perturbation curve (Samek et al. 2017): the mean over steps 0..L of f(x⁰) − f(xᵏ). A high value
     * for MoRF: the logit falls fast when the most relevant patches go.
     */
    public static double aopc(double[] curve) {
        double sum = 0;
        for (double v : curve) sum += curve[0] - v;
        return sum / curve.length;
    }

    /**
     * Symmetric relevance gain (Blücher et al. 2024): the area under the LeRF curve minus the area under the MoRF curve,
     * i.e. AOPC(MoRF) − AOPC(LeRF) (both curves start at the same f(x⁰)). Positive when the heatmap ranks patches
     * the way the model uses them; about 0 for a random ranking.
     */
    public static double srg(double[] morf, double[] lerf) {
        return aopc(morf) - aopc(lerf);
    }
}
