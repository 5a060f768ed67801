package org.lrpaudit.lrp;

import org.lrpaudit.model.PoolWindow;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Pooling through libnd4j's pooling ops (NCHW). Symmetric padding is the op's own; asymmetric padding (ceil_mode,
 * SAME pads) is applied explicitly: −∞ for the max, zeros for averages and for LRP's z-rule, whose result does not
 * depend on the average's divisor (R_in = a ⊙ Σ_windows R / Σ_window a).
 */
final class PoolLayers {
    private PoolLayers() {}

    private abstract static class Pool extends PreparedLayer {
        final int[] pads;
        final boolean symmetric;
        final int[] args, explicitArgs; // with the op's own padding; with padding 0 on an explicitly padded canvas

        Pool(PoolWindow window, int divisorMode) {
            int[] k = window.kernel(), s = window.stride();
            pads = window.pads();
            symmetric = window.symmetricPadding();
            args = new int[] {k[0], k[1], s[0], s[1], pads[0], pads[1], 1, 1, 0, divisorMode, 0};
            explicitArgs = new int[] {k[0], k[1], s[0], s[1], 0, 0, 1, 1, 0, 1, 0};
        }

        static INDArray pool(String op, INDArray a, int[] args) {
            long[] in = a.shape();
            long oh = (in[2] + 2L * args[4] - args[0]) / args[2] + 1, ow = (in[3] + 2L * args[5] - args[1]) / args[3] + 1;
            INDArray out = Nd4j.createUninitialized(DataType.FLOAT, in[0], in[1], oh, ow);
            Nd4j.exec(DynamicCustomOp.builder(op).addInputs(a).addOutputs(out).addIntegerArguments(args).build());
            return out;
        }

        static INDArray poolBackward(String op, INDArray a, INDArray gradOut, int[] args) {
            INDArray out = Nd4j.create(DataType.FLOAT, a.shape());
            Nd4j.exec(DynamicCustomOp.builder(op).addInputs(a, gradOut).addOutputs(out).addIntegerArguments(args).build());
            return out;
        }

        /** z-rule through an average: R_in = a ⊙ avgpoolᵀ(R / avgpool(a)). */
        INDArray averageRelevance(INDArray a, INDArray z, INDArray r) {
            if (!symmetric) {
                INDArray canvas = embed(a, pads, 0f);
                INDArray sum = pool("avgpool2d", canvas, explicitArgs);
                INDArray s = Stabilised.divide(r, sum, Rule.STABILISER);
                INDArray c = poolBackward("avgpool2d_bp", canvas, s, explicitArgs);
                INDArray out = crop(c, pads, a.size(2), a.size(3)).muli(a);
                Release.free(canvas, sum, s, c);
                return out;
            }
            INDArray s = Stabilised.divide(r, z, Rule.STABILISER);
            INDArray c = poolBackward("avgpool2d_bp", a, s, args);
            Release.free(s);
            return c.muli(a);
        }
    }

    static final class MaxPool extends Pool {
        private final MaxPoolMode mode;

        MaxPool(PoolWindow window, MaxPoolMode mode) {
            super(window, 1);
            this.mode = mode;
        }

        @Override INDArray forward(INDArray a) {
            if (symmetric) return pool("maxpool2d", a, args);
            INDArray canvas = embed(a, pads, -Float.MAX_VALUE);
            INDArray out = pool("maxpool2d", canvas, explicitArgs);
            Release.free(canvas);
            return out;
        }

        @Override boolean needsOutput() { return false; }

        @Override INDArray relevance(INDArray a, INDArray z, INDArray r) {
            if (mode == MaxPoolMode.WTA) {
                if (symmetric) return poolBackward("maxpool2d_bp", a, r, args);
                INDArray canvas = embed(a, pads, -Float.MAX_VALUE);
                INDArray c = poolBackward("maxpool2d_bp", canvas, r, explicitArgs);
                INDArray out = crop(c, pads, a.size(2), a.size(3));
                Release.free(canvas, c);
                return out;
            }
            INDArray average = symmetric ? pool("avgpool2d", a, args) : null; // the forward kept the max; LRP sees an average
            INDArray out = averageRelevance(a, average, r);
            Release.free(average);
            return out;
        }
    }

    static final class AvgPool extends Pool {
        private final INDArray divisorFix; // explicit padding that is not counted: k² / (input positions of each window)

        AvgPool(PoolWindow window, boolean countIncludePad, long[] inputShape) {
            super(window, countIncludePad ? 1 : 0);
            if (symmetric || countIncludePad) {
                divisorFix = null;
            } else {
                INDArray ones = embed(Nd4j.ones(DataType.FLOAT, 1, 1, inputShape[1], inputShape[2]), pads, 0f);
                INDArray share = pool("avgpool2d", ones, explicitArgs); // each window's share of input positions
                divisorFix = Transforms.pow(share, -1, false);
                Release.free(ones);
            }
        }

        @Override INDArray forward(INDArray a) {
            if (symmetric) return pool("avgpool2d", a, args);
            INDArray canvas = embed(a, pads, 0f);
            INDArray out = pool("avgpool2d", canvas, explicitArgs);
            Release.free(canvas);
            if (divisorFix == null) return out;
            INDArray fixed = out.mul(divisorFix);
            Release.free(out);
            return fixed;
        }

        @Override java.util.List<INDArray> held() { return divisorFix == null ? java.util.List.of() : java.util.List.of(divisorFix); }

        @Override INDArray relevance(INDArray a, INDArray z, INDArray r) { return averageRelevance(a, z, r); }
    }

    static final class GlobalAvg extends PreparedLayer {
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

    /** The maps of a [N, C, H, W] batch on a canvas padded {top, left, bottom, right} with a constant. */
    static INDArray embed(INDArray a, int[] pads, float fill) {
        long[] s = a.shape();
        INDArray out = Nd4j.valueArrayOf(new long[] {s[0], s[1], s[2] + pads[0] + pads[2], s[3] + pads[1] + pads[3]}, fill, DataType.FLOAT);
        out.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(pads[0], pads[0] + s[2]),
                NDArrayIndex.interval(pads[1], pads[1] + s[3])).assign(a);
        return out;
    }

    /** The inner h × w of a padded canvas, as a new array. */
    static INDArray crop(INDArray canvas, int[] pads, long h, long w) {
        return canvas.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(pads[0], pads[0] + h),
                NDArrayIndex.interval(pads[1], pads[1] + w)).dup();
    }
}
