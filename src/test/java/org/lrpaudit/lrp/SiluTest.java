package org.lrpaudit.lrp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** The vector SiLU kernel against SiLU's definition in float64 and against libnd4j's swish. */
class SiluTest {

    private static double exact(float x) { return x / (1 + Math.exp(-(double) x)); }

    /** Within 4 ulp of the exact value; below x ≈ −87.3, where e^x leaves the normal floats, 0 may stand for a value of magnitude < 1.1e-36. */
    private static void assertClose(double exact, float got, String what) {
        double tolerance = Math.max(4 * Math.ulp((float) exact), 1.1e-36);
        assertTrue(Math.abs(got - exact) <= tolerance, what + ": " + got + " against " + exact);
    }

    @Test void theTestJvmRunsTheVectorKernel() {
        // the build starts every test JVM with --add-modules=jdk.incubator.vector: without it this suite would test libnd4j
        assertTrue(Silu.VECTOR_API, "jdk.incubator.vector is not in this JVM's boot layer");
    }

    @Test void matchesTheDefinitionOverTheWholeFloatRange() {
        int n = 3 * 8192 + 5; // several chunks and a tail shorter than a vector
        float[] x = new float[n];
        java.util.Random random = new java.util.Random(3);
        for (int i = 0; i < n; i++) x[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(7) - 3));
        float[] special = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, 1e-30f, -1e-30f, 1e-7f, -1e-7f, 0.5f, -0.5f, 17f, -17f,
            87f, -87f, 88.7f, -88.7f, 103f, -103f, 1e30f, -1e30f, Float.MAX_VALUE, -Float.MAX_VALUE};
        System.arraycopy(special, 0, x, n - special.length, special.length); // the last ones land in the scalar tail
        System.arraycopy(special, 0, x, 100, special.length);
        float[] y = Silu.apply(Nd4j.createFromArray(x).reshape(1, n)).data().asFloat();
        for (int i = 0; i < n; i++) assertClose(exact(x[i]), y[i], "silu(" + x[i] + ")");
        assertEquals(Float.floatToIntBits(0f), Float.floatToIntBits(y[100])); // silu(±0) = +0
    }

    @Test void agreesWithLibnd4jsSwishOnActivations() {
        Nd4j.getRandom().setSeed(5);
        INDArray a = Nd4j.randn(DataType.FLOAT, 2, 24, 37, 41).muli(4); // 72,816 values: many chunks over the threads
        float[] vector = Silu.apply(a).data().asFloat(), libnd4j = Silu.libnd4j(a).data().asFloat(), x = a.data().asFloat();
        for (int i = 0; i < x.length; i++) {
            assertClose(exact(x[i]), vector[i], "vector silu(" + x[i] + ")");
            assertClose(exact(x[i]), libnd4j[i], "libnd4j swish(" + x[i] + ")");
        }
    }

    @Test void anOffsetViewIsReadAndWrittenInPlace() {
        INDArray a = Nd4j.linspace(-20, 20, 4 * 9000, DataType.FLOAT).reshape(4, 9000);
        INDArray rows = a.get(NDArrayIndex.interval(1, 3)); // dense, but 9,000 floats into the buffer
        float[] y = Silu.apply(rows).data().asFloat(), x = rows.dup().data().asFloat();
        assertEquals(x.length, y.length);
        for (int i = 0; i < x.length; i++) assertClose(exact(x[i]), y[i], "silu(" + x[i] + ") of a view");
    }

    @Test void nanStaysNanAndViewsTakeLibnd4jsPath() {
        INDArray a = Nd4j.createFromArray(new float[] {Float.NaN, 1f, -2f, 3f, -4f, 5f, -6f, 7f, -8f, 9f}).reshape(2, 5);
        assertTrue(Float.isNaN(Silu.apply(a).getFloat(0)));
        INDArray column = a.get(NDArrayIndex.all(), NDArrayIndex.point(2)); // strided: -2 and 7
        INDArray y = Silu.apply(column);
        assertClose(exact(-2f), y.getFloat(0), "silu(-2) of a view");
        assertClose(exact(7f), y.getFloat(1), "silu(7) of a view");
    }
}
