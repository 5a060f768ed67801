package org.lrpaudit.model;

import static org.lrpaudit.model.OnnxNodes.floatAttr;
import static org.lrpaudit.model.OnnxNodes.has;
import static org.lrpaudit.model.OnnxNodes.intAttr;
import static org.lrpaudit.model.OnnxNodes.intsOrNull;
import static org.lrpaudit.model.OnnxNodes.stringAttr;
import static org.lrpaudit.model.OnnxNodes.toInts;

import java.util.Arrays;
import onnx.Onnx.NodeProto;

/**
 * The layers with weights: Conv, Gemm, MatMul, and the canonicalisations that touch them — a bias Add or a batch norm
 * folded into the conv or dense layer right before it, and a batch norm that has no such layer imported as a
 * per-channel affine layer of its own.
 */
final class OnnxLinear {
    private OnnxLinear() {}

    static Conv2d conv(OnnxGraphReader g, NodeProto n) {
        Tensor w = g.weight(n, 1);
        if (w.rank() != 4) throw g.unsupported(n, "a " + (w.rank() - 2) + "-D convolution (only 2-D)");
        int groups = (int) intAttr(n, "group", 1);
        if (g.shape == null || g.shape.length != 3 || g.shape[0] != w.dim(1) * groups || w.dim(0) % groups != 0) {
            throw g.unsupported(n, "a kernel " + Arrays.toString(w.shape()) + " with group=" + groups + " on an input of shape "
                    + Arrays.toString(g.shape));
        }
        Tensor b = has(n, 2) ? g.weight(n, 2) : new Tensor(new long[] {w.dim(0)}, new float[(int) w.dim(0)]);
        int[] kernel = {(int) w.dim(2), (int) w.dim(3)};
        int[] stride = toInts(OnnxConverters.orDefault(intsOrNull(n, "strides"), new long[] {1, 1}));
        int[] dilation = toInts(OnnxConverters.orDefault(intsOrNull(n, "dilations"), new long[] {1, 1}));
        return new Conv2d(n.getName(), w, b, stride, pads(g, n, kernel, stride, dilation), dilation, groups);
    }

    /** Explicit pads {top, left, bottom, right}, resolving auto_pad against the current input size. */
    static int[] pads(OnnxGraphReader g, NodeProto n, int[] kernel, int[] stride, int[] dilation) {
        String autoPad = stringAttr(n, "auto_pad", "NOTSET");
        if (autoPad.equals("NOTSET")) {
            long[] p = OnnxConverters.orDefault(intsOrNull(n, "pads"), new long[] {0, 0, 0, 0});
            if (p.length != 4) throw g.unsupported(n, "pads " + Arrays.toString(p));
            return new int[] {(int) p[0], (int) p[1], (int) p[2], (int) p[3]};
        }
        if (autoPad.equals("VALID")) return new int[4];
        if (!autoPad.startsWith("SAME")) throw g.unsupported(n, "auto_pad=" + autoPad);
        int[] pads = new int[4];
        for (int i = 0; i < 2; i++) {
            long in = g.shape[i + 1];
            long out = (in + stride[i] - 1) / stride[i];
            long total = Math.max(0, (out - 1) * stride[i] + (long) dilation[i] * (kernel[i] - 1) + 1 - in);
            int small = (int) (total / 2), large = (int) (total - total / 2);
            boolean upper = autoPad.equals("SAME_UPPER");
            pads[i] = upper ? small : large;
            pads[i + 2] = upper ? large : small;
        }
        return pads;
    }

    static Dense gemm(OnnxGraphReader g, NodeProto n) {
        if (intAttr(n, "transA", 0) != 0) throw g.unsupported(n, "Gemm with transA=1");
        if (g.layout.logicalRank(g.shape.length) != 2 || g.layout.axis() != 0) {
            throw g.unsupported(n, "Gemm on a " + Arrays.toString(g.shape) + " input with its " + g.layout + " (Gemm takes [N, features])");
        }
        float alpha = floatAttr(n, "alpha", 1f), beta = floatAttr(n, "beta", 1f);
        Tensor b = g.weight(n, 1);
        if (b.rank() != 2) throw g.unsupported(n, "Gemm with a " + b.rank() + "-D weight");
        Tensor w = intAttr(n, "transB", 0) != 0 ? b : transpose(b); // as [out, in]
        if (alpha != 1f) w = w.map(v -> v * alpha);
        int out = (int) w.dim(0);
        float[] bias = new float[out];
        if (has(n, 2)) {
            float[] c = broadcastBias(g, n, g.weight(n, 2), out);
            for (int i = 0; i < out; i++) bias[i] = beta * c[i];
        }
        return new Dense(n.getName(), w, new Tensor(new long[] {out}, bias));
    }

    /** x · W with a constant W [in, out]: a dense layer on the last axis (a vector, or the features of each position). */
    static Dense matmul(OnnxGraphReader g, NodeProto n) {
        if (g.activations.size() != 1 || !n.getInput(0).equals(g.current)) {
            throw g.unsupported(n, "MatMul with the weights on the left");
        }
        if (g.layout.perImageAxis(g.layout.logicalRank(g.shape.length) - 1) < 0) throw g.unsupported(n, "MatMul over the axis holding the batch");
        Tensor b = g.weight(n, 1);
        if (b.rank() != 2) throw g.unsupported(n, "MatMul with a " + b.rank() + "-D weight");
        int out = (int) b.dim(1);
        return new Dense(n.getName(), transpose(b), new Tensor(new long[] {out}, new float[out]));
    }

    /**
     * Add (or Sub) of a constant: the bias of the conv or dense layer right before it when nothing else reads that
     * layer's output, else a {@link Shift} layer.
     */
    static void addConstant(OnnxGraphReader g, NodeProto n, boolean subtract) {
        Tensor c = OnnxConverters.constant(g, n, g.constantOperand(n), false);
        if (subtract) c = c.map(v -> -v);
        Integer p = foldTarget(g);
        if (p != null) {
            Layer last = g.layers.get(p);
            int out = last instanceof Dense d ? d.outFeatures() : ((Conv2d) last).outChannels();
            long[] s = c.shape();
            boolean perChannel = last instanceof Conv2d && c.size() == out && s.length == 3 && s[1] == 1 && s[2] == 1;
            boolean perFeature = last instanceof Dense && s.length <= 1;
            if ((perChannel || perFeature || c.size() == 1) && (c.size() == out || c.size() == 1)) {
                float[] add = broadcastBias(g, n, c, out);
                g.layers.set(p, last instanceof Dense d ? d.withWeights(d.weight(), plus(d.bias(), add))
                        : ((Conv2d) last).withWeights(((Conv2d) last).weight(), plus(((Conv2d) last).bias(), add)));
                g.alias(n);
                return;
            }
        }
        g.addLayer(n, new Shift(n.getName(), c));
    }

    /**
     * A batch norm y = γ (x − μ)/sqrt(σ² + eps) + β: folded into the preceding conv/dense layer's weights and bias per
     * output channel when it directly follows one; otherwise (after a Concat, a ReLU, at the input: DenseNet's
     * BN–ReLU–Conv) a per-channel affine layer of its own, which takes the composite's rule like a conv.
     */
    static void batchNorm(OnnxGraphReader g, NodeProto n) {
        float eps = floatAttr(n, "epsilon", 1e-5f);
        float[] gamma = g.weight(n, 1).data(), beta = g.weight(n, 2).data(), mean = g.weight(n, 3).data(), var = g.weight(n, 4).data();
        int channels = gamma.length;
        if (beta.length != channels || mean.length != channels || var.length != channels) {
            throw g.unsupported(n, "BatchNormalization with parameters of different lengths");
        }
        double[] scale = new double[channels];
        for (int c = 0; c < channels; c++) scale[c] = gamma[c] / Math.sqrt((double) var[c] + eps);
        Integer p = foldTarget(g);
        if (p != null && g.layers.get(p) instanceof Dense && g.shape.length != 1) p = null; // its features are not BN's channels
        if (p == null) {
            if (g.shape.length != 3 || g.shape[0] != channels) {
                throw g.unsupported(n, "a BatchNormalization over " + channels + " channels of a " + Arrays.toString(g.shape)
                        + " input that does not follow a Conv/Gemm/MatMul");
            }
            float[] s = new float[channels], t = new float[channels];
            for (int c = 0; c < channels; c++) {
                s[c] = (float) scale[c];
                t[c] = (float) (beta[c] - mean[c] * scale[c]);
            }
            g.addLayer(n, Conv2d.channelAffine(n.getName(), s, t));
            g.notes.add("BatchNormalization '" + n.getName() + "' kept as a per-channel affine layer (depthwise 1x1 conv): nothing to fold it into");
            return;
        }
        Layer last = g.layers.get(p);
        Tensor w = last instanceof Dense d ? d.weight() : ((Conv2d) last).weight();
        Tensor b = last instanceof Dense d ? d.bias() : ((Conv2d) last).bias();
        int out = (int) w.dim(0);
        if (channels != out) throw g.unsupported(n, "BatchNormalization over " + channels + " channels after a layer with " + out);
        float[] nw = w.data().clone(), nb = new float[out];
        int per = nw.length / out;
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < per; i++) nw[o * per + i] = (float) (w.data()[o * per + i] * scale[o]);
            nb[o] = (float) ((b.data()[o] - mean[o]) * scale[o] + beta[o]);
        }
        Tensor newW = new Tensor(w.shape(), nw), newB = new Tensor(new long[] {out}, nb);
        g.layers.set(p, last instanceof Dense d ? d.withWeights(newW, newB) : ((Conv2d) last).withWeights(newW, newB));
        g.notes.add("BatchNormalization '" + n.getName() + "' folded into '" + last.name() + "'");
        g.alias(n);
    }

    /**
     * The conv/dense layer a bias or batch norm may fold into: it produces the node's input and nothing else reads that
     * output, so changing it changes only what this node computes. A batch norm folds into a dense layer only when it
     * normalises the features of a vector. Null if there is none.
     */
    private static Integer foldTarget(OnnxGraphReader g) {
        Integer p = g.producerOf(g.current);
        if (p == null || p < 0 || g.consumersOf(g.current).size() != 1) return null;
        Layer l = g.layers.get(p);
        return l instanceof Conv2d || l instanceof Dense ? p : null;
    }

    private static float[] broadcastBias(OnnxGraphReader g, NodeProto n, Tensor c, int out) {
        long size = c.size();
        if (size == out) return c.data();
        if (size == 1) { float[] f = new float[out]; Arrays.fill(f, c.data()[0]); return f; }
        throw g.unsupported(n, "bias of shape " + Arrays.toString(c.shape()) + " for " + out + " outputs");
    }

    private static Tensor transpose(Tensor t) {
        int r = (int) t.dim(0), c = (int) t.dim(1);
        float[] out = new float[r * c];
        float[] in = t.data();
        for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) out[j * r + i] = in[i * c + j];
        return new Tensor(new long[] {c, r}, out);
    }

    private static Tensor plus(Tensor bias, float[] add) {
        float[] out = bias.data().clone();
        for (int i = 0; i < out.length; i++) out[i] += add[i];
        return new Tensor(bias.shape(), out);
    }
}
