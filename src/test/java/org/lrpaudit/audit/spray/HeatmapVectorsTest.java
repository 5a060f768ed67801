package org.lrpaudit.audit.spray;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.lrpaudit.audit.spray.HeatmapVectors.Normalisation;

class HeatmapVectorsTest {
    @Test
    void evenDownsamplingAveragesBlocks() {
        float[] h = new float[16];
        for (int i = 0; i < 16; i++) h[i] = i; // 4x4, row-major
        double[] v = HeatmapVectors.of(h, 4, 4, 2, Normalisation.ABS);
        double[] blocks = {0 + 1 + 4 + 5, 2 + 3 + 6 + 7, 8 + 9 + 12 + 13, 10 + 11 + 14 + 15};
        double total = Arrays.stream(blocks).sum();
        for (int i = 0; i < 4; i++) assertEquals(blocks[i] / total, v[i], 1e-12);
    }

    /** 28 → 16 cells: each pixel's mass is split between the cells its interval overlaps, none lost or doubled. */
    @Test
    void unevenDownsamplingConservesMass() {
        double[][] w = HeatmapVectors.overlap(28, 16);
        for (int p = 0; p < 28; p++) {
            double sum = 0;
            for (int i = 0; i < 16; i++) sum += w[i][p];
            assertEquals(1.0, sum, 1e-12, "pixel " + p);
        }
        Random rnd = new Random(3);
        float[] h = new float[28 * 28];
        for (int i = 0; i < h.length; i++) h[i] = (float) rnd.nextGaussian();
        double[] v = HeatmapVectors.of(h, 28, 28, 16, Normalisation.ABS);
        assertEquals(256, v.length);
        assertEquals(1.0, Arrays.stream(v).sum(), 1e-12);
        // a single relevant pixel lands in the cell that covers it
        float[] one = new float[28 * 28];
        one[27 * 28 + 27] = 5;
        double[] c = HeatmapVectors.of(one, 28, 28, 16, Normalisation.POSITIVE);
        assertEquals(1.0, c[255], 1e-12);
    }

    @Test
    void positiveNormalisationIgnoresNegativeRelevance() {
        float[] h = {1, -3, 3, 0};
        assertArrayEquals(new double[] {0.25, 0, 0.75, 0}, HeatmapVectors.of(h, 2, 2, 2, Normalisation.POSITIVE), 1e-12);
        assertArrayEquals(new double[] {1 / 7.0, 3 / 7.0, 3 / 7.0, 0}, HeatmapVectors.of(h, 2, 2, 2, Normalisation.ABS), 1e-12);
        assertArrayEquals(new double[4], HeatmapVectors.of(new float[] {-1, -1, 0, 0}, 2, 2, 2, Normalisation.POSITIVE), "no mass: zeros");
    }

    @Test
    void smallHeatmapsAreNotUpsampled() {
        assertArrayEquals(new int[] {8, 12}, HeatmapVectors.shape(8, 12, 16));
        assertEquals(Normalisation.POSITIVE, Normalisation.parse("positive"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Normalisation.parse("l2"));
        assertEquals(true, e.getMessage().contains("abs"));
    }
}
