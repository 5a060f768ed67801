package org.lrpaudit.model;

import java.util.Arrays;
import java.util.function.DoubleBinaryOperator;

/**
 * A small tensor computed at import from shapes and constants (numpy semantics): a reshape target, padding amounts,
 * Swin's attention mask, a 1/√d scale. Values are held as doubles, exact for the integers of shape arithmetic.
 *
 * @param integer whether ONNX holds it as an integer (or boolean) tensor
 */
record StaticTensor(long[] shape, double[] data, boolean integer) {

    static StaticTensor vector(long[] v) { return new StaticTensor(new long[] {v.length}, Arrays.stream(v).asDoubleStream().toArray(), true); }

    static StaticTensor scalar(double v, boolean integer) { return new StaticTensor(new long[0], new double[] {v}, integer); }

    int rank() { return shape.length; }

    long size() { return data.length; }

    long[] longs() {
        long[] out = new long[data.length];
        for (int i = 0; i < out.length; i++) out[i] = (long) data[i];
        return out;
    }

    static long[] strides(long[] shape) {
        long[] s = new long[shape.length];
        long p = 1;
        for (int i = shape.length - 1; i >= 0; i--) { s[i] = p; p *= shape[i]; }
        return s;
    }

    /** The element at a multi-index of a shape this tensor broadcasts to (numpy rules, aligned at the right). */
    private double at(long[] index) {
        long offset = 0, stride = 1;
        for (int i = shape.length - 1, j = index.length - 1; i >= 0; i--, j--) {
            if (shape[i] != 1) offset += index[j] * stride;
            stride *= shape[i];
        }
        return data[(int) offset];
    }

    static long[] broadcastShape(long[]... shapes) {
        int rank = Arrays.stream(shapes).mapToInt(s -> s.length).max().orElse(0);
        long[] out = new long[rank];
        Arrays.fill(out, 1);
        for (long[] s : shapes) {
            for (int i = 0; i < s.length; i++) {
                int j = rank - s.length + i;
                if (s[i] == out[j] || s[i] == 1) continue;
                if (out[j] != 1) throw new IllegalArgumentException("shapes " + Arrays.deepToString(shapes) + " do not broadcast");
                out[j] = s[i];
            }
        }
        return out;
    }

    /** Calls f with every multi-index of shape, in row-major order. */
    static void forEach(long[] shape, java.util.function.Consumer<long[]> f) {
        long n = Tensor.elementCount(shape);
        long[] index = new long[shape.length];
        for (long k = 0; k < n; k++) {
            f.accept(index);
            for (int d = shape.length - 1; d >= 0; d--) {
                if (++index[d] < shape[d]) break;
                index[d] = 0;
            }
        }
    }

    static StaticTensor binary(StaticTensor a, StaticTensor b, DoubleBinaryOperator f, boolean integer) {
        long[] shape = broadcastShape(a.shape, b.shape);
        double[] out = new double[(int) Tensor.elementCount(shape)];
        int[] k = {0};
        forEach(shape, i -> out[k[0]++] = f.applyAsDouble(a.at(i), b.at(i)));
        return new StaticTensor(shape, out, integer);
    }

    static StaticTensor where(StaticTensor c, StaticTensor x, StaticTensor y) {
        long[] shape = broadcastShape(c.shape, x.shape, y.shape);
        double[] out = new double[(int) Tensor.elementCount(shape)];
        int[] k = {0};
        forEach(shape, i -> out[k[0]++] = c.at(i) != 0 ? x.at(i) : y.at(i));
        return new StaticTensor(shape, out, x.integer && y.integer);
    }

    StaticTensor expand(long[] target) {
        long[] shape = broadcastShape(this.shape, target);
        double[] out = new double[(int) Tensor.elementCount(shape)];
        int[] k = {0};
        forEach(shape, i -> out[k[0]++] = at(i));
        return new StaticTensor(shape, out, integer);
    }

    StaticTensor reshape(long[] target) {
        long[] out = target.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < out.length; i++) {
            if (out[i] == 0) out[i] = shape[i];
            if (out[i] == -1) infer = i; else known *= out[i];
        }
        if (infer >= 0) out[infer] = known == 0 ? 0 : data.length / known;
        if (Tensor.elementCount(out) != data.length) throw new IllegalArgumentException("Reshape of " + Arrays.toString(shape) + " to " + Arrays.toString(target));
        return new StaticTensor(out, data, integer);
    }

    StaticTensor transpose(long[] perm) {
        long[] out = new long[perm.length], inStrides = strides(shape);
        for (int i = 0; i < perm.length; i++) out[i] = shape[(int) perm[i]];
        double[] values = new double[data.length];
        int[] k = {0};
        forEach(out, i -> {
            long offset = 0;
            for (int d = 0; d < perm.length; d++) offset += i[d] * inStrides[(int) perm[d]];
            values[k[0]++] = data[(int) offset];
        });
        return new StaticTensor(out, values, integer);
    }

    static StaticTensor concat(StaticTensor[] parts, int axis) {
        long[] shape = parts[0].shape.clone();
        shape[axis] = 0;
        for (StaticTensor p : parts) shape[axis] += p.shape[axis];
        double[] out = new double[(int) Tensor.elementCount(shape)];
        long[] strides = strides(shape);
        long start = 0;
        for (StaticTensor p : parts) {
            long begin = start;
            int[] k = {0};
            forEach(p.shape, i -> {
                long offset = 0;
                for (int d = 0; d < i.length; d++) offset += (d == axis ? i[d] + begin : i[d]) * strides[d];
                out[(int) offset] = p.data[k[0]++];
            });
            start += p.shape[axis];
        }
        return new StaticTensor(shape, out, Arrays.stream(parts).allMatch(p -> p.integer));
    }

    /** ONNX Slice: per named axis a start, end and step (negative steps run backwards). */
    StaticTensor slice(long[] starts, long[] ends, long[] axes, long[] steps) {
        long[] begin = new long[shape.length], step = new long[shape.length], out = shape.clone();
        Arrays.fill(step, 1);
        for (int k = 0; k < starts.length; k++) {
            int a = (int) (axes == null ? k : axes[k] < 0 ? axes[k] + shape.length : axes[k]);
            long s = steps == null ? 1 : steps[k], dim = shape[a];
            long b = starts[k] < 0 ? starts[k] + dim : starts[k], e = ends[k] < 0 ? ends[k] + dim : ends[k];
            if (s > 0) { b = Math.max(0, Math.min(dim, b)); e = Math.max(0, Math.min(dim, e)); }
            else { b = Math.max(-1, Math.min(dim - 1, b)); e = Math.max(-1, Math.min(dim - 1, e)); }
            begin[a] = b;
            step[a] = s;
            out[a] = s > 0 ? Math.max(0, (e - b + s - 1) / s) : Math.max(0, (b - e - s - 1) / -s);
        }
        long[] strides = strides(shape);
        double[] values = new double[(int) Tensor.elementCount(out)];
        int[] k = {0};
        forEach(out, i -> {
            long offset = 0;
            for (int d = 0; d < i.length; d++) offset += (begin[d] + i[d] * step[d]) * strides[d];
            values[k[0]++] = data[(int) offset];
        });
        return new StaticTensor(out, values, integer);
    }

    /** ONNX Gather along an axis with an index tensor. */
    StaticTensor gather(StaticTensor indices, int axis) {
        long[] out = new long[shape.length - 1 + indices.rank()];
        System.arraycopy(shape, 0, out, 0, axis);
        System.arraycopy(indices.shape, 0, out, axis, indices.rank());
        System.arraycopy(shape, axis + 1, out, axis + indices.rank(), shape.length - axis - 1);
        long[] strides = strides(shape), indexStrides = strides(indices.shape);
        double[] values = new double[(int) Tensor.elementCount(out)];
        int[] k = {0};
        forEach(out, i -> {
            long offset = 0, at = 0;
            for (int d = 0; d < indices.rank(); d++) at += i[axis + d] * indexStrides[d];
            long idx = (long) indices.data[(int) at];
            if (idx < 0) idx += shape[axis];
            for (int d = 0; d < axis; d++) offset += i[d] * strides[d];
            offset += idx * strides[axis];
            for (int d = axis + 1; d < shape.length; d++) offset += i[d - 1 + indices.rank()] * strides[d];
            values[k[0]++] = data[(int) offset];
        });
        return new StaticTensor(out, values, integer);
    }

    /** ONNX ScatterND without reduction: a copy with the slices named by indices replaced by updates. */
    StaticTensor scatterNd(StaticTensor indices, StaticTensor updates) {
        double[] out = data.clone();
        int q = indices.rank(), depth = (int) indices.shape[q - 1];
        long[] strides = strides(shape);
        long slice = 1;
        for (int d = depth; d < shape.length; d++) slice *= shape[d];
        long tuples = indices.size() / depth;
        for (long t = 0; t < tuples; t++) {
            long offset = 0;
            for (int d = 0; d < depth; d++) {
                long idx = (long) indices.data[(int) (t * depth + d)];
                offset += (idx < 0 ? idx + shape[d] : idx) * strides[d];
            }
            for (long e = 0; e < slice; e++) out[(int) (offset + e)] = updates.data[(int) (t * slice + e)];
        }
        return new StaticTensor(shape, out, integer);
    }
}
