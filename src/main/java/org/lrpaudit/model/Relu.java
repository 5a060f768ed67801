package org.lrpaudit.model;

/** Rectified linear unit; relevance passes through unchanged. */
public record Relu(String name) implements Layer {
    @Override public <T> T accept(Visitor<T> v) { return v.visit(this); }
    @Override public String type() { return "relu"; }
    @Override public long[] outputShape(long[] in) { return in.clone(); }
}
