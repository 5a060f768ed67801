package org.lrpaudit.model;

/** Flattens [C, H, W] to [C·H·W] (ONNX Flatten axis 1, or an equivalent Reshape/Squeeze). */
public record Flatten(String name) implements Layer {
    @Override public <T> T accept(Visitor<T> v) { return v.visit(this); }
    @Override public String type() { return "flatten"; }
    @Override public long[] outputShape(long[] in) { return new long[] {Tensor.elementCount(in)}; }
}
