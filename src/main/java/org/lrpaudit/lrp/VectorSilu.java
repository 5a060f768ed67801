package org.lrpaudit.lrp;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * SiLU with the JDK's vector API (loaded only when the JVM has the module: see {@link Silu}). With e = exp(−|x|) ≤ 1,
 * x·σ(x) = (max(x, 0) + min(x, 0)·e) / (1 + e): for x ≥ 0 that is x / (1 + e^−x), for x < 0 it is x·e^x / (1 + e^x).
 * One exponential of a non-positive argument: no overflow, no cancellation, no branch to select. Within 4 ulp of the
 * exact value over the whole float range, as libnd4j's swish is (SiluTest).
 */
final class VectorSilu {
    private VectorSilu() {}

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

    /** n floats from float index inAt of in to float index outAt of out (native-order buffers over native memory). */
    static void apply(ByteBuffer in, int inAt, ByteBuffer out, int outAt, int n) {
        ByteOrder order = ByteOrder.nativeOrder();
        int i = 0;
        for (int bound = SPECIES.loopBound(n); i < bound; i += SPECIES.length()) {
            FloatVector x = FloatVector.fromByteBuffer(SPECIES, in, (inAt + i) * Float.BYTES, order);
            FloatVector e = x.abs().neg().lanewise(VectorOperators.EXP);
            x.max(0f).add(x.min(0f).mul(e)).div(e.add(1f)).intoByteBuffer(out, (outAt + i) * Float.BYTES, order);
        }
        for (; i < n; i++) out.putFloat((outAt + i) * Float.BYTES, scalar(in.getFloat((inAt + i) * Float.BYTES)));
    }

    /** The same formula one value at a time (the tail of a chunk). */
    static float scalar(float v) {
        float e = (float) Math.exp(-Math.abs(v));
        return (Math.max(v, 0f) + Math.min(v, 0f) * e) / (1f + e);
    }
}
