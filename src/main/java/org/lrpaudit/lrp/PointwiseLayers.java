package org.lrpaudit.lrp;

import org.lrpaudit.model.Activation;
import org.lrpaudit.model.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.scalar.Relu6;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarMax;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarMin;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Erf;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/** Layers that act value by value or combine tensors of one shape: activations, gates, constants, residual sums. */
final class PointwiseLayers {
    private PointwiseLayers() {}

    /** ReLU; relevance passes through. {@code copy} false: overwrites its input (when nothing else needs it). */
    static final class ReluLayer extends PreparedLayer {
        private final boolean copy;

        ReluLayer(boolean copy) { this.copy = copy; }

        @Override INDArray forward(INDArray a) { return Transforms.relu(a, copy); }
        @Override INDArray relevance(INDArray a, INDArray z, INDArray r) { return r; }
        @Override boolean needsOutput() { return false; }
    }

    /** Clip (ReLU6 and the like): relevance passes through, as for ReLU. */
    static final class ClipLayer extends PreparedLayer {
        private final float low, high;

        ClipLayer(float low, float high) {
            this.low = low;
            this.high = high;
        }

        /**
         * ReLU6 (MobileNet's, on its largest activations) as libnd4j's relu6 scalar op, any other range as a max then a
         * min in place: both several times faster than the clipbyvalue custom op on an AVX2 CPU (8×96×112×112, one
         * thread: 77–118 ms against 620–870 ms).
         */
        @Override INDArray forward(INDArray a) {
            INDArray out = Nd4j.createUninitialized(a.dataType(), a.shape());
            if (low == 0 && high == 6) return Nd4j.exec(new Relu6(a, out, 0.0));
            Nd4j.exec(new ScalarMax(a, null, out, low));
            return Nd4j.exec(new ScalarMin(out, null, out, high));
        }
        @Override INDArray relevance(INDArray a, INDArray z, INDArray r) { return r; }
        @Override boolean needsOutput() { return false; }
    }

    /** Sigmoid, hard sigmoid, tanh, erf, hard swish, GELU, leaky ReLU, SiLU: relevance passes through (identity rule). */
    static final class ActivationLayer extends PreparedLayer {
        private final Activation.Kind kind;
        private final float alpha, beta;

        ActivationLayer(Activation act) {
            this.kind = act.kind();
            this.alpha = act.alpha();
            this.beta = act.beta();
        }

        @Override INDArray forward(INDArray a) {
            return switch (kind) {
                case SIGMOID -> Transforms.sigmoid(a, true);
                case HARD_SIGMOID -> hardSigmoid(a, alpha, beta);
                case TANH -> Transforms.tanh(a, true);
                case ERF -> erf(a);
                case HARD_SWISH -> hardSigmoid(a, alpha, beta).muli(a);
                case GELU -> erf(a.mul(1 / Math.sqrt(2))).addi(1).muli(a).muli(0.5);
                case SILU -> Silu.apply(a);
                case LEAKY_RELU -> Transforms.leakyRelu(a, alpha, true);
            };
        }

        private static INDArray hardSigmoid(INDArray a, float alpha, float beta) {
            INDArray out = a.mul(alpha).addi(beta);
            Nd4j.exec(new ScalarMax(out, null, out, 0.0));
            return Nd4j.exec(new ScalarMin(out, null, out, 1.0));
        }

        private static INDArray erf(INDArray a) {
            INDArray out = Nd4j.createUninitialized(DataType.FLOAT, a.shape());
            Nd4j.exec(new Erf(a, out));
            return out;
        }

        @Override INDArray relevance(INDArray a, INDArray z, INDArray r) { return r; }
        @Override boolean needsOutput() { return false; }
    }

    /** y = signal · gate, the gate broadcast onto the signal: all relevance to the signal, none to the gate. */
    static final class GateLayer extends PreparedLayer {
        private final int signal;

        GateLayer(int signal) { this.signal = signal; }

        @Override INDArray forward(INDArray a) { throw new IllegalStateException("a gate takes two inputs"); }

        @Override INDArray relevance(INDArray a, INDArray z, INDArray r) { throw new IllegalStateException("a gate takes two inputs"); }

        @Override INDArray forward(INDArray[] in) {
            INDArray x = in[signal], g = in[1 - signal];
            if (java.util.Arrays.equals(x.shape(), g.shape())) return x.mul(g);
            if (x.rank() == 4 && g.rank() == 4 && g.size(2) == 1 && g.size(3) == 1 && g.size(1) == x.size(1) && g.size(0) == x.size(0)) {
                // a squeeze-excitation scale [N, C, 1, 1] over [N, C, H, W]: rows times a column vector, libnd4j's fast broadcast
                long rows = x.size(0) * x.size(1);
                return x.dup('c').reshape('c', rows, x.size(2) * x.size(3)).muliColumnVector(g.reshape('c', rows, 1)).reshape('c', x.shape());
            }
            return x.mul(g);
        }

        @Override INDArray[] relevance(INDArray[] a, INDArray z, INDArray r) {
            INDArray[] out = new INDArray[2];
            out[signal] = r;
            return out;
        }

        @Override boolean needsOutput() { return false; }
    }

    /** Multiplication by a constant (broadcast): relevance passes through. */
    static final class ScaleLayer extends PreparedLayer {
        private final INDArray factors;

        ScaleLayer(Tensor f, int rank) { factors = batched(f, rank); }

        @Override INDArray forward(INDArray a) { return factors.length() == 1 ? a.mul(factors.getFloat(0)) : a.mul(factors); }
        @Override java.util.List<INDArray> held() { return java.util.List.of(factors); }
        @Override INDArray relevance(INDArray a, INDArray z, INDArray r) { return r; }
        @Override boolean needsOutput() { return false; }
    }

    /** Addition of a constant (broadcast): z-rule R_in = a·R / z, the constant absorbing its share. */
    static final class ShiftLayer extends PreparedLayer {
        private final INDArray values;

        ShiftLayer(Tensor v, int rank) { values = batched(v, rank); }

        @Override INDArray forward(INDArray a) { return values.length() == 1 ? a.add(values.getFloat(0)) : a.add(values); }
        @Override java.util.List<INDArray> held() { return java.util.List.of(values); }

        @Override INDArray relevance(INDArray a, INDArray z, INDArray r) {
            return Stabilised.divide(r, z, Rule.STABILISER).muli(a);
        }
    }

    /** A per-image broadcast constant as an array of the batched rank (leading axes of 1). */
    static INDArray batched(Tensor t, int rank) {
        long[] s = t.shape(), full = new long[rank + 1];
        java.util.Arrays.fill(full, 1);
        System.arraycopy(s, 0, full, full.length - s.length, s.length);
        return Nd4j.create(t.data(), full, DataType.FLOAT);
    }

    /**
     * A residual sum: relevance is split by contribution, R_i = x_i·R / (z + ε·sign(z)) with z = Σx_i and ε a pure
     * stabiliser ({@link #ADD_STABILISER}, as Zennit's canonised residual blocks), so Σ R_i = R up to ε.
     */
    static final class Sum extends PreparedLayer {
        /**
         * ε of the residual split: only keeps the division finite. -Dlrp.addStabiliser=1e-12 shows, in the zoo check, how
         * much of the distance to the stabiliser-free reference it makes (deep transformers sum near-cancelling terms).
         */
        static final double ADD_STABILISER = Double.parseDouble(System.getProperty("lrp.addStabiliser", "1e-6"));

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

    /**
     * Layer norm over the last axis, y = γ⊙(x − mean)/σ + β. LRP holds σ constant: the z-rule through the linear map
     * A x = γ⊙(x − mean(x))/σ gives s = R / y, c = Aᵀs = u − mean(u) with u = γ⊙s/σ, R_in = x⊙c.
     */
    static final class LayerNormLayer extends PreparedLayer {
        private final INDArray gamma, beta;
        private final float epsilon;

        LayerNormLayer(org.lrpaudit.model.LayerNorm ln) {
            gamma = Nd4j.create(ln.gamma().data(), new long[] {1, ln.features()}, DataType.FLOAT);
            beta = Nd4j.create(ln.beta().data(), new long[] {1, ln.features()}, DataType.FLOAT);
            epsilon = ln.epsilon();
        }

        @Override java.util.List<INDArray> held() { return java.util.List.of(gamma, beta); }

        /** The input as rows [positions, features], and each row's σ as a column. */
        private INDArray rows(INDArray a) { return a.dup('c').reshape('c', a.length() / gamma.length(), gamma.length()); }

        private INDArray sigma(INDArray centred) {
            return Transforms.sqrt(centred.mul(centred).mean(1).addi(epsilon).reshape(centred.size(0), 1), false);
        }

        @Override INDArray forward(INDArray a) {
            INDArray x = rows(a);
            x.subiColumnVector(x.mean(1).reshape(x.size(0), 1));
            INDArray sigma = sigma(x);
            x.diviColumnVector(sigma).muliRowVector(gamma).addiRowVector(beta);
            Release.free(sigma);
            return x.reshape('c', a.shape());
        }

        @Override INDArray relevance(INDArray a, INDArray z, INDArray r) {
            INDArray x = rows(a);
            x.subiColumnVector(x.mean(1).reshape(x.size(0), 1));
            INDArray sigma = sigma(x);
            Release.free(x);
            INDArray u = Stabilised.divide(r, z, Rule.STABILISER).reshape('c', sigma.size(0), gamma.length());
            u.muliRowVector(gamma).diviColumnVector(sigma);
            u.subiColumnVector(u.mean(1).reshape(u.size(0), 1));
            Release.free(sigma);
            return u.reshape('c', a.shape()).muli(a);
        }
    }
}
