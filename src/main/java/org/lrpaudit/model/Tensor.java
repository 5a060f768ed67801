package org.lrpaudit.model;

import java.io.Serializable;
import java.util.Arrays;

/**
 * An immutable float tensor in row-major order: the plain-array form in which weights are loaded,
 * validated and broadcast to Spark executors (ND4J arrays are built from it once per JVM).
 */
public record Tensor(long[] shape, float[] data) implements Serializable {

    public Tensor {
        shape = shape.clone();
        long n = elementCount(shape);
        if (n != data.length) {
            throw new IllegalArgumentException("tensor of shape " + Arrays.toString(shape)
                    + " needs " + n + " values, got " + data.length);
        }
    }

    /** Product of the dimensions, refusing negative sizes and overflow (hostile files claim absurd sizes). */
    public static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public int rank() { return shape.length; }

    public long dim(int i) { return shape[i]; }

    @Override public long[] shape() { return shape.clone(); }

    /** The backing array; callers must not modify it. Exposed to avoid copies of large weights. */
    @Override public float[] data() { return data; }

    public long size() { return data.length; }

    public Tensor map(java.util.function.DoubleUnaryOperator f) {
        float[] out = new float[data.length];
        for (int i = 0; i < out.length; i++) out[i] = (float) f.applyAsDouble(data[i]);
        return new Tensor(shape, out);
    }

    @Override public boolean equals(Object o) {
        return o instanceof Tensor t && Arrays.equals(shape, t.shape) && Arrays.equals(data, t.data);
    }

    @Override public int hashCode() { return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data); }

    @Override public String toString() { return "Tensor" + Arrays.toString(shape); }
}
