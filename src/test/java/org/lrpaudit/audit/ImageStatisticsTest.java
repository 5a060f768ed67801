package org.lrpaudit.audit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ImageStatisticsTest {

    @Test
    void singleHotPixelInTheCorner() {
        float[] h = new float[10 * 10];
        h[0] = 2f;        // top-left: in the border band, grid cell (0,0)
        h[55] = -1f;      // (5,5): negative, not counted in shares
        ImageStatistics s = ImageStatistics.of(h, 10, 10, 2);
        assertEquals(2, s.positiveSum(), 1e-12);
        assertEquals(-1, s.negativeSum(), 1e-12);
        assertEquals(2, s.maxAbs(), 1e-12);
        assertEquals((0 * 2 + 5 * 1) / 3.0, s.centroidX(), 1e-12);
        assertEquals((0 * 2 + 5 * 1) / 3.0, s.centroidY(), 1e-12);
        assertEquals(1.0, s.borderShare(), 1e-12);
        assertArrayEquals(new float[] {1, 0, 0, 0}, s.gridShares());
        double p1 = 2 / 3.0, p2 = 1 / 3.0;
        assertEquals(-(p1 * Math.log(p1) + p2 * Math.log(p2)) / Math.log(100), s.entropy(), 1e-12);
    }

    @Test
    void uniformHeatmapHasFullEntropyAndAreaProportionalShares() {
        float[] h = new float[20 * 20];
        java.util.Arrays.fill(h, 0.5f);
        ImageStatistics s = ImageStatistics.of(h, 20, 20, 4);
        assertEquals(1.0, s.entropy(), 1e-9);
        assertEquals(1 - (16 * 16) / 400.0, s.borderShare(), 1e-9); // band of 2 pixels on each side
        for (float cell : s.gridShares()) assertEquals(1 / 16.0, cell, 1e-6);
        assertEquals(9.5, s.centroidX(), 1e-9);
    }

    @Test
    void allZeroHeatmapHasNoCentroidAndZeroShares() {
        ImageStatistics s = ImageStatistics.of(new float[28 * 28], 28, 28, 4);
        assertTrue(Double.isNaN(s.centroidX()));
        assertEquals(0, s.entropy());
        assertEquals(0, s.borderShare());
    }
}
