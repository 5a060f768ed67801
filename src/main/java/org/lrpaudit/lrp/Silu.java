package org.lrpaudit.lrp;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Swish;
import org.nd4j.linalg.factory.Nd4j;

/**
 * SiLU, x·σ(x), EfficientNet's activation: with libnd4j's swish, whose exponential runs one value at a time, its 49
 * SiLUs took a third of the forward pass. When the JVM runs with the JDK's vector API
 * ({@code --add-modules=jdk.incubator.vector}: scripts/lrp-audit, the tests and the benchmarks start it so)
 * {@link VectorSilu} computes it eight floats at a time, straight over the arrays' native memory, in chunks spread over
 * libnd4j's thread count; without the module, and for doubles and strided views, libnd4j's op runs.
 * {@code -Dlrp.libnd4jSilu=true} forces libnd4j's, to compare.
 */
final class Silu {
    private Silu() {}

    /** Whether this JVM can run the vector kernel (the incubator module is resolved only when asked for at start). */
    static final boolean VECTOR_API = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
            && !Boolean.getBoolean("lrp.libnd4jSilu");

    private static final int CHUNK = 8192; // floats per unit of work: 32 KB in, 32 KB out

    static INDArray apply(INDArray a) {
        if (!VECTOR_API || !JavaKernels.plainFloat(a)) return libnd4j(a);
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, a.shape());
        ByteBuffer in = a.data().asNio(), to = out.data().asNio();
        int inAt = (int) a.offset(), outAt = (int) out.offset(), length = (int) a.length();
        JavaKernels.parallel((length + CHUNK - 1) / CHUNK, (from, end) -> {
            ByteBuffer iv = in.duplicate().order(ByteOrder.nativeOrder()), ov = to.duplicate().order(ByteOrder.nativeOrder());
            for (int part = from; part < end; part++) {
                int start = part * CHUNK, n = Math.min(CHUNK, length - start);
                VectorSilu.apply(iv, inAt + start, ov, outAt + start, n);
            }
        });
        return out;
    }

    static INDArray libnd4j(INDArray a) {
        return Nd4j.exec(new Swish(a, a.ulike()));
    }
}
