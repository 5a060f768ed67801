package org.lrpaudit.bench;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Seeded random image batches for benchmarks: pixels uniform in [0, 1], then (x − mean)/std. */
public final class Inputs {
    private Inputs() {}

    public static INDArray random(int batch, long[] shape, double mean, double std) {
        Nd4j.getRandom().setSeed(42);
        return Nd4j.rand(DataType.FLOAT, batch, shape[0], shape[1], shape[2]).subi(mean).divi(std);
    }
}
