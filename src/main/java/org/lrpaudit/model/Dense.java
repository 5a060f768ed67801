package org.lrpaudit.model;

import java.util.Arrays;

/**
 * Fully connected layer y = W a + b with weight [out, in] and bias [out], on a vector or on the last axis of any
 * tensor (ONNX MatMul: a transformer's or ConvNeXt's MLP on [H, W, C] or token maps).
 */
public record Dense(String name, Tensor weight, Tensor bias) implements Layer {
    @Override public <T> T accept(Visitor<T> v) { return v.visit(this); }

    public Dense {
        if (weight.rank() != 2) throw new IllegalArgumentException(name + ": dense weight must be 2-D, got " + weight);
        if (bias.rank() != 1 || bias.dim(0) != weight.dim(0)) {
            throw new IllegalArgumentException(name + ": bias " + bias + " does not match weight " + weight);
        }
    }

    public int outFeatures() { return (int) weight.dim(0); }
    public int inFeatures() { return (int) weight.dim(1); }

    @Override public String type() { return "dense"; }
    @Override public boolean isParametric() { return true; }
    @Override public long parameterCount() { return weight.size() + bias.size(); }

    public Dense withWeights(Tensor newWeight, Tensor newBias) { return new Dense(name, newWeight, newBias); }

    @Override public long[] outputShape(long[] in) {
        if (in.length == 0 || in[in.length - 1] != inFeatures()) {
            throw new IllegalArgumentException(name + ": dense expects [..., " + inFeatures() + "], got " + Arrays.toString(in));
        }
        long[] out = in.clone();
        out[in.length - 1] = outFeatures();
        return out;
    }
}
