package org.lrpaudit.model;

import static org.lrpaudit.model.OnnxNodes.has;
import static org.lrpaudit.model.OnnxNodes.intAttr;
import static org.lrpaudit.model.OnnxNodes.intsOrNull;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import onnx.Onnx.NodeProto;

/** Ops that move values without computing: Reshape, Flatten, Squeeze/Unsqueeze, Transpose, Slice, Split. */
final class OnnxShapes {
    private OnnxShapes() {}

    /**
     * Reshape to a constant or computed target. The target is resolved as ONNX does (0 copies a dimension, −1 is
     * inferred) for a batch of 1 and of 2; the batch must stay the first axis and the rest must not depend on it.
     */
    static void reshape(OnnxGraphReader g, NodeProto n) {
        String target = n.getInput(1);
        long[] t1, t2;
        if (g.shapeValues.contains(target)) {
            t1 = g.shapeValues.get(target).atBatch1();
            t2 = g.shapeValues.get(target).atBatch2();
        } else {
            t1 = g.integerConstant(target);
            if (t1 == null) throw g.unsupported(n, "Reshape to a shape computed from pixel values");
            t2 = null; // a constant target: exported for one batch size; its first axis is taken as the batch
        }
        long[] out1 = resolve(g, n, t1, 1), perImage = Arrays.copyOfRange(out1, 1, out1.length);
        boolean batchFirst = out1[0] == 1;
        if (t2 != null) {
            long[] out2 = resolve(g, n, t2, 2);
            batchFirst &= out2[0] == 2 && Arrays.equals(Arrays.copyOfRange(out2, 1, out2.length), perImage);
        }
        if (!batchFirst) throw g.unsupported(n, "Reshape to " + Arrays.toString(t1) + ", which mixes the batch axis with the others");
        reshapeTo(g, n, perImage);
    }

    private static long[] resolve(OnnxGraphReader g, NodeProto n, long[] target, long batch) {
        long[] in = ShapeValues.withBatch(batch, g.shape), out = target.clone();
        long known = 1;
        int infer = -1;
        for (int i = 0; i < out.length; i++) {
            if (out[i] == 0 && intAttr(n, "allowzero", 0) == 0) out[i] = i < in.length ? in[i] : 0;
            if (out[i] == -1) {
                if (infer >= 0) throw g.unsupported(n, "Reshape with two inferred dimensions");
                infer = i;
            } else {
                known *= out[i];
            }
        }
        long total = Tensor.elementCount(in);
        if (infer >= 0) out[infer] = known == 0 ? 0 : total / known;
        if (Tensor.elementCount(out) != total) throw g.unsupported(n, "Reshape of " + Arrays.toString(in) + " to " + Arrays.toString(target));
        return out;
    }

    /** The node's output takes a new per-image shape: nothing, a flatten to a vector, or a general reshape. */
    static void reshapeTo(OnnxGraphReader g, NodeProto n, long[] perImage) {
        if (Arrays.equals(perImage, g.shape)) {
            g.notes.add(n.getOpType() + " '" + n.getName() + "' dropped (shape unchanged)");
            g.alias(n);
        } else if (perImage.length == 1) {
            g.addLayer(n, new Flatten(n.getName()));
        } else {
            g.addLayer(n, new Reshape(n.getName(), perImage));
        }
    }

    /** Squeeze/Unsqueeze (axes as attribute before opset 13, as input from 13 on). */
    static void squeeze(OnnxGraphReader g, NodeProto n) {
        long[] axes = has(n, 1) ? g.integers(n, 1) : intsOrNull(n, "axes");
        boolean un = n.getOpType().equals("Unsqueeze");
        List<Long> full = new ArrayList<>();
        for (long d : ShapeValues.withBatch(1, g.shape)) full.add(d);
        if (un) {
            if (axes == null) throw g.unsupported(n, "Unsqueeze without axes");
            int rank = full.size() + axes.length;
            long[] sorted = Arrays.stream(axes).map(a -> a < 0 ? a + rank : a).sorted().toArray();
            for (long a : sorted) {
                if (a == 0) throw g.unsupported(n, "Unsqueeze before the batch axis");
                full.add((int) a, 1L);
            }
        } else {
            int rank = full.size();
            long[] sorted = axes == null ? null : Arrays.stream(axes).map(a -> a < 0 ? a + rank : a).sorted().toArray();
            for (int i = rank - 1; i >= 1; i--) {
                boolean named = sorted == null ? full.get(i) == 1 : Arrays.binarySearch(sorted, i) >= 0;
                if (named && full.get(i) != 1) throw g.unsupported(n, "Squeeze of an axis of size " + full.get(i));
                if (named) full.remove(i);
            }
            if (sorted != null && sorted.length > 0 && sorted[0] == 0) throw g.unsupported(n, "Squeeze of the batch axis");
        }
        reshapeTo(g, n, full.subList(1, full.size()).stream().mapToLong(Long::longValue).toArray());
    }

    static void transpose(OnnxGraphReader g, NodeProto n) {
        int rank = g.shape.length + 1;
        long[] perm = intsOrNull(n, "perm");
        if (perm == null) throw g.unsupported(n, "Transpose without perm (it would reverse the batch axis)");
        if (perm.length != rank || perm[0] != 0) throw g.unsupported(n, "Transpose " + Arrays.toString(perm) + " that moves the batch axis");
        int[] p = new int[rank - 1];
        boolean identity = true;
        for (int i = 1; i < rank; i++) {
            p[i - 1] = (int) perm[i] - 1;
            identity &= p[i - 1] == i - 1;
        }
        if (identity) g.alias(n);
        else g.addLayer(n, new Transpose(n.getName(), p));
    }

    /** Slice with constant (or batch-independent computed) bounds and step 1. */
    static void slice(OnnxGraphReader g, NodeProto n) {
        long[] starts, ends, axes, steps;
        if (has(n, 1)) {
            starts = g.integers(n, 1);
            ends = g.integers(n, 2);
            axes = has(n, 3) ? g.integers(n, 3) : null;
            steps = has(n, 4) ? g.integers(n, 4) : null;
        } else { // opset < 10: attributes
            starts = intsOrNull(n, "starts");
            ends = intsOrNull(n, "ends");
            axes = intsOrNull(n, "axes");
            steps = null;
        }
        long[] begin = new long[g.shape.length], end = g.shape.clone();
        for (int i = 0; i < starts.length; i++) {
            if (steps != null && steps[i] != 1) throw g.unsupported(n, "Slice with step " + steps[i]);
            int axis = OnnxConverters.perImageAxis(g, n, axes == null ? i : axes[i], g.shape.length);
            long dim = g.shape[axis];
            begin[axis] = clamp(starts[i], dim);
            end[axis] = clamp(ends[i], dim);
        }
        g.addLayer(n, new Slice(n.getName(), begin, end));
    }

    /** Split into consecutive parts along one axis: one {@link Slice} layer per output. */
    static void split(OnnxGraphReader g, NodeProto n) {
        int axis = OnnxConverters.perImageAxis(g, n, intAttr(n, "axis", 0), g.shape.length);
        long dim = g.shape[axis];
        int parts = n.getOutputCount();
        long[] sizes = has(n, 1) ? g.integers(n, 1) : intsOrNull(n, "split");
        if (sizes == null) {
            if (dim % parts != 0) throw g.unsupported(n, "Split of " + dim + " into " + parts + " unequal parts without sizes");
            sizes = new long[parts];
            Arrays.fill(sizes, dim / parts);
        }
        if (sizes.length != parts || Arrays.stream(sizes).sum() != dim) throw g.unsupported(n, "Split sizes " + Arrays.toString(sizes) + " of " + dim);
        long start = 0;
        for (int k = 0; k < parts; k++) {
            long[] begin = new long[g.shape.length], end = g.shape.clone();
            begin[axis] = start;
            end[axis] = start + sizes[k];
            start += sizes[k];
            g.addLayer(n.getOutput(k), g.activations, new Slice(n.getName() + "#" + k, begin, end));
        }
    }

    private static long clamp(long i, long dim) { return Math.max(0, Math.min(dim, i < 0 ? i + dim : i)); }
}
