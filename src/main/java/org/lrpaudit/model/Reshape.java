package org.lrpaudit.model;

import java.util.Arrays;

/** A change of the per-image shape (row-major, same element count); relevance takes the input's shape back. */
public record Reshape(String name, long[] shape) implements Layer {
    @Override public <T> T accept(Visitor<T> v) { return v.visit(this); }
    public Reshape { shape = shape.clone(); }

    @Override public long[] shape() { return shape.clone(); }

    @Override public String type() { return "reshape"; }

    @Override public long[] outputShape(long[] in) {
        if (Tensor.elementCount(in) != Tensor.elementCount(shape)) {
            throw new IllegalArgumentException(name + ": cannot reshape " + Arrays.toString(in) + " to " + Arrays.toString(shape));
        }
        return shape.clone();
    }

    @Override public boolean equals(Object o) { return o instanceof Reshape r && name.equals(r.name) && Arrays.equals(shape, r.shape); }

    @Override public int hashCode() { return 31 * name.hashCode() + Arrays.hashCode(shape); }
}
