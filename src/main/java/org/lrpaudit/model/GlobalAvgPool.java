package org.lrpaudit.model;

import java.util.Arrays;

/** Global average pooling [C, H, W] to [C, 1, 1], as ONNX GlobalAveragePool. */
public record GlobalAvgPool(String name) implements Layer {
    @Override public <T> T accept(Visitor<T> v) { return v.visit(this); }
    @Override public String type() { return "globalavgpool"; }
    @Override public long[] outputShape(long[] in) {
        if (in.length != 3) throw new IllegalArgumentException(name + ": expects [C, H, W], got " + Arrays.toString(in));
        return new long[] {in[0], 1, 1};
    }
}
