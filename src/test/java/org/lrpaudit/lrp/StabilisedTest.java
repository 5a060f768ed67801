package org.lrpaudit.lrp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** The one-pass division gives libnd4j's three passes bit for bit, zeros and extreme magnitudes included. */
class StabilisedTest {

    /** z with exact zeros, subnormals, tiny, huge and ±Inf-adjacent values; r likewise mixed. */
    private static INDArray[] awkward(long... shape) {
        Nd4j.getRandom().setSeed(7);
        INDArray z = Nd4j.randn(DataType.FLOAT, shape), r = Nd4j.randn(DataType.FLOAT, shape);
        float[] special = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, -1e-30f, 1e-9f, -1e-9f, 3e38f, -3e38f, 1e-12f};
        for (int i = 0; i < special.length; i++) z.putScalar(i * 37L % z.length(), special[i]);
        for (long i = 0; i < z.length(); i += 5) z.putScalar(i, 0f); // many exact zeros, as after a dead ReLU
        r.putScalar(1, 0f);
        return new INDArray[] {r, z};
    }

    @Test void oneStabiliserMatchesTheLibnd4jPassesBitForBit() {
        INDArray[] rz = awkward(3, 5, 17, 19); // 4,845 elements: several blocks, one thread
        for (double e : new double[] {1e-9, 0.25, 0}) {
            INDArray fused = Stabilised.divide(rz[0], rz[1], e), reference = Stabilised.libnd4j(rz[0], rz[1], null, e);
            assertArrayEquals(reference.data().asFloat(), fused.data().asFloat(), 0f, "e = " + e);
        }
    }

    @Test void zeroDenominatorsGiveZeroNeverNanOrInf() {
        INDArray[] rz = awkward(2, 1000);
        INDArray s = Stabilised.divide(rz[0], rz[1], 1e-9);
        for (long i = 0; i < s.length(); i++) {
            float v = s.getFloat(i);
            if (rz[1].getFloat(i) == 0f) assertEquals(0f, v, 0f, "element " + i);
            assertEquals(false, Float.isNaN(v) || Float.isInfinite(v), "element " + i + " = " + v);
        }
    }

    @Test void perImageStabilisersAndManyThreadsMatch() {
        INDArray[] rz = awkward(4, 8, 70, 70); // 156,800 elements: split across threads, blocks end at image borders
        INDArray e = Nd4j.createFromArray(new float[] {1e-3f, 0.5f, 0f, 2f}).reshape(4, 1);
        INDArray fused = Stabilised.divide(rz[0], rz[1], e), reference = Stabilised.libnd4j(rz[0], rz[1], e, 0);
        assertArrayEquals(reference.data().asFloat(), fused.data().asFloat(), 0f);
    }

    @Test void viewsAndDoublesTakeTheirPathAndAgree() {
        INDArray[] rz = awkward(6, 4, 9, 9);
        INDArray r = rz[0].get(NDArrayIndex.interval(2, 5)), z = rz[1].get(NDArrayIndex.interval(2, 5)); // offset views
        INDArray fused = Stabilised.divide(r, z, 1e-9), reference = Stabilised.libnd4j(r.dup(), z.dup(), null, 1e-9);
        assertArrayEquals(reference.data().asFloat(), fused.dup().data().asFloat(), 0f);
        INDArray rd = rz[0].castTo(DataType.DOUBLE), zd = rz[1].castTo(DataType.DOUBLE);
        INDArray sd = Stabilised.divide(rd, zd, 1e-9);
        assertEquals(DataType.DOUBLE, sd.dataType());
        assertEquals(0.0, sd.getDouble(0), 0.0); // z[0] = 0
        assertEquals(rd.getDouble(3) / (zd.getDouble(3) + 1e-9 * Math.signum(zd.getDouble(3))), sd.getDouble(3), 1e-12);
    }
}
