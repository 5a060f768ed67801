package org.lrpaudit.model;

/** min(max(x, low), high), e.g. ReLU6; like ReLU, relevance passes through unchanged. */
public record Clip(String name, float low, float high) implements Layer {
    @Override public <T> T accept(Visitor<T> v) { return v.visit(this); }
    @Override public String type() { return "clip"; }

    @Override public long[] outputShape(long[] in) { return in.clone(); }
}
