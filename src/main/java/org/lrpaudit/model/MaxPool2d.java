package org.lrpaudit.model;

/** Max pooling. In the LRP backward pass it is treated as average pooling by default (see MaxPoolMode). */
public record MaxPool2d(String name, PoolWindow window) implements Layer {
    @Override public <T> T accept(Visitor<T> v) { return v.visit(this); }
    @Override public String type() { return "maxpool"; }
    @Override public long[] outputShape(long[] in) { return window.outputShape(name, in); }
}
