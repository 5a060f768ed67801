package org.lrpaudit.lrp;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * One rule bound to one conv/dense layer: ρ-transformed weights are computed once here, and
 * {@link #relevance} runs the four steps z = ε + ρ(layer)(a), s = R/z, c = ρ(layer)ᵀ(s), R_in = a ⊙ c.
 */
abstract class RulePropagator {

    /**
     * @param a the layer's input batch
     * @param z the layer's forward output W(a) + b (reused where ρ is the identity)
     * @param r relevance at the layer's output
     */
    abstract INDArray relevance(INDArray a, INDArray z, INDArray r);

    /** Whether {@link #relevance} reads the forward output z; if not, a following ReLU may overwrite it. */
    boolean needsOutput() { return false; }

    /** The arrays this rule keeps for the engine's lifetime (its ρ-weights), for the memory model. */
    abstract java.util.List<INDArray> held();

    /** @param w, b the layer's weights in the model's layout; ρ is applied there, then {@link LinearOp#weights}. */
    static RulePropagator of(Rule rule, LinearOp op, INDArray w, INDArray b, BoxBounds bounds) {
        return rule.accept(new Rule.Visitor<RulePropagator>() {
            @Override public RulePropagator visit(Rule.Zero r) { return new Identity(op, op.weights(w), Rule.STABILISER, 0); }
            @Override public RulePropagator visit(Rule.EpsilonAbs e) { return new Identity(op, op.weights(w), e.epsilon(), 0); }
            @Override public RulePropagator visit(Rule.Epsilon e) { return new Identity(op, op.weights(w), 0, e.k()); }
            @Override public RulePropagator visit(Rule.Gamma g) {
                return new Gamma(op, op.weights(w.add(Transforms.relu(w, true).muli(g.gamma()))), b.add(Transforms.relu(b, true).muli(g.gamma())));
            }
            @Override public RulePropagator visit(Rule.AlphaBeta ab) { return new AlphaBeta(op, w, b, ab.alpha(), ab.beta()); }
            @Override public RulePropagator visit(Rule.Flat r) { return new InputFree(op, op.weights(Nd4j.onesLike(w))); }
            @Override public RulePropagator visit(Rule.WSquare r) { return new InputFree(op, op.weights(w.mul(w))); }
            @Override public RulePropagator visit(Rule.ZBox r) { return new ZBox(op, w, bounds); }
        });
    }

    /** ρ = identity: LRP-0 (tiny stabiliser), LRP-ε absolute, or LRP-ε relative to each image's RMS(z). */
    private static final class Identity extends RulePropagator {
        private final LinearOp op;
        private final INDArray w;
        private final double absolute, relative;

        Identity(LinearOp op, INDArray w, double absolute, double relative) {
            this.op = op; this.w = w; this.absolute = absolute; this.relative = relative;
        }

        @Override boolean needsOutput() { return true; }

        @Override java.util.List<INDArray> held() { return java.util.List.of(w); }

        @Override INDArray relevance(INDArray a, INDArray z, INDArray r) {
            INDArray s = relative > 0
                    ? Stabilised.divide(r, z, Stabilised.rmsPerImage(z).muli(relative))
                    : Stabilised.divide(r, z, absolute);
            INDArray c = op.transpose(s, w, a);
            Release.free(s);
            return c.muli(a);
        }
    }

    /** LRP-γ: a fresh forward pass with ρ(W) = W + γW⁺ and ρ(b) = b + γb⁺. */
    private static final class Gamma extends RulePropagator {
        private final LinearOp op;
        private final INDArray w, b;

        Gamma(LinearOp op, INDArray w, INDArray b) { this.op = op; this.w = w; this.b = b; }

        @Override java.util.List<INDArray> held() { return java.util.List.of(w, b); }

        @Override INDArray relevance(INDArray a, INDArray z, INDArray r) {
            INDArray zRho = op.forward(a, w, b);
            INDArray s = Stabilised.divide(r, zRho, Rule.STABILISER);
            Release.free(zRho);
            INDArray c = op.transpose(s, w, a);
            Release.free(s);
            return c.muli(a);
        }
    }

    /**
     * LRP-αβ: positive contributions (W⁺a⁺ + W⁻a⁻ + b⁺) and negative ones (W⁻a⁺ + W⁺a⁻ + b⁻) are normalised
     * separately and combined as α·R⁺ − β·R⁻. The a⁻ terms vanish after a ReLU and are skipped then.
     */
    private static final class AlphaBeta extends RulePropagator {
        private final LinearOp op;
        private final INDArray wPos, wNeg, bPos, bNeg;
        private final double alpha, beta;

        AlphaBeta(LinearOp op, INDArray w, INDArray b, double alpha, double beta) {
            this.op = op;
            INDArray pos = Transforms.relu(w, true);
            this.wPos = op.weights(pos);
            this.wNeg = op.weights(w.sub(pos));
            this.bPos = Transforms.relu(b, true);
            this.bNeg = b.sub(bPos);
            this.alpha = alpha;
            this.beta = beta;
        }

        @Override java.util.List<INDArray> held() { return java.util.List.of(wPos, wNeg, bPos, bNeg); }

        @Override INDArray relevance(INDArray a, INDArray z, INDArray r) {
            INDArray aPos = Transforms.relu(a, true);
            INDArray aNeg = a.minNumber().doubleValue() < 0 ? a.sub(aPos) : null;
            INDArray out = part(aPos, aNeg, wPos, wNeg, bPos, r).muli(alpha);
            if (beta != 0) {
                INDArray negative = part(aPos, aNeg, wNeg, wPos, bNeg, r);
                out.subi(negative.muli(beta));
                Release.free(negative);
            }
            Release.free(aPos, aNeg);
            return out;
        }

        /** Relevance of the contributions a⁺·w1 + a⁻·w2 + bias. */
        private INDArray part(INDArray aPos, INDArray aNeg, INDArray w1, INDArray w2, INDArray bias, INDArray r) {
            INDArray z = op.forward(aPos, w1, bias);
            if (aNeg != null) {
                INDArray zNeg = op.forward(aNeg, w2, null);
                z.addi(zNeg);
                Release.free(zNeg);
            }
            INDArray s = Stabilised.divide(r, z, Rule.STABILISER);
            Release.free(z);
            INDArray out = op.transpose(s, w1, aPos).muli(aPos);
            if (aNeg != null) {
                INDArray c = op.transpose(s, w2, aPos).muli(aNeg);
                out.addi(c);
                Release.free(c);
            }
            Release.free(s);
            return out;
        }
    }

    /** Flat and w²: inputs replaced by ones, no bias; relevance spread by ρ(W) alone. */
    private static final class InputFree extends RulePropagator {
        private final LinearOp op;
        private final INDArray w;

        InputFree(LinearOp op, INDArray w) { this.op = op; this.w = w; }

        @Override java.util.List<INDArray> held() { return java.util.List.of(w); }

        @Override INDArray relevance(INDArray a, INDArray z, INDArray r) {
            INDArray ones = Nd4j.onesLike(a);
            INDArray zRho = op.forward(ones, w, null);
            INDArray s = Stabilised.divide(r, zRho, Rule.STABILISER);
            Release.free(ones, zRho);
            INDArray out = op.transpose(s, w, a);
            Release.free(s);
            return out;
        }
    }

    /**
     * z^B: z = W(x) − W⁺(l) − W⁻(h) (biases cancel), R_in = x⊙Wᵀ(s) − l⊙W⁺ᵀ(s) − h⊙W⁻ᵀ(s). The bound terms are
     * the same for every image, so W⁺(l) + W⁻(h) is computed once; the three transposed passes run as one, with
     * [W, W⁺, W⁻] stacked along the input axis.
     */
    private static final class ZBox extends RulePropagator {
        private final LinearOp op;
        private final INDArray w, stacked, low, high, boundTerm;
        private final long inputs;

        ZBox(LinearOp op, INDArray w, BoxBounds bounds) {
            this.op = op;
            INDArray pos = Transforms.relu(w, true), neg = w.sub(pos);
            this.w = op.weights(w);
            this.stacked = Nd4j.concat(1, this.w, op.weights(pos), op.weights(neg));
            this.inputs = w.size(1);
            this.low = bounds.low();
            this.high = bounds.high();
            this.boundTerm = op.forward(low, op.weights(pos), null).addi(op.forward(high, op.weights(neg), null));
        }

        @Override java.util.List<INDArray> held() { return java.util.List.of(w, stacked, low, high, boundTerm); }

        @Override INDArray relevance(INDArray a, INDArray z, INDArray r) {
            INDArray zb = op.forward(a, w, null).subi(boundTerm);
            INDArray s = Stabilised.divide(r, zb, Rule.STABILISER);
            Release.free(zb);
            INDArray c = op.transpose(s, stacked, a); // [N, 3·inputs, ...]: Wᵀs, W⁺ᵀs, W⁻ᵀs
            Release.free(s);
            INDArray out = part(c, 0).mul(a);
            out.subi(part(c, 1).muli(low));
            out.subi(part(c, 2).muli(high));
            Release.free(c);
            return out;
        }

        private INDArray part(INDArray c, int k) {
            INDArrayIndex[] index = new INDArrayIndex[c.rank()];
            java.util.Arrays.fill(index, NDArrayIndex.all());
            int axis = op instanceof LinearOp.DenseOp ? c.rank() - 1 : 1; // features last for dense, channels for conv
            index[axis] = NDArrayIndex.interval(k * inputs, (k + 1) * inputs);
            return c.get(index);
        }
    }

    /** The z^B bounds as arrays [1, ...] shaped like one image at the layer's input. */
    record BoxBounds(INDArray low, INDArray high) {}
}
