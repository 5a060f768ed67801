package org.lrpaudit.model;

/**
 * Addition of a constant that is not the bias of a preceding conv or dense layer (it broadcasts like {@link Scale}).
 * LRP's z-rule: R_in = x·R / (x + c); the constant absorbs its share, as a bias does.
 */
public record Shift(String name, Tensor values) implements Layer {
    @Override public <T> T accept(Visitor<T> v) { return v.visit(this); }
    @Override public String type() { return "shift"; }

    @Override public long[] outputShape(long[] in) {
        Broadcast.check(name, values.shape(), in);
        return in.clone();
    }

    Shift withZeroValues() { return new Shift(name, new Tensor(values.shape(), new float[values.data().length])); }
}
