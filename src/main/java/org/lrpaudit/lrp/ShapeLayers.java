package org.lrpaudit.lrp;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Layers that move values without computing: relevance goes back to where each value came from. */
final class ShapeLayers {
    private ShapeLayers() {}

    /** Flatten and reshape: relevance takes the input's shape back. */
    static final class ReshapeLayer extends PreparedLayer {
        private final long[] inputShape, outputShape;

        ReshapeLayer(long[] inputShape, long[] outputShape) {
            this.inputShape = inputShape.clone();
            this.outputShape = outputShape.clone();
        }

        @Override INDArray forward(INDArray a) { return a.reshape('c', batched(a.size(0), outputShape)); }

        @Override INDArray relevance(INDArray a, INDArray z, INDArray r) { return r.reshape('c', batched(r.size(0), inputShape)); }

        @Override boolean needsOutput() { return false; }
    }

    /** A permutation of the per-image axes; relevance is permuted back. */
    static final class TransposeLayer extends PreparedLayer {
        private final int[] forward, backward;

        TransposeLayer(int[] perm) {
            forward = new int[perm.length + 1];
            backward = new int[perm.length + 1];
            for (int i = 0; i < perm.length; i++) forward[i + 1] = perm[i] + 1;
            for (int i = 0; i < forward.length; i++) backward[forward[i]] = i;
        }

        @Override INDArray forward(INDArray a) { return a.permute(forward).dup('c'); }

        @Override INDArray relevance(INDArray a, INDArray z, INDArray r) { return r.permute(backward).dup('c'); }

        @Override boolean needsOutput() { return false; }
    }

    /** A box [begin, end) of the input; relevance is put back in place, zero elsewhere. */
    static final class SliceLayer extends PreparedLayer {
        private final long[] begin, end, step;

        SliceLayer(long[] begin, long[] end, long[] step) {
            this.begin = begin.clone();
            this.end = end.clone();
            this.step = step.clone();
        }

        private INDArrayIndex[] box() {
            INDArrayIndex[] index = new INDArrayIndex[begin.length + 1];
            index[0] = NDArrayIndex.all();
            for (int i = 0; i < begin.length; i++) index[i + 1] = NDArrayIndex.interval(begin[i], step[i], end[i]);
            return index;
        }

        @Override INDArray forward(INDArray a) { return a.get(box()).dup('c'); }

        @Override INDArray relevance(INDArray a, INDArray z, INDArray r) {
            INDArray out = Nd4j.zeros(DataType.FLOAT, a.shape());
            out.get(box()).assign(r);
            return out;
        }

        @Override boolean needsOutput() { return false; }
    }

    /** Concatenation along a per-image axis: each input gets the relevance of its own slice. */
    static final class ConcatLayer extends PreparedLayer {
        private final int axis; // of the batched array
        private final long[] sizes;

        ConcatLayer(int perImageAxis, long[] sizes) {
            this.axis = perImageAxis + 1;
            this.sizes = sizes.clone();
        }

        @Override INDArray forward(INDArray a) { throw new IllegalStateException("concat takes several inputs"); }

        @Override INDArray relevance(INDArray a, INDArray z, INDArray r) { throw new IllegalStateException("concat takes several inputs"); }

        @Override INDArray forward(INDArray[] in) { return Nd4j.concat(axis, in); }

        @Override boolean needsOutput() { return false; }

        @Override INDArray[] relevance(INDArray[] a, INDArray z, INDArray r) {
            INDArray[] out = new INDArray[a.length];
            long start = 0;
            for (int k = 0; k < a.length; k++) {
                INDArrayIndex[] index = new INDArrayIndex[r.rank()];
                Arrays.fill(index, NDArrayIndex.all());
                index[axis] = NDArrayIndex.interval(start, start + sizes[k]);
                out[k] = r.get(index).dup('c');
                start += sizes[k];
            }
            return out;
        }
    }

    /** Zero padding: the forward pass embeds the input, relevance is cropped back (the padding carries none). */
    static final class PadLayer extends PreparedLayer {
        private final int[] pads; // top, left, bottom, right

        PadLayer(int[] pads) { this.pads = pads.clone(); }

        @Override INDArray forward(INDArray a) { return PoolLayers.embed(a, pads, 0f); }

        @Override INDArray relevance(INDArray a, INDArray z, INDArray r) { return PoolLayers.crop(r, pads, a.size(2), a.size(3)); }

        @Override boolean needsOutput() { return false; }
    }

    static long[] batched(long batch, long[] perImage) {
        long[] s = new long[perImage.length + 1];
        s[0] = batch;
        System.arraycopy(perImage, 0, s, 1, perImage.length);
        return s;
    }
}
