package org.lrpaudit.model;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import onnx.Onnx.NodeProto;

/**
 * What a graph computes from shapes rather than from pixels, evaluated once at import: reshape targets and slice bounds
 * (Shape, Gather, Unsqueeze, Concat, Cast, Div, …, as exports with a dynamic batch size write them), padding amounts,
 * Swin's shifted-window attention mask (ConstantOfShape, ScatterND, Range, Expand, Equal, Where, …) and the 1/√d of
 * attention. Everything is evaluated twice, with a batch of 1 and of 2, so that a value which depends on the batch size
 * is told apart from one that does not; one that does not is a constant for the rest of the import.
 */
final class ShapeValues {

    /** A value at batch 1 and at batch 2. */
    record Value(StaticTensor at1, StaticTensor at2) {
        boolean dependsOnBatch() { return !Arrays.equals(at1.shape(), at2.shape()) || !Arrays.equals(at1.data(), at2.data()); }

        /** The values at batch 1, flattened (a scalar or a vector as it is used for shapes). */
        long[] atBatch1() { return at1.longs(); }

        long[] atBatch2() { return at2.longs(); }
    }

    /** Ops evaluated once every input is known; the others (Conv, MatMul, …) never read only shapes and constants. */
    static final Set<String> OPS = Set.of("Shape", "Gather", "Unsqueeze", "Squeeze", "Concat", "Cast", "Identity", "Add", "Sub",
            "Mul", "Div", "Mod", "Pow", "Neg", "Slice", "Reshape", "Transpose", "Equal", "Less", "Greater", "Not", "And", "Or", "Where",
            "ConstantOfShape", "Expand", "Range", "ScatterND", "Size");

    private final Map<String, Value> values = new HashMap<>();

    boolean contains(String name) { return values.containsKey(name); }

    Value get(String name) { return values.get(name); }

    /**
     * Evaluates the node if it computes from shapes: every input a value of ours or a constant, at least one of ours (a
     * Shape reads an activation's shape). Returns false if it is not; throws if it is but cannot be evaluated. An Expand
     * whose result depends on the batch (a class token expanded over the batch) is left to the caller.
     *
     * @param constant      a constant by name, or null if the name is not one
     * @param logicalShapes the ONNX shape of an activation at batch 1 and 2, or null if the name is not one
     */
    boolean evaluate(NodeProto n, Function<String, StaticTensor> constant, Function<String, long[][]> logicalShapes) {
        String op = n.getOpType();
        if (!OPS.contains(op)) return false;
        if (op.equals("Shape")) {
            long[][] s = logicalShapes.apply(n.getInput(0));
            Value v = values.get(n.getInput(0));
            if (s == null && v == null) return false;
            long[] b1 = s != null ? s[0] : v.at1.shape(), b2 = s != null ? s[1] : v.at2.shape();
            int rank = b1.length;
            int start = (int) clampAxis(OnnxNodes.intAttr(n, "start", 0), rank), end = (int) clampAxis(OnnxNodes.intAttr(n, "end", rank), rank);
            put(n, StaticTensor.vector(Arrays.copyOfRange(b1, start, end)), StaticTensor.vector(Arrays.copyOfRange(b2, start, end)));
            return true;
        }
        Value[] in = new Value[n.getInputCount()];
        boolean ours = false;
        for (int i = 0; i < in.length; i++) {
            String name = n.getInput(i);
            if (name.isEmpty()) continue;
            if (values.containsKey(name)) { in[i] = values.get(name); ours = true; continue; }
            StaticTensor c = constant.apply(name);
            if (c == null) return false;
            in[i] = new Value(c, c);
        }
        if (!ours) return false; // constants alone: nothing of ours to evaluate
        StaticTensor b1 = apply(n, in, true), b2 = apply(n, in, false);
        Value v = new Value(b1, b2);
        if (op.equals("Expand") && !b1.integer() && v.dependsOnBatch()) return false;
        values.put(n.getOutput(0), v);
        return true;
    }

    private static StaticTensor apply(NodeProto n, Value[] values, boolean batch1) {
        StaticTensor[] in = new StaticTensor[values.length];
        for (int i = 0; i < in.length; i++) in[i] = values[i] == null ? null : batch1 ? values[i].at1 : values[i].at2;
        StaticTensor a = in[0];
        return switch (n.getOpType()) {
            case "Identity" -> a;
            case "Cast" -> cast(a, OnnxNodes.intAttr(n, "to", 1));
            case "Unsqueeze", "Squeeze" -> a.reshape(squeezed(n, a, in.length > 1 && in[1] != null ? in[1].longs() : OnnxNodes.intsOrNull(n, "axes")));
            case "Reshape" -> a.reshape(in[1].longs());
            case "Transpose" -> a.transpose(perm(n, a.rank()));
            case "Concat" -> StaticTensor.concat(in, axis(OnnxNodes.intAttr(n, "axis", 0), a.rank()));
            case "Gather" -> a.gather(in[1], axis(OnnxNodes.intAttr(n, "axis", 0), a.rank()));
            case "Slice" -> a.slice(in[1].longs(), in[2].longs(), optional(in, 3), optional(in, 4));
            case "Add" -> StaticTensor.binary(a, in[1], Double::sum, a.integer() && in[1].integer());
            case "Sub" -> StaticTensor.binary(a, in[1], (x, y) -> x - y, a.integer() && in[1].integer());
            case "Mul" -> StaticTensor.binary(a, in[1], (x, y) -> x * y, a.integer() && in[1].integer());
            case "Div" -> {
                boolean integer = a.integer() && in[1].integer();
                yield StaticTensor.binary(a, in[1], (x, y) -> {
                    if (integer && y == 0) throw new IllegalArgumentException("division by zero in shape arithmetic");
                    return integer ? (double) ((long) x / (long) y) : x / y; // ONNX integer Div truncates
                }, integer);
            }
            case "Mod" -> StaticTensor.binary(a, in[1], OnnxNodes.intAttr(n, "fmod", 0) != 0 ? (x, y) -> x % y
                    : (x, y) -> { double r = x % y; return r != 0 && (r < 0) != (y < 0) ? r + y : r; }, a.integer() && in[1].integer());
            case "Pow" -> StaticTensor.binary(a, in[1], Math::pow, a.integer());
            case "Neg" -> StaticTensor.binary(a, StaticTensor.scalar(-1, true), (x, y) -> x * y, a.integer());
            case "Equal" -> StaticTensor.binary(a, in[1], (x, y) -> x == y ? 1 : 0, true);
            case "Less" -> StaticTensor.binary(a, in[1], (x, y) -> x < y ? 1 : 0, true);
            case "Greater" -> StaticTensor.binary(a, in[1], (x, y) -> x > y ? 1 : 0, true);
            case "And" -> StaticTensor.binary(a, in[1], (x, y) -> x != 0 && y != 0 ? 1 : 0, true);
            case "Or" -> StaticTensor.binary(a, in[1], (x, y) -> x != 0 || y != 0 ? 1 : 0, true);
            case "Not" -> StaticTensor.binary(a, StaticTensor.scalar(0, true), (x, y) -> x == 0 ? 1 : 0, true);
            case "Where" -> StaticTensor.where(a, in[1], in[2]);
            case "ConstantOfShape" -> constantOfShape(n, a.longs());
            case "Expand" -> a.expand(in[1].longs());
            case "Range" -> range(a.data()[0], in[1].data()[0], in[2].data()[0], a.integer());
            case "ScatterND" -> {
                if (!OnnxNodes.stringAttr(n, "reduction", "none").equals("none")) throw new IllegalArgumentException("ScatterND with a reduction");
                yield a.scatterNd(in[1], in[2]);
            }
            case "Size" -> StaticTensor.scalar(a.size(), true);
            default -> throw new IllegalArgumentException(n.getOpType() + " on values computed from shapes");
        };
    }

    private void put(NodeProto n, StaticTensor b1, StaticTensor b2) { values.put(n.getOutput(0), new Value(b1, b2)); }

    private static long[] optional(StaticTensor[] in, int i) { return in.length > i && in[i] != null ? in[i].longs() : null; }

    private static int axis(long axis, int rank) { return (int) (axis < 0 ? axis + rank : axis); }

    private static long[] perm(NodeProto n, int rank) {
        long[] p = OnnxNodes.intsOrNull(n, "perm");
        if (p != null) return p;
        p = new long[rank];
        for (int i = 0; i < rank; i++) p[i] = rank - 1 - i;
        return p;
    }

    /** The shape after Unsqueeze (axes of the output) or Squeeze (axes of the input; all size-1 axes when none). */
    private static long[] squeezed(NodeProto n, StaticTensor a, long[] axes) {
        java.util.List<Long> shape = new java.util.ArrayList<>();
        for (long d : a.shape()) shape.add(d);
        if (n.getOpType().equals("Unsqueeze")) {
            int rank = shape.size() + axes.length;
            for (long x : Arrays.stream(axes).map(x -> x < 0 ? x + rank : x).sorted().toArray()) shape.add((int) x, 1L);
        } else {
            int rank = shape.size();
            for (int i = rank - 1; i >= 0; i--) {
                int at = i;
                boolean named = axes == null ? shape.get(i) == 1 : Arrays.stream(axes).anyMatch(x -> (x < 0 ? x + rank : x) == at);
                if (named) shape.remove(i);
            }
        }
        return shape.stream().mapToLong(Long::longValue).toArray();
    }

    private static StaticTensor cast(StaticTensor a, long to) {
        boolean integer = to != 1 && to != 10 && to != 11 && to != 16; // FLOAT, FLOAT16, DOUBLE, BFLOAT16
        double[] v = a.data().clone();
        if (to == 9) for (int i = 0; i < v.length; i++) v[i] = v[i] != 0 ? 1 : 0; // BOOL
        else if (integer) for (int i = 0; i < v.length; i++) v[i] = (long) v[i];
        return new StaticTensor(a.shape(), v, integer);
    }

    private static StaticTensor constantOfShape(NodeProto n, long[] shape) {
        onnx.Onnx.AttributeProto attr = OnnxNodes.attr(n, "value");
        double fill = 0;
        boolean integer = false;
        if (attr != null) {
            onnx.Onnx.TensorProto t = attr.getT();
            integer = t.getDataType() != onnx.Onnx.TensorProto.DataType.FLOAT_VALUE && t.getDataType() != onnx.Onnx.TensorProto.DataType.DOUBLE_VALUE;
            fill = OnnxTensors.firstValue(t);
        }
        double[] v = new double[(int) Tensor.elementCount(shape)];
        Arrays.fill(v, fill);
        return new StaticTensor(shape, v, integer);
    }

    private static StaticTensor range(double start, double limit, double delta, boolean integer) {
        int n = (int) Math.max(0, Math.ceil((limit - start) / delta));
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = start + i * delta;
        return new StaticTensor(new long[] {n}, v, integer);
    }

    private static long clampAxis(long i, int length) { return Math.max(0, Math.min(length, i < 0 ? i + length : i)); }
}
