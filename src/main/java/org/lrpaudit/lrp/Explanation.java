package org.lrpaudit.lrp;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * LRP results for a batch of N images.
 *
 * @param relevance   input relevance [N, C, H, W]
 * @param logits      [N, classes]
 * @param targets     the explained class of each image
 * @param layerSums   layerSums[i][l] = Σ relevance at the input of layer l for image i; the last entry is the
 *                    relevance put at the top (the target logit). Null unless requested.
 */
public record Explanation(INDArray relevance, INDArray logits, int[] targets, double[][] layerSums) {

    public int size() { return targets.length; }

    /** Input relevance of image i, row-major C×H×W. */
    public float[] relevance(int i) { return relevance.get(NDArrayIndex.point(i)).dup().data().asFloat(); }

    /** Heatmap of image i: relevance summed over colour channels, row-major H×W (LRP.md §1.6). */
    public float[] heatmap(int i) {
        return relevance.get(NDArrayIndex.point(i)).sum(0).dup().data().asFloat();
    }

    public float[] logits(int i) { return logits.getRow(i).dup().data().asFloat(); }

    /** Softmax of image i's logits (reported alongside; LRP itself explains the logit). */
    public double[] probabilities(int i) {
        float[] logits = logits(i);
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (float v : logits) max = Math.max(max, v);
        double[] p = new double[logits.length];
        for (int k = 0; k < p.length; k++) sum += p[k] = Math.exp(logits[k] - max);
        for (int k = 0; k < p.length; k++) p[k] /= sum;
        return p;
    }

    public int target(int i) { return targets[i]; }

    public int predicted(int i) { return logits.getRow(i).argMax().getInt(0); }

    public float targetLogit(int i) { return logits.getFloat(i, targets[i]); }

    /** Σ of the input relevance of image i. */
    public double relevanceSum(int i) { return relevance.get(NDArrayIndex.point(i)).sumNumber().doubleValue(); }

    /**
     * Share of the target logit that did not reach the input: absorbed by biases, ε or lost at the rules'
     * stabilisers (negative when the rules created relevance). 0 for a zero logit.
     */
    public double absorbedShare(int i) {
        double top = targetLogit(i);
        return top == 0 ? 0 : 1 - relevanceSum(i) / top;
    }
}
