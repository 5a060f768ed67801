package org.lrpaudit.lrp;

import java.util.ArrayList;
import java.util.List;
import org.lrpaudit.model.Add;
import org.lrpaudit.model.AvgPool2d;
import org.lrpaudit.model.Clip;
import org.lrpaudit.model.Concat;
import org.lrpaudit.model.Conv2d;
import org.lrpaudit.model.Dense;
import org.lrpaudit.model.Flatten;
import org.lrpaudit.model.GlobalAvgPool;
import org.lrpaudit.model.Layer;
import org.lrpaudit.model.MaxPool2d;
import org.lrpaudit.model.PoolWindow;
import org.lrpaudit.model.Pad2d;
import org.lrpaudit.model.Relu;
import org.lrpaudit.model.Scale;
import org.lrpaudit.model.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * A layer turned into ND4J arrays, with its LRP rule bound: the engine's unit of work. Immutable and shared by
 * threads; all per-call state lives in the arrays passed in.
 */
abstract class PreparedLayer {

    /** Forward pass for a batch. */
    abstract INDArray forward(INDArray a);

    /** Relevance at the layer's input, given its input a, its output z and the relevance r at its output. */
    abstract INDArray relevance(INDArray a, INDArray z, INDArray r);

    /** Forward pass of a layer with any number of inputs (all but Add and Concat take one). */
    INDArray forward(INDArray[] in) { return forward(in[0]); }

    /** Relevance at each input. */
    INDArray[] relevance(INDArray[] a, INDArray z, INDArray r) { return new INDArray[] {relevance(a[0], z, r)}; }

    /** Whether {@link #relevance} reads the output z; if not, a following ReLU may work in place on it. */
    boolean needsOutput() { return true; }

    /** The arrays kept for the engine's lifetime (weights, ρ-weights, constants), for the memory model. */
    List<INDArray> held() { return List.of(); }

    /** A ReLU that overwrites its input instead of copying it: saves one activation per layer. */
    static PreparedLayer inPlaceRelu() { return new ReluLayer(false); }

    static PreparedLayer of(Layer layer, java.util.List<long[]> inputShapes, Rule rule, MaxPoolMode poolMode, RulePropagator.BoxBounds bounds) {
        long[] inputShape = inputShapes.get(0);
        if (layer instanceof Add) return new Sum();
        if (layer instanceof Concat) return new ChannelConcat(inputShapes.stream().mapToLong(sh -> sh[0]).toArray());
        if (layer instanceof Clip c) return new ClipLayer(c.low(), c.high());
        if (layer instanceof Scale sc) return new ScaleLayer(sc.factors());
        if (layer instanceof Pad2d p) return new PadLayer(p.pads());
        if (layer instanceof Conv2d c) return new Linear(LinearOp.of(c, inputShape), c.weight(), c.bias(), rule, bounds);
        if (layer instanceof Dense d) return new Linear(LinearOp.of(d), d.weight(), d.bias(), rule, bounds);
        if (layer instanceof Relu) return new ReluLayer(true);
        if (layer instanceof Flatten) return new FlattenLayer(inputShape);
        if (layer instanceof MaxPool2d m) return new MaxPool(m.window(), poolMode);
        if (layer instanceof AvgPool2d p) return new AvgPool(p.window(), p.countIncludePad());
        if (layer instanceof GlobalAvgPool) return new GlobalAvg();
        throw new IllegalArgumentException("no engine support for layer " + layer.name() + " (" + layer.type() + ")");
    }

    static INDArray array(Tensor t) {
        return Nd4j.create(t.data(), t.shape(), DataType.FLOAT);
    }

    /** Conv or dense with its rule. */
    private static final class Linear extends PreparedLayer {
        private final LinearOp op;
        private final INDArray w, b;
        private final RulePropagator rule;

        Linear(LinearOp op, Tensor weight, Tensor bias, Rule rule, RulePropagator.BoxBounds bounds) {
            this.op = op;
            INDArray modelLayout = array(weight);
            this.w = op.weights(modelLayout);
            this.b = array(bias);
            this.rule = RulePropagator.of(rule, op, modelLayout, b, bounds);
        }

        @Override INDArray forward(INDArray a) { return op.forward(a, w, b); }

        @Override INDArray relevance(INDArray a, INDArray z, INDArray r) { return rule.relevance(a, z, r); }

        @Override boolean needsOutput() { return rule.needsOutput(); }

        @Override List<INDArray> held() {
            List<INDArray> all = new ArrayList<>(List.of(w, b));
            all.addAll(rule.held());
            return all;
        }
    }

    private static final class ReluLayer extends PreparedLayer {
        private final boolean copy;

        ReluLayer(boolean copy) { this.copy = copy; }

        @Override INDArray forward(INDArray a) { return Transforms.relu(a, copy); }
        @Override INDArray relevance(INDArray a, INDArray z, INDArray r) { return r; }
        @Override boolean needsOutput() { return false; }
    }

    private static final class FlattenLayer extends PreparedLayer {
        private final long[] inputShape;

        FlattenLayer(long[] inputShape) { this.inputShape = inputShape.clone(); }

        @Override INDArray forward(INDArray a) { return a.reshape('c', a.size(0), a.length() / a.size(0)); }

        @Override INDArray relevance(INDArray a, INDArray z, INDArray r) {
            long[] shape = new long[inputShape.length + 1];
            shape[0] = r.size(0);
            System.arraycopy(inputShape, 0, shape, 1, inputShape.length);
            return r.reshape('c', shape);
        }
    }

    /** Sliding-window pooling through libnd4j's pooling ops (NCHW, symmetric padding). */
    private abstract static class Pool extends PreparedLayer {
        final int[] args;

        Pool(PoolWindow window, int divisorMode) {
            if (!window.symmetricPadding()) {
                throw new IllegalArgumentException("asymmetric pooling padding " + window + " is not supported");
            }
            int[] k = window.kernel(), s = window.stride(), p = window.pads();
            args = new int[] {k[0], k[1], s[0], s[1], p[0], p[1], 1, 1, 0, divisorMode, 0};
        }

        INDArray pool(String op, INDArray a) {
            long[] in = a.shape();
            long oh = (in[2] + 2L * args[4] - args[0]) / args[2] + 1, ow = (in[3] + 2L * args[5] - args[1]) / args[3] + 1;
            INDArray out = Nd4j.createUninitialized(DataType.FLOAT, in[0], in[1], oh, ow);
            Nd4j.exec(DynamicCustomOp.builder(op).addInputs(a).addOutputs(out).addIntegerArguments(args).build());
            return out;
        }

        INDArray poolBackward(String op, INDArray a, INDArray gradOut) {
            INDArray out = Nd4j.create(DataType.FLOAT, a.shape());
            Nd4j.exec(DynamicCustomOp.builder(op).addInputs(a, gradOut).addOutputs(out).addIntegerArguments(args).build());
            return out;
        }

        /** z-rule through an average: R_in = a ⊙ avgpoolᵀ(R / avgpool(a)). */
        INDArray averageRelevance(INDArray a, INDArray z, INDArray r) {
            INDArray s = Stabilised.divide(r, z, Rule.STABILISER);
            INDArray c = poolBackward("avgpool2d_bp", a, s);
            Release.free(s);
            return c.muli(a);
        }
    }

    private static final class MaxPool extends Pool {
        private final MaxPoolMode mode;

        MaxPool(PoolWindow window, MaxPoolMode mode) {
            super(window, 1);
            this.mode = mode;
        }

        @Override INDArray forward(INDArray a) { return pool("maxpool2d", a); }

        @Override boolean needsOutput() { return false; }

        @Override INDArray relevance(INDArray a, INDArray z, INDArray r) {
            if (mode == MaxPoolMode.WTA) return poolBackward("maxpool2d_bp", a, r);
            INDArray average = pool("avgpool2d", a); // the forward kept the max; LRP sees an average
            INDArray out = averageRelevance(a, average, r);
            Release.free(average);
            return out;
        }
    }

    private static final class AvgPool extends Pool {
        AvgPool(PoolWindow window, boolean countIncludePad) { super(window, countIncludePad ? 1 : 0); }

        @Override INDArray forward(INDArray a) { return pool("avgpool2d", a); }

        @Override INDArray relevance(INDArray a, INDArray z, INDArray r) { return averageRelevance(a, z, r); }
    }

    private static final class GlobalAvg extends PreparedLayer {
        @Override INDArray forward(INDArray a) {
            return a.mean(2, 3).reshape(a.size(0), a.size(1), 1, 1);
        }

        @Override INDArray relevance(INDArray a, INDArray z, INDArray r) {
            INDArray s = Stabilised.divide(r, z, Rule.STABILISER).divi(a.size(2) * a.size(3));
            // a ⊙ s with s [N, C, 1, 1] spread over H, W: as rows × column vector, ND4J's fast broadcast (INDArray.mul
            // with a [N, C, 1, 1] operand took 48 ms on ResNet-50's 2048×7×7, this takes well under 1 ms)
            INDArray rows = a.dup('c').reshape('c', a.size(0) * a.size(1), a.size(2) * a.size(3));
            rows.muliColumnVector(s.reshape('c', a.size(0) * a.size(1), 1));
            Release.free(s);
            return rows.reshape('c', a.shape());
        }
    }

    /**
     * A residual sum: relevance is split by contribution, R_i = x_i·R / (z + ε·sign(z)) with z = Σx_i and ε a pure
     * stabiliser ({@link #ADD_STABILISER}, as Zennit's canonised residual blocks), so Σ R_i = R up to ε.
     */
    private static final class Sum extends PreparedLayer {
        @Override INDArray forward(INDArray a) { throw new IllegalStateException("add takes several inputs"); }

        @Override INDArray relevance(INDArray a, INDArray z, INDArray r) { throw new IllegalStateException("add takes several inputs"); }

        @Override INDArray forward(INDArray[] in) {
            INDArray out = in[0].dup();
            for (int k = 1; k < in.length; k++) out.addi(in[k]);
            return out;
        }

        @Override INDArray[] relevance(INDArray[] a, INDArray z, INDArray r) {
            INDArray s = Stabilised.divide(r, z, ADD_STABILISER);
            INDArray[] out = new INDArray[a.length];
            for (int k = 0; k < a.length - 1; k++) out[k] = a[k].mul(s);
            out[a.length - 1] = s.muli(a[a.length - 1]); // the last input reuses s: one activation-sized allocation less
            return out;
        }
    }

    /** ε of the residual split: only keeps the division finite. */
    static final double ADD_STABILISER = 1e-6;

    /** Channel concatenation: each input gets the relevance of its own channels. */
    private static final class ChannelConcat extends PreparedLayer {
        private final long[] channels;

        ChannelConcat(long[] channels) { this.channels = channels.clone(); }

        @Override INDArray forward(INDArray a) { throw new IllegalStateException("concat takes several inputs"); }

        @Override INDArray relevance(INDArray a, INDArray z, INDArray r) { throw new IllegalStateException("concat takes several inputs"); }

        @Override INDArray forward(INDArray[] in) { return Nd4j.concat(1, in); }

        @Override boolean needsOutput() { return false; }

        @Override INDArray[] relevance(INDArray[] a, INDArray z, INDArray r) {
            INDArray[] out = new INDArray[a.length];
            long start = 0;
            for (int k = 0; k < a.length; k++) {
                out[k] = r.get(NDArrayIndex.all(), NDArrayIndex.interval(start, start + channels[k]), NDArrayIndex.all(), NDArrayIndex.all()).dup();
                start += channels[k];
            }
            return out;
        }
    }

    /** Clip (ReLU6 and the like): relevance passes through, as for ReLU. */
    private static final class ClipLayer extends PreparedLayer {
        private final float low, high;

        ClipLayer(float low, float high) {
            this.low = low;
            this.high = high;
        }

        @Override INDArray forward(INDArray a) { return Transforms.min(Transforms.max(a, low, true), high, false); }

        @Override INDArray relevance(INDArray a, INDArray z, INDArray r) { return r; }

        @Override boolean needsOutput() { return false; }
    }

    /** Multiplication by a constant (per channel): relevance passes through. */
    private static final class ScaleLayer extends PreparedLayer {
        private final INDArray factors;

        ScaleLayer(float[] f) { factors = f.length == 1 ? Nd4j.scalar(f[0]) : Nd4j.create(f, new long[] {1, f.length, 1, 1}, DataType.FLOAT); }

        @Override INDArray forward(INDArray a) { return factors.isScalar() ? a.mul(factors.getFloat(0)) : a.mul(factors); }

        @Override List<INDArray> held() { return List.of(factors); }

        @Override INDArray relevance(INDArray a, INDArray z, INDArray r) { return r; }

        @Override boolean needsOutput() { return false; }
    }

    /** Zero padding: the forward pass embeds the input, relevance is cropped back (the padding carries none). */
    private static final class PadLayer extends PreparedLayer {
        private final int[] pads; // top, left, bottom, right

        PadLayer(int[] pads) { this.pads = pads.clone(); }

        @Override INDArray forward(INDArray a) {
            long[] s = a.shape();
            INDArray out = Nd4j.zeros(DataType.FLOAT, s[0], s[1], s[2] + pads[0] + pads[2], s[3] + pads[1] + pads[3]);
            out.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(pads[0], pads[0] + s[2]),
                    NDArrayIndex.interval(pads[1], pads[1] + s[3])).assign(a);
            return out;
        }

        @Override INDArray relevance(INDArray a, INDArray z, INDArray r) {
            return r.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(pads[0], pads[0] + a.size(2)),
                    NDArrayIndex.interval(pads[1], pads[1] + a.size(3))).dup();
        }

        @Override boolean needsOutput() { return false; }
    }
}
