package org.lrpaudit.lrp;

import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Times an engine's passes layer by layer: a profiling aid for the benchmarks (LayerProfile), not used by the job. It
 * runs the engine's own forward and relevance steps, one layer at a time, with a clock around each.
 */
public final class LayerProfiler {
    private LayerProfiler() {}

    /**
     * Per layer [forward seconds, relevance seconds, resident-memory change over the relevance step in bytes] for one
     * batch explained with the predicted class: the same work as {@link LrpEngine#explain}, minus the NaN check.
     */
    public static double[][] profile(LrpEngine engine, INDArray x) {
        int layers = engine.layerCount();
        INDArray[] acts = new INDArray[layers + 1];
        double[][] t = new double[layers][3];
        acts[0] = engine.checkInput(x);
        for (int l = 0; l < layers; l++) {
            long t0 = System.nanoTime();
            acts[l + 1] = engine.forwardLayer(l, acts);
            t[l][0] = (System.nanoTime() - t0) / 1e9;
        }
        INDArray logits = acts[layers];
        INDArray r = Nd4j.zeros(DataType.FLOAT, logits.shape());
        for (int i = 0; i < logits.size(0); i++) {
            int c = logits.getRow(i).argMax().getInt(0);
            r.putScalar(i, c, logits.getFloat(i, c));
        }
        INDArray[] relevance = new INDArray[layers + 1];
        relevance[layers] = r;
        for (int l = layers - 1; l >= 0; l--) {
            long t0 = System.nanoTime(), rss = Pointer.physicalBytes();
            engine.backwardStep(l, acts, relevance, null);
            t[l][1] = (System.nanoTime() - t0) / 1e9;
            t[l][2] = Pointer.physicalBytes() - rss;
        }
        return t;
    }
}
