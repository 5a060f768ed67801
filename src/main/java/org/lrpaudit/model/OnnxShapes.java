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
     * Reshape to a constant or computed target, resolved as ONNX does (0 copies a dimension, −1 is inferred) for a batch
     * of 1 and of 2. The batch may move or fold into another axis ({@link BatchAxis}) as long as each image stays
     * contiguous in the same order.
     */
    static void reshape(OnnxGraphReader g, NodeProto n) {
        String target = n.getInput(1);
        long[][] in = g.logicalShapes(g.current);
        long[] out1, out2;
        if (g.shapeValues.contains(target)) {
            out1 = resolve(g, n, g.shapeValues.get(target).atBatch1(), in[0]);
            out2 = resolve(g, n, g.shapeValues.get(target).atBatch2(), in[1]);
        } else {
            long[] t = g.integerConstant(target);
            if (t == null) throw g.unsupported(n, "Reshape to a shape computed from pixel values");
            out1 = resolve(g, n, t, in[0]); // a constant target: exported for one batch size; its first axis is taken as the batch
            out2 = out1.clone();
            if (out2.length > 0) out2[0] *= 2;
        }
        reshapeTo(g, n, out1, out2);
    }

    private static long[] resolve(OnnxGraphReader g, NodeProto n, long[] target, long[] in) {
        long[] out = target.clone();
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

    /**
     * The node's output takes the ONNX shapes out1 (batch 1) and out2 (batch 2): finds where the batch went and reshapes
     * each image. Refused when the images would interleave.
     */
    static void reshapeTo(OnnxGraphReader g, NodeProto n, long[] out1, long[] out2) {
        int k = -1;
        for (int i = 0; i < out1.length; i++) {
            if (out1[i] == out2[i]) continue;
            if (k >= 0 || out2[i] != 2 * out1[i]) k = -2;
            if (k == -1) k = i;
        }
        if (k < 0) throw g.unsupported(n, n.getOpType() + " to " + Arrays.toString(out1) + " at batch 1 and " + Arrays.toString(out2)
                + " at batch 2, which mixes the batch axis with the others");
        long m = out1[k], before = 1;
        for (int i = 0; i < k; i++) before *= out1[i];
        long outer = g.layout.outer(g.shape);
        BatchAxis next;
        if (before == outer) next = new BatchAxis(k, m == 1 ? BatchAxis.Kind.OWN : BatchAxis.Kind.MAJOR);
        else if (before * m == outer) next = new BatchAxis(k, BatchAxis.Kind.MINOR);
        else throw g.unsupported(n, n.getOpType() + " to " + Arrays.toString(out1) + " (at batch 1), which interleaves the images of a batch");
        long[] perImage = out1;
        if (next.kind() == BatchAxis.Kind.OWN) {
            perImage = new long[out1.length - 1];
            for (int i = 0, j = 0; i < out1.length; i++) if (i != k) perImage[j++] = out1[i];
        }
        reshapeTo(g, n, perImage);
        g.setLayout(n.getOutput(0), next);
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
        long[][] in = g.logicalShapes(g.current);
        List<Long> b1 = new ArrayList<>(), b2 = new ArrayList<>();
        for (int i = 0; i < in[0].length; i++) { b1.add(in[0][i]); b2.add(in[1][i]); }
        if (un) {
            if (axes == null) throw g.unsupported(n, "Unsqueeze without axes");
            int rank = b1.size() + axes.length;
            for (long a : Arrays.stream(axes).map(a -> a < 0 ? a + rank : a).sorted().toArray()) {
                b1.add((int) a, 1L);
                b2.add((int) a, 1L);
            }
        } else {
            int rank = b1.size();
            long[] sorted = axes == null ? null : Arrays.stream(axes).map(a -> a < 0 ? a + rank : a).sorted().toArray();
            for (int i = rank - 1; i >= 0; i--) {
                boolean named = sorted == null ? b2.get(i) == 1 : Arrays.binarySearch(sorted, i) >= 0;
                if (named && b2.get(i) != 1) throw g.unsupported(n, "Squeeze of an axis of size " + b2.get(i) + (b1.get(i) == 1 ? " (the batch)" : ""));
                if (named) { b1.remove(i); b2.remove(i); }
            }
        }
        reshapeTo(g, n, b1.stream().mapToLong(Long::longValue).toArray(), b2.stream().mapToLong(Long::longValue).toArray());
    }

    /** Flatten at an axis: [d0 … d(axis−1)] and [d(axis) …] each become one dimension. */
    static void flatten(OnnxGraphReader g, NodeProto n) {
        long[][] in = g.logicalShapes(g.current);
        int rank = in[0].length;
        long axis = intAttr(n, "axis", 1);
        int a = (int) (axis < 0 ? axis + rank : axis);
        if (a < 0 || a > rank) throw g.unsupported(n, "Flatten with axis " + axis + " of a rank-" + rank + " tensor");
        long[][] out = new long[2][];
        for (int b = 0; b < 2; b++) {
            long head = 1, tail = 1;
            for (int i = 0; i < rank; i++) if (i < a) head *= in[b][i]; else tail *= in[b][i];
            out[b] = new long[] {head, tail};
        }
        reshapeTo(g, n, out[0], out[1]);
    }

    /** Transpose: a permutation of each image's axes; the batch axis may move (it is followed, not moved in memory). */
    static void transpose(OnnxGraphReader g, NodeProto n) {
        int rank = g.layout.logicalRank(g.shape.length);
        long[] perm = intsOrNull(n, "perm");
        if (perm == null) {
            perm = new long[rank];
            for (int i = 0; i < rank; i++) perm[i] = rank - 1 - i;
        }
        if (perm.length != rank) throw g.unsupported(n, "Transpose " + Arrays.toString(perm) + " of a rank-" + rank + " tensor");
        int batchOut = -1;
        List<Integer> p = new ArrayList<>();
        for (int i = 0; i < rank; i++) {
            if (perm[i] == g.layout.axis()) batchOut = i;
            if (perm[i] == g.layout.axis() && g.layout.kind() == BatchAxis.Kind.OWN) continue;
            p.add(g.layout.kind() == BatchAxis.Kind.OWN ? g.layout.perImageAxis((int) perm[i]) : (int) perm[i]);
        }
        int[] perImage = p.stream().mapToInt(Integer::intValue).toArray();
        boolean identity = true;
        for (int i = 0; i < perImage.length; i++) identity &= perImage[i] == i;
        if (identity) g.alias(n);
        else g.addLayer(n, new Transpose(n.getName(), perImage));
        g.setLayout(n.getOutput(0), new BatchAxis(batchOut, g.layout.kind()));
    }

    /**
     * Expand of a constant over the batch (ViT's class token, expanded to [N, 1, D] before it is concatenated with the
     * patch tokens): remembered as a per-image constant for the Concat that reads it. Returns false for other nodes.
     */
    static boolean expandConstant(OnnxGraphReader g, NodeProto n) {
        if (!n.getOpType().equals("Expand") || !g.isConstant(n.getInput(0)) || !g.shapeValues.contains(n.getInput(1))) return false;
        Tensor c = g.tensors.toFloat(g.constants.get(n.getInput(0)));
        ShapeValues.Value target = g.shapeValues.get(n.getInput(1));
        long[] t1 = target.atBatch1(), t2 = target.atBatch2(), s = c.shape();
        boolean batchFirst = t1.length == s.length && t1.length > 0 && t1[0] == 1 && t2[0] == 2 && s[0] == 1;
        for (int i = 1; batchFirst && i < t1.length; i++) batchFirst = t1[i] == t2[i] && (t1[i] == s[i] || t1[i] == 1);
        if (!batchFirst) throw g.unsupported(n, "Expand of a constant " + Arrays.toString(s) + " to " + Arrays.toString(t1) + " at batch 1 (only over the batch axis)");
        g.expanded.put(n.getOutput(0), new Tensor(Arrays.copyOfRange(s, 1, s.length), c.data()));
        return true;
    }

    /** Gather of one index along a per-image axis (ViT's read-out of the class token, x[:, 0]): a slice, then the axis dropped. */
    static void gather(OnnxGraphReader g, NodeProto n) {
        long[] index = g.integerConstant(n.getInput(1));
        if (index == null || index.length != 1) throw g.unsupported(n, "Gather of an activation with indices other than one constant");
        boolean scalar = g.constants.get(n.getInput(1)).getDimsCount() == 0;
        int axis = OnnxConverters.perImageAxis(g, n, intAttr(n, "axis", 0), g.shape.length);
        long i = index[0] < 0 ? index[0] + g.shape[axis] : index[0];
        if (i < 0 || i >= g.shape[axis]) throw g.unsupported(n, "Gather of index " + index[0] + " from an axis of " + g.shape[axis]);
        long[] begin = new long[g.shape.length], end = g.shape.clone();
        begin[axis] = i;
        end[axis] = i + 1;
        if (!scalar) {
            g.addLayer(n, new Slice(n.getName(), begin, end));
            return;
        }
        String sliced = n.getOutput(0) + "#slice";
        g.addLayer(sliced, g.activations, new Slice(n.getName() + "#slice", begin, end));
        long[] kept = new long[g.shape.length - 1];
        for (int k = 0, j = 0; k < g.shape.length; k++) if (k != axis) kept[j++] = g.shape[k];
        Layer drop = kept.length == 1 ? new Flatten(n.getName()) : new Reshape(n.getName(), kept);
        g.addLayer(n.getOutput(0), List.of(sliced), drop);
        if (axis < g.layout.axis()) g.setLayout(n.getOutput(0), new BatchAxis(g.layout.axis() - 1, g.layout.kind())); // an axis before the batch went
    }

    /** Slice with constant (or batch-independent computed) bounds and positive steps. */
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
        long[] begin = new long[g.shape.length], end = g.shape.clone(), step = new long[g.shape.length];
        Arrays.fill(step, 1);
        for (int i = 0; i < starts.length; i++) {
            long st = steps == null ? 1 : steps[i];
            if (st < 1) throw g.unsupported(n, "Slice with step " + st + " (only positive steps)");
            int axis = OnnxConverters.perImageAxis(g, n, axes == null ? i : axes[i], g.shape.length);
            long dim = g.shape[axis];
            begin[axis] = clamp(starts[i], dim);
            end[axis] = clamp(ends[i], dim);
            step[axis] = st;
        }
        g.addLayer(n, new Slice(n.getName(), begin, end, step));
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
