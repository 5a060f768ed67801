package org.lrpaudit.lrp;

import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * LRP results for a batch of N images. The per-image accessors work on one copy of the batch in Java arrays, made on
 * first use: executors read every image's values, and per-image ND4J calls would cost more than the arithmetic.
 */
public final class Explanation {
    private final INDArray relevance, logits;
    private final int[] targets;
    private final double[][] layerSums;
    private final float[][] concepts;
    private final int n, perImage, channels, plane;
    private float[] relevanceData, logitData;

    /**
     * @param relevance input relevance [N, C, H, W] (or [N, F] for a flat input)
     * @param logits    [N, classes]
     * @param targets   the explained class of each image
     * @param layerSums layerSums[i][l] = Σ relevance at the input of layer l for image i; the last entry is the
     *                  relevance put at the top (the target logit). Null unless requested.
     */
    public Explanation(INDArray relevance, INDArray logits, int[] targets, double[][] layerSums) {
        this(relevance, logits, targets, layerSums, null);
    }

    /**
     * @param concepts per requested concept layer, the relevance at that layer's output summed over its spatial
     *                 positions, N × channels row-major (a flat layer: its units); null when none was requested
     */
    public Explanation(INDArray relevance, INDArray logits, int[] targets, double[][] layerSums, float[][] concepts) {
        this.relevance = relevance;
        this.concepts = concepts;
        this.logits = logits;
        this.targets = targets.clone();
        this.layerSums = layerSums;
        this.n = targets.length;
        this.perImage = (int) (relevance.length() / n);
        this.channels = relevance.rank() == 4 ? (int) relevance.size(1) : 1;
        this.plane = perImage / channels;
    }

    /**
     * One explanation of a batch from those of its consecutive passes, in order; frees the parts' arrays.
     * @param layerSums whether the parts carry layer sums
     */
    static Explanation joined(List<Explanation> parts, boolean layerSums) {
        float[][] perLayer = null;
        int conceptLayers = parts.get(0).concepts == null ? 0 : parts.get(0).concepts.length;
        if (conceptLayers > 0) {
            perLayer = new float[conceptLayers][];
            for (int k = 0; k < conceptLayers; k++) {
                int length = 0, at = 0;
                for (Explanation e : parts) length += e.concepts()[k].length;
                perLayer[k] = new float[length];
                for (Explanation e : parts) {
                    System.arraycopy(e.concepts()[k], 0, perLayer[k], at, e.concepts()[k].length);
                    at += e.concepts()[k].length;
                }
            }
        }
        INDArray relevance = Nd4j.concat(0, parts.stream().map(Explanation::relevance).toArray(INDArray[]::new));
        INDArray logits = Nd4j.concat(0, parts.stream().map(Explanation::logits).toArray(INDArray[]::new));
        int[] chosen = parts.stream().flatMapToInt(e -> Arrays.stream(e.targets())).toArray();
        double[][] sums = layerSums ? parts.stream().flatMap(e -> Arrays.stream(e.layerSums())).toArray(double[][]::new) : null;
        parts.forEach(e -> Release.free(e.relevance(), e.logits()));
        return new Explanation(relevance, logits, chosen, sums, perLayer);
    }

    public INDArray relevance() { return relevance; }

    public INDArray logits() { return logits; }

    public int[] targets() { return targets.clone(); }

    public double[][] layerSums() { return layerSums; }

    public int size() { return n; }

    /** The per-layer concept arrays as given (N × channels each), or null. */
    public float[][] concepts() { return concepts; }

    /** Image i's relevance per channel at the k-th requested concept layer. */
    public float[] concepts(int i, int k) {
        int c = concepts[k].length / n;
        float[] out = new float[c];
        System.arraycopy(concepts[k], i * c, out, 0, c);
        return out;
    }

    private float[] rel() {
        if (relevanceData == null) relevanceData = javaArray(relevance);
        return relevanceData;
    }

    private float[] lg() {
        if (logitData == null) logitData = javaArray(logits);
        return logitData;
    }

    /** The values in row-major order; copies through a temporary only when the array is a view or not row-major. */
    private static float[] javaArray(INDArray a) {
        if (!a.isView() && a.ordering() == 'c' && a.data().length() == a.length()) return a.data().asFloat();
        INDArray copy = a.dup('c');
        float[] out = copy.data().asFloat();
        Release.free(copy);
        return out;
    }

    /** Input relevance of image i, row-major C×H×W. */
    public float[] relevance(int i) {
        float[] out = new float[perImage];
        System.arraycopy(rel(), i * perImage, out, 0, perImage);
        return out;
    }

    /** Heatmap of image i: relevance summed over colour channels, row-major H×W. */
    public float[] heatmap(int i) {
        float[] r = rel(), out = new float[plane];
        int base = i * perImage;
        for (int c = 0; c < channels; c++) {
            for (int p = 0; p < plane; p++) out[p] += r[base + c * plane + p];
        }
        return out;
    }

    public float[] logits(int i) {
        int classes = (int) logits.size(1);
        float[] out = new float[classes];
        System.arraycopy(lg(), i * classes, out, 0, classes);
        return out;
    }

    public int target(int i) { return targets[i]; }

    public int predicted(int i) {
        float[] l = logits(i);
        int best = 0;
        for (int k = 1; k < l.length; k++) if (l[k] > l[best]) best = k;
        return best;
    }

    public float targetLogit(int i) { return lg()[i * (int) logits.size(1) + targets[i]]; }

    /** Softmax of image i's logits (reported alongside; LRP itself explains the logit). */
    public double[] probabilities(int i) {
        float[] l = logits(i);
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (float v : l) max = Math.max(max, v);
        double[] p = new double[l.length];
        for (int k = 0; k < p.length; k++) sum += p[k] = Math.exp(l[k] - max);
        for (int k = 0; k < p.length; k++) p[k] /= sum;
        return p;
    }

    /** Σ of the input relevance of image i. */
    public double relevanceSum(int i) {
        float[] r = rel();
        double sum = 0;
        for (int k = i * perImage, end = k + perImage; k < end; k++) sum += r[k];
        return sum;
    }

    /**
     * Share of the target logit that did not reach the input: absorbed by biases, ε or lost at the rules'
     * stabilisers (negative when the rules created relevance). 0 for a zero logit.
     */
    public double absorbedShare(int i) {
        double top = targetLogit(i);
        return top == 0 ? 0 : 1 - relevanceSum(i) / top;
    }
}
