package org.lrpaudit.lrp;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Layouts of grouped convolution kernels. */
final class Grouping {
    private Grouping() {}

    /** A grouped kernel [O, I/g, kH, kW] as the equivalent dense kernel [O, I, kH, kW], zero across groups. */
    static INDArray ungroup(INDArray w, int groups) {
        if (groups == 1) return w;
        long out = w.size(0), perGroup = w.size(1), outPerGroup = out / groups;
        INDArray dense = Nd4j.zeros(DataType.FLOAT, out, perGroup * groups, w.size(2), w.size(3));
        for (long g = 0; g < groups; g++) {
            dense.get(NDArrayIndex.interval(g * outPerGroup, (g + 1) * outPerGroup), NDArrayIndex.interval(g * perGroup, (g + 1) * perGroup),
                    NDArrayIndex.all(), NDArrayIndex.all()).assign(w.get(NDArrayIndex.interval(g * outPerGroup, (g + 1) * outPerGroup),
                    NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all()));
        }
        return dense;
    }

    /** A dilated kernel as the dense kernel with zeros between its taps (oneDNN refuses dilated convolutions). */
    static INDArray dilate(INDArray w, int dH, int dW) {
        if (dH == 1 && dW == 1) return w;
        long kH = dH * (w.size(2) - 1) + 1, kW = dW * (w.size(3) - 1) + 1;
        INDArray dense = Nd4j.zeros(DataType.FLOAT, w.size(0), w.size(1), kH, kW);
        dense.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, dH, kH), NDArrayIndex.interval(0, dW, kW)).assign(w);
        return dense;
    }
}
