package org.lrpaudit.audit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.lrpaudit.audit.RegionPerturbation.Grid;
import org.lrpaudit.audit.RegionPerturbation.Order;

/** The perturbation arithmetic on hand-computed cases. */
class RegionPerturbationTest {

    @Test
    void patchSumsCoverEveryPixelOnceIncludingNarrowEdges() {
        Grid g = new Grid(5, 5, 2); // 3x3 patches, the last row and column 1 pixel wide
        assertEquals(9, g.count());
        float[] h = new float[25];
        for (int i = 0; i < 25; i++) h[i] = i;
        double[] s = g.sums(h);
        assertEquals(0 + 1 + 5 + 6, s[0], 0);
        assertEquals(4 + 9, s[2], 0);       // column 4, rows 0-1
        assertEquals(24, s[8], 0);          // the corner pixel alone
        assertEquals(300, Arrays.stream(s).sum(), 0);
    }

    @Test
    void ordersAndTheRandomFloorsReverse() {
        double[] r = {1, 4, -2, 3};
        assertArrayEquals(new int[] {1, 3, 0, 2}, RegionPerturbation.order(r, Order.MORF, 0));
        assertArrayEquals(new int[] {2, 0, 3, 1}, RegionPerturbation.order(r, Order.LERF, 0));
        int[] random = RegionPerturbation.order(r, Order.RANDOM, 7), reversed = RegionPerturbation.order(r, Order.RANDOM_REVERSED, 7);
        assertArrayEquals(new int[] {0, 1, 2, 3}, Arrays.stream(random).sorted().toArray());
        for (int i = 0; i < 4; i++) assertEquals(random[i], reversed[3 - i]);
        assertArrayEquals(random, RegionPerturbation.order(r, Order.RANDOM, 7)); // the same seed, the same order
    }

    @Test
    void stepsSpreadThePatchesEvenlyAndEndWithAllRemoved() {
        assertEquals(0, RegionPerturbation.removedAt(0, 16, 49));
        assertEquals(3, RegionPerturbation.removedAt(1, 16, 49));   // 3.06
        assertEquals(25, RegionPerturbation.removedAt(8, 16, 49));  // 24.5 rounds up
        assertEquals(49, RegionPerturbation.removedAt(16, 16, 49));
        assertEquals(2, RegionPerturbation.removedAt(1, 2, 4));
    }

    /**
     * A linear model on a 1x4x4 input, logit = Σ w·x, so with baseline 0 removing a patch subtracts exactly its
     * contribution. Patches (2x2) contribute 4, 1, −2, 3: f(x⁰) = 6.
     * MoRF (4, 3, 1, −2): 6, 2, −1, −2, 0 → AOPC = (0 + 4 + 7 + 8 + 6) / 5 = 5.
     * LeRF (−2, 1, 3, 4): 6, 8, 7, 4, 0 → AOPC = (0 − 2 − 1 + 2 + 6) / 5 = 1. SRG = 4.
     * With L = 2 (two patches a step): MoRF 6, −1, 0 → 13/3; LeRF 6, 7, 0 → 5/3; SRG = 8/3.
     */
    @Test
    void aopcAndSrgOfALinearModelByHand() {
        Grid g = new Grid(4, 4, 2);
        float[] x = new float[16], w = new float[16];
        double[] contribution = {4, 1, -2, 3};
        for (int y = 0; y < 4; y++) {
            for (int c = 0; c < 4; c++) {
                int p = (y / 2) * 2 + c / 2;
                x[y * 4 + c] = 1 + y + c;                                     // any positive pixels
                w[y * 4 + c] = (float) (contribution[p] / 4 / x[y * 4 + c]);  // each pixel a quarter of its patch's share
            }
        }
        float[] heatmap = new float[16];
        for (int i = 0; i < 16; i++) heatmap[i] = w[i] * x[i]; // LRP-0 of a linear model
        double[] morf = curve(x, w, g, RegionPerturbation.order(g.sums(heatmap), Order.MORF, 0), 4);
        double[] lerf = curve(x, w, g, RegionPerturbation.order(g.sums(heatmap), Order.LERF, 0), 4);
        assertArrayEquals(new double[] {6, 2, -1, -2, 0}, morf, 1e-5);
        assertArrayEquals(new double[] {6, 8, 7, 4, 0}, lerf, 1e-5);
        assertEquals(5, RegionPerturbation.aopc(morf), 1e-5);
        assertEquals(1, RegionPerturbation.aopc(lerf), 1e-5);
        assertEquals(4, RegionPerturbation.srg(morf, lerf), 1e-5);

        double[] morf2 = curve(x, w, g, RegionPerturbation.order(g.sums(heatmap), Order.MORF, 0), 2);
        double[] lerf2 = curve(x, w, g, RegionPerturbation.order(g.sums(heatmap), Order.LERF, 0), 2);
        assertArrayEquals(new double[] {6, -1, 0}, morf2, 1e-5);
        assertArrayEquals(new double[] {6, 7, 0}, lerf2, 1e-5);
        assertEquals(8.0 / 3, RegionPerturbation.srg(morf2, lerf2), 1e-5);
    }

    @Test
    void onlyTheRemovedPatchesChangeAndEveryChannelTakesItsBaseline() {
        Grid g = new Grid(2, 4, 2); // patches: 0 = columns 0-1, 1 = columns 2-3
        float[] x = new float[16];
        Arrays.fill(x, 9);
        float[][] steps = RegionPerturbation.steps(x, 2, g, new int[] {1, 0}, 2, new float[] {-1, -2}, 0, 2);
        assertArrayEquals(x, steps[0]);
        assertArrayEquals(new float[] {9, 9, -1, -1, 9, 9, -1, -1, 9, 9, -2, -2, 9, 9, -2, -2}, steps[1]);
        assertArrayEquals(new float[] {-1, -1, -1, -1, -1, -1, -1, -1, -2, -2, -2, -2, -2, -2, -2, -2}, steps[2]);
        assertEquals(9, x[0]); // the input is not modified
    }

    @Test
    void aPatchLargerThanTheImageIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Grid(4, 4, 5));
    }

    private static double[] curve(float[] x, float[] w, Grid g, int[] order, int steps) {
        float[][] inputs = RegionPerturbation.steps(x, 1, g, order, steps, new float[] {0}, 0, steps);
        double[] out = new double[inputs.length];
        for (int k = 0; k < inputs.length; k++) for (int i = 0; i < x.length; i++) out[k] += w[i] * inputs[k][i];
        return out;
    }
}
