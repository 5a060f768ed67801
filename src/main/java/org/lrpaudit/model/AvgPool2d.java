package org.lrpaudit.model;

/** Average pooling; countIncludePad follows ONNX's count_include_pad. */
public record AvgPool2d(String name, PoolWindow window, boolean countIncludePad) implements Layer {
    @Override public <T> T accept(Visitor<T> v) { return v.visit(this); }
    @Override public String type() { return "avgpool"; }
    @Override public long[] outputShape(long[] in) { return window.outputShape(name, in); }
}
