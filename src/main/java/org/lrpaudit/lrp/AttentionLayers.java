package org.lrpaudit.lrp;

import java.util.Arrays;
import org.lrpaudit.model.Tensor;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The layers transformers add: softmax inside the network, the product of two activations, constant tokens. Attention
 * follows the layer's {@link AttentionRule}: CP-LRP (the default) holds the attention probabilities constant, so
 * relevance flows through the values alone; AttnLRP also passes it through the softmax into queries and keys.
 */
final class AttentionLayers {
    private AttentionLayers() {}

    /**
     * Softmax over one per-image axis. CP-LRP: its output is a constant weight, no relevance to its input. AttnLRP:
     * R_in = x ⊙ (R − s ⊙ ΣR) over the axis (gradient × input with the output sensitivity R / s).
     */
    static final class SoftmaxLayer extends PreparedLayer {
        private final int axis; // of the batched array
        private final AttentionRule rule;

        SoftmaxLayer(int perImageAxis, AttentionRule rule) {
            this.axis = perImageAxis + 1;
            this.rule = rule == null ? AttentionRule.CP : rule;
        }

        @Override INDArray forward(INDArray a) {
            return Nd4j.exec(DynamicCustomOp.builder("softmax").addInputs(a).addIntegerArguments(axis).build())[0];
        }

        @Override INDArray relevance(INDArray a, INDArray z, INDArray r) {
            if (rule == AttentionRule.CP) return null;
            INDArray total = r.sum(true, axis);
            INDArray out = z.mul(total);                 // s ⊙ ΣR, broadcast along the axis
            out.rsubi(r).muli(a);
            Release.free(total);
            return out;
        }

        @Override boolean needsOutput() { return rule != AttentionRule.CP; }
    }

    /**
     * O = A·B over the last two axes. CP-LRP, with A (or B) holding attention probabilities: O is a weighted average of
     * the other operand's rows, passed by the z-rule of an average, R_B = B ⊙ (Aᵀ·(R/O)), nothing to the probabilities.
     * Otherwise (QKᵀ, which under CP-LRP never receives relevance, and every product under AttnLRP) each operand takes
     * half of the z-rule's relevance: R_A = ½ A ⊙ ((R/O)·Bᵀ), R_B = ½ B ⊙ (Aᵀ·(R/O)), which conserves the total.
     */
    static final class MatMulLayer extends PreparedLayer {
        private final int probabilities; // the operand held constant, or −1 for none (AttnLRP: always none)

        MatMulLayer(int probabilities, AttentionRule rule) { this.probabilities = rule == AttentionRule.ATTN ? -1 : probabilities; }

        @Override INDArray forward(INDArray a) { throw new IllegalStateException("a matrix product takes two inputs"); }

        @Override INDArray relevance(INDArray a, INDArray z, INDArray r) { throw new IllegalStateException("a matrix product takes two inputs"); }

        @Override INDArray forward(INDArray[] in) { return matmul(in[0], in[1], false, false); }

        @Override INDArray[] relevance(INDArray[] in, INDArray z, INDArray r) {
            INDArray s = Stabilised.divide(r, z, Rule.STABILISER);
            INDArray[] out = new INDArray[2];
            if (probabilities != 1) out[1] = matmul(in[0], s, true, false).muli(in[1]);  // Aᵀ s, times B
            if (probabilities != 0) out[0] = matmul(s, in[1], false, true).muli(in[0]);  // s Bᵀ, times A
            if (probabilities < 0) {
                out[0].muli(0.5);
                out[1].muli(0.5);
            }
            Release.free(s);
            return out;
        }

        private static INDArray matmul(INDArray a, INDArray b, boolean transposeA, boolean transposeB) {
            return Nd4j.exec(DynamicCustomOp.builder("matmul").addInputs(a, b)
                    .addIntegerArguments(transposeA ? 1 : 0, transposeB ? 1 : 0).build())[0];
        }
    }

    /** Constant entries (ViT's class token) before and/or after the activation along a per-image axis. */
    static final class ConstantConcatLayer extends PreparedLayer {
        private final int axis; // of the batched array
        private final INDArray before, after; // [1, per-image shape]
        private final long offset, length;

        ConstantConcatLayer(int perImageAxis, Tensor before, Tensor after, long[] inputShape) {
            this.axis = perImageAxis + 1;
            this.before = before == null ? null : PreparedLayer.array(before).reshape(prepend(before.shape()));
            this.after = after == null ? null : PreparedLayer.array(after).reshape(prepend(after.shape()));
            this.offset = before == null ? 0 : before.shape()[perImageAxis];
            this.length = inputShape[perImageAxis];
        }

        private static long[] prepend(long[] s) {
            long[] out = new long[s.length + 1];
            out[0] = 1;
            System.arraycopy(s, 0, out, 1, s.length);
            return out;
        }

        @Override INDArray forward(INDArray a) {
            long n = a.size(0);
            INDArray[] parts = new INDArray[(before == null ? 0 : 1) + 1 + (after == null ? 0 : 1)];
            int k = 0;
            if (before != null) parts[k++] = tiled(before, n);
            parts[k++] = a;
            if (after != null) parts[k] = tiled(after, n);
            INDArray out = Nd4j.concat(axis, parts);
            for (INDArray p : parts) if (p != a) Release.free(p);
            return out;
        }

        private static INDArray tiled(INDArray c, long n) {
            long[] shape = c.shape().clone();
            shape[0] = n;
            return c.broadcast(shape);
        }

        @Override INDArray relevance(INDArray a, INDArray z, INDArray r) {
            INDArrayIndex[] index = new INDArrayIndex[r.rank()];
            Arrays.fill(index, NDArrayIndex.all());
            index[axis] = NDArrayIndex.interval(offset, offset + length);
            return r.get(index).dup('c');
        }

        @Override boolean needsOutput() { return false; }

        @Override java.util.List<INDArray> held() {
            return before == null ? java.util.List.of(after) : after == null ? java.util.List.of(before) : java.util.List.of(before, after);
        }
    }
}
