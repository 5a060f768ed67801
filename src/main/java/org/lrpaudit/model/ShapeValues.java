package org.lrpaudit.model;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.function.LongBinaryOperator;
import onnx.Onnx.NodeProto;

/**
 * Integer arithmetic on tensor shapes inside a graph (Shape, Gather, Unsqueeze, Concat, Cast, Div, …), as exports with a
 * dynamic batch size compute reshape targets and slice bounds. Evaluated once at import, twice over: with a batch of 1
 * and of 2, so that a value which depends on the batch size is told apart from one that does not.
 */
final class ShapeValues {

    /** An integer tensor (a scalar or a vector: both are held as a vector) at batch 1 and at batch 2. */
    record Value(long[] atBatch1, long[] atBatch2) {
        boolean dependsOnBatch() { return !Arrays.equals(atBatch1, atBatch2); }
    }

    private final Map<String, Value> values = new HashMap<>();

    boolean contains(String name) { return values.containsKey(name); }

    Value get(String name) { return values.get(name); }

    /**
     * Evaluates the node if it is shape arithmetic: every input a shape value or an integer constant (Shape: of an
     * activation whose per-image shape is known). Returns false if it is not; throws if it is but cannot be evaluated.
     *
     * @param constant an integer constant by name, or null if the name is not one
     * @param logicalShapes the ONNX shape of an activation at batch 1 and 2, or null if the name is not one
     */
    boolean evaluate(NodeProto n, Function<String, long[]> constant, Function<String, long[][]> logicalShapes) {
        String op = n.getOpType();
        if (op.equals("Shape")) {
            long[][] s = logicalShapes.apply(n.getInput(0));
            Value v = values.get(n.getInput(0));
            if (s == null && v == null) return false;
            long[] b1 = s != null ? s[0] : new long[] {v.atBatch1.length}, b2 = s != null ? s[1] : new long[] {v.atBatch2.length};
            int rank = b1.length;
            int start = (int) clampAxis(OnnxNodes.intAttr(n, "start", 0), rank), end = (int) clampAxis(OnnxNodes.intAttr(n, "end", rank), rank);
            put(n, Arrays.copyOfRange(b1, start, end), Arrays.copyOfRange(b2, start, end));
            return true;
        }
        if (op.equals("ConstantOfShape") && values.containsKey(n.getInput(0))) {
            long fill = fillValue(n);
            put(n, filled(values.get(n.getInput(0)).atBatch1, fill), filled(values.get(n.getInput(0)).atBatch2, fill));
            return true;
        }
        Value[] in = new Value[n.getInputCount()];
        boolean readsShape = false;
        for (int i = 0; i < in.length; i++) {
            String name = n.getInput(i);
            if (name.isEmpty()) continue;
            if (values.containsKey(name)) { in[i] = values.get(name); readsShape = true; continue; }
            long[] c = constant.apply(name);
            if (c == null) return false;
            in[i] = new Value(c, c);
        }
        if (!readsShape) return false; // constants alone: nothing of ours to evaluate
        switch (op) {
            case "Cast", "Identity", "Unsqueeze", "Squeeze" -> put(n, in[0].atBatch1, in[0].atBatch2);
            case "Reshape" -> {
                long[] t = in[1].atBatch1;
                if (t.length != 1 || t[0] != -1 && t[0] != in[0].atBatch1.length) throw new IllegalArgumentException("Reshape of a shape value to " + Arrays.toString(t));
                put(n, in[0].atBatch1, in[0].atBatch2);
            }
            case "Equal" -> binary(n, in, (a, b) -> a == b ? 1 : 0);
            case "Where" -> put(n, where(in[0].atBatch1, in[1].atBatch1, in[2].atBatch1), where(in[0].atBatch2, in[1].atBatch2, in[2].atBatch2));
            case "Gather" -> {
                if (OnnxNodes.intAttr(n, "axis", 0) != 0) throw new IllegalArgumentException("Gather on shape values along axis != 0");
                long[] idx = in[1].atBatch1;
                put(n, gather(in[0].atBatch1, idx), gather(in[0].atBatch2, idx));
            }
            case "Concat" -> {
                long[] b1 = new long[0], b2 = new long[0];
                for (Value v : in) { b1 = concat(b1, v.atBatch1); b2 = concat(b2, v.atBatch2); }
                put(n, b1, b2);
            }
            case "Add" -> binary(n, in, Long::sum);
            case "Sub" -> binary(n, in, (a, b) -> a - b);
            case "Mul" -> binary(n, in, (a, b) -> a * b);
            case "Div" -> binary(n, in, (a, b) -> {
                if (b == 0) throw new IllegalArgumentException("division by zero in shape arithmetic");
                return a / b;
            });
            case "Slice" -> {
                long[] starts = in[1].atBatch1, ends = in[2].atBatch1;
                if (in.length > 3 && in[3] != null && (in[3].atBatch1.length != 1 || in[3].atBatch1[0] != 0)) {
                    throw new IllegalArgumentException("Slice of a shape value along an axis other than 0");
                }
                if (in.length > 4 && in[4] != null && in[4].atBatch1[0] != 1) throw new IllegalArgumentException("Slice of a shape value with a step");
                put(n, slice(in[0].atBatch1, starts[0], ends[0]), slice(in[0].atBatch2, starts[0], ends[0]));
            }
            default -> throw new IllegalArgumentException(op + " on shape values (supported: Shape, Gather, Unsqueeze, Squeeze, Concat, Cast, "
                    + "Add, Sub, Mul, Div, Slice, Reshape, Equal, Where, ConstantOfShape)");
        }
        return true;
    }

    /** ConstantOfShape's fill value (an int64 tensor of one element; 0 when absent). */
    private static long fillValue(NodeProto n) {
        onnx.Onnx.AttributeProto a = OnnxNodes.attr(n, "value");
        if (a == null) return 0;
        onnx.Onnx.TensorProto t = a.getT();
        if (t.getDataType() != onnx.Onnx.TensorProto.DataType.INT64_VALUE) throw new IllegalArgumentException("ConstantOfShape of a non-integer value");
        if (t.getInt64DataCount() > 0) return t.getInt64Data(0);
        return java.nio.ByteBuffer.wrap(t.getRawData().toByteArray()).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
    }

    private static long[] filled(long[] shape, long value) {
        if (shape.length != 1) throw new IllegalArgumentException("ConstantOfShape of rank " + shape.length + " (only vectors)");
        long[] out = new long[(int) shape[0]];
        Arrays.fill(out, value);
        return out;
    }

    private static long[] where(long[] condition, long[] x, long[] y) {
        int n = Math.max(condition.length, Math.max(x.length, y.length));
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            boolean c = condition[condition.length == 1 ? 0 : i] != 0;
            out[i] = c ? x[x.length == 1 ? 0 : i] : y[y.length == 1 ? 0 : i];
        }
        return out;
    }

    private void put(NodeProto n, long[] b1, long[] b2) { values.put(n.getOutput(0), new Value(b1, b2)); }

    private void binary(NodeProto n, Value[] in, LongBinaryOperator f) {
        put(n, apply(in[0].atBatch1, in[1].atBatch1, f), apply(in[0].atBatch2, in[1].atBatch2, f));
    }

    private static long[] apply(long[] a, long[] b, LongBinaryOperator f) {
        int n = Math.max(a.length, b.length);
        if (a.length != n && a.length != 1 || b.length != n && b.length != 1) {
            throw new IllegalArgumentException("shape arithmetic on lengths " + a.length + " and " + b.length);
        }
        long[] out = new long[n];
        for (int i = 0; i < n; i++) out[i] = f.applyAsLong(a[a.length == 1 ? 0 : i], b[b.length == 1 ? 0 : i]);
        return out;
    }

    private static long[] gather(long[] data, long[] idx) {
        long[] out = new long[idx.length];
        for (int i = 0; i < idx.length; i++) out[i] = data[(int) (idx[i] < 0 ? idx[i] + data.length : idx[i])];
        return out;
    }

    private static long[] slice(long[] data, long start, long end) {
        long s = clampAxis(start, data.length), e = clampAxis(end, data.length);
        return Arrays.copyOfRange(data, (int) s, (int) Math.max(s, e));
    }

    private static long clampAxis(long i, int length) { return Math.max(0, Math.min(length, i < 0 ? i + length : i)); }

    private static long[] concat(long[] a, long[] b) {
        long[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static long[] withBatch(long batch, long[] perImage) {
        long[] out = new long[perImage.length + 1];
        out[0] = batch;
        System.arraycopy(perImage, 0, out, 1, perImage.length);
        return out;
    }
}
