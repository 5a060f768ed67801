package org.lrpaudit.lrp;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Sums of relevance taken during the backward pass: per image at each layer ({@link Explanation#layerSums}, a
 * conservation diagnostic) and per channel at a concept layer ({@link Explanation#concepts}). Both in double: a
 * layer's relevance mixes large positive and negative values, and float sums of a few thousand of them drift by 1e-5
 * of the logit.
 */
final class RelevanceSums {
    private RelevanceSums() {}

    /** Adds Σ relevance per image of what a layer passed down (over all its inputs), or of the initial relevance. */
    static void addPerImage(double[][] sums, int layer, INDArray... rs) {
        for (INDArray r : rs) {
            if (r == null) continue; // an input that receives no relevance (a gate)
            INDArray wide = r.reshape(r.size(0), r.length() / r.size(0)).castTo(DataType.DOUBLE), s = wide.sum(1);
            for (int i = 0; i < sums.length; i++) sums[i][layer] += s.getDouble(i);
            Release.free(wide, s);
        }
    }

    /** Relevance per channel, N × C row-major in Java: [N, C, H, W] summed over H and W, [N, F] as it is. */
    static float[] perChannel(INDArray r, int n) {
        int channels = (int) r.size(1);
        if (r.rank() == 2) {
            INDArray copy = r.dup('c');
            float[] out = copy.data().asFloat();
            Release.free(copy);
            return out;
        }
        INDArray wide = r.reshape(n, channels, -1).castTo(DataType.DOUBLE), perChannel = wide.sum(2);
        double[] sums = perChannel.data().asDouble();
        Release.free(wide, perChannel);
        float[] out = new float[sums.length];
        for (int k = 0; k < out.length; k++) out[k] = (float) sums[k];
        return out;
    }
}
