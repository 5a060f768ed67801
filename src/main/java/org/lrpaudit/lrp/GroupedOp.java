package org.lrpaudit.lrp;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import org.lrpaudit.model.Conv2d;
import org.lrpaudit.model.Tensor;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A grouped convolution (ResNeXt, RegNet) as one convolution per group on its slice of channels, concatenated:
 * the arithmetic of the grouped kernel, not of the dense one. Where a call has little arithmetic (RegNetY's late
 * stages at batch 1: 55 groups of 8 channels on 7×7 maps) the g slices, g ops and the concatenation cost more than
 * the dense kernel's g-fold arithmetic in one op, so below {@link #DENSE_BELOW} multiply-adds per call the layer runs
 * on the dense kernel (zero across groups: the same sums), built once per weight.
 */
final class GroupedOp implements LinearOp {
    /**
     * Grouped multiply-adds per call below which the dense kernel runs: where one op's fixed cost (tens of µs) is worth
     * its arithmetic on 2 cores. -Dlrp.groupedDenseBelow=0 always runs the groups.
     */
    static final long DENSE_BELOW = Long.getLong("lrp.groupedDenseBelow", 10_000_000L);

    private final int groups;
    private final long inPerGroup, outPerGroup, macsPerImage, denseBelow;
    private final ConvOp perGroup, dense;
    private final Map<INDArray, INDArray> denseKernels = Collections.synchronizedMap(new IdentityHashMap<>());

    GroupedOp(Conv2d conv, long[] inputShape) { this(conv, inputShape, DENSE_BELOW); }

    GroupedOp(Conv2d conv, long[] inputShape, long denseBelow) {
        this.denseBelow = denseBelow;
        groups = conv.groups();
        inPerGroup = conv.inChannels() / groups;
        outPerGroup = conv.outChannels() / groups;
        Tensor w = conv.weight();
        Conv2d one = new Conv2d(conv.name(), new Tensor(new long[] {outPerGroup, inPerGroup, w.dim(2), w.dim(3)}, new float[(int) (w.size() / groups)]),
                new Tensor(new long[] {outPerGroup}, new float[(int) outPerGroup]), conv.stride(), conv.pads(), conv.dilation());
        perGroup = new ConvOp(one, new long[] {inPerGroup, inputShape[1], inputShape[2]});
        dense = new ConvOp(conv, inputShape);
        long[] out = conv.outputShape(inputShape);
        macsPerImage = out[1] * out[2] * conv.outChannels() * inPerGroup * w.dim(2) * w.dim(3);
    }

    private boolean denseFor(long batch) { return batch * macsPerImage < denseBelow; }

    /** The dense kernel of a grouped one, kept for the layer's fixed weights (outside any workspace). */
    private INDArray denseKernel(INDArray weight) {
        if (weight.isAttached()) return Grouping.ungroup(weight, groups); // a per-call weight lives and dies in its pass
        return denseKernels.computeIfAbsent(weight, w -> {
            try (var outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                return Grouping.ungroup(w, groups);
            }
        });
    }

    /** [O, I/g, kH, kW] with each group's dilation expanded; group k is rows k·O/g … (k+1)·O/g. */
    @Override public INDArray weights(INDArray grouped) { return perGroup.weights(grouped); }

    @Override public INDArray forward(INDArray a, INDArray weight, INDArray bias) {
        if (denseFor(a.size(0))) return dense.forward(a, denseKernel(weight), bias);
        INDArray[] parts = new INDArray[groups];
        for (int k = 0; k < groups; k++) {
            INDArray in = channels(a, k, inPerGroup);
            parts[k] = perGroup.forward(in, rows(weight, k), bias == null ? null : bias.get(NDArrayIndex.interval(k * outPerGroup, (k + 1) * outPerGroup)));
            Release.free(in);
        }
        return joined(parts);
    }

    @Override public INDArray transpose(INDArray s, INDArray weight, INDArray input) {
        if (denseFor(s.size(0))) return dense.transpose(s, denseKernel(weight), input);
        INDArray[] parts = new INDArray[groups];
        for (int k = 0; k < groups; k++) {
            INDArray part = channels(s, k, outPerGroup);
            parts[k] = perGroup.transpose(part, rows(weight, k), input);
            Release.free(part);
        }
        return joined(parts);
    }

    private static INDArray channels(INDArray a, int k, long size) {
        return a.get(NDArrayIndex.all(), NDArrayIndex.interval(k * size, (k + 1) * size), NDArrayIndex.all(), NDArrayIndex.all()).dup('c');
    }

    private INDArray rows(INDArray weight, int k) {
        return weight.get(NDArrayIndex.interval(k * outPerGroup, (k + 1) * outPerGroup), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all());
    }

    private static INDArray joined(INDArray[] parts) {
        INDArray out = Nd4j.concat(1, parts);
        Release.free(parts);
        return out;
    }

    @Override public String toString() { return groups + " groups of " + perGroup; }
}
