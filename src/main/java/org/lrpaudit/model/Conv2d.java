package org.lrpaudit.model;

import java.util.Arrays;
import java.util.Objects;

/**
 * 2-D convolution, NCHW. weight [O, I/groups, kH, kW] (ONNX layout), bias [O] (zeros if the model has none).
 * pads = {top, left, bottom, right}. groups &gt; 1: grouped; groups = I = O with a 1×1 kernel: a per-channel affine map
 * (a batch norm that could not be folded is imported as one).
 */
public record Conv2d(String name, Tensor weight, Tensor bias, int[] stride, int[] pads, int[] dilation, int groups)
        implements Layer {
    @Override public <T> T accept(Visitor<T> v) { return v.visit(this); }

    public Conv2d(String name, Tensor weight, Tensor bias, int[] stride, int[] pads, int[] dilation) {
        this(name, weight, bias, stride, pads, dilation, 1);
    }

    /** y = scale·x + shift per channel of a [C, H, W] map, as a depthwise 1×1 convolution. */
    public static Conv2d channelAffine(String name, float[] scale, float[] shift) {
        int c = scale.length;
        return new Conv2d(name, new Tensor(new long[] {c, 1, 1, 1}, scale.clone()), new Tensor(new long[] {c}, shift.clone()),
                new int[] {1, 1}, new int[4], new int[] {1, 1}, c);
    }

    public Conv2d {
        if (weight.rank() != 4) throw new IllegalArgumentException(name + ": conv weight must be 4-D, got " + weight);
        if (groups < 1 || weight.dim(0) % groups != 0) {
            throw new IllegalArgumentException(name + ": " + weight.dim(0) + " output channels do not split into " + groups + " groups");
        }
        if (bias.rank() != 1 || bias.dim(0) != weight.dim(0)) {
            throw new IllegalArgumentException(name + ": bias " + bias + " does not match weight " + weight);
        }
        if (stride.length != 2 || pads.length != 4 || dilation.length != 2) {
            throw new IllegalArgumentException(name + ": stride/dilation need 2 values, pads 4");
        }
        stride = stride.clone();
        pads = pads.clone();
        dilation = dilation.clone();
    }

    public int outChannels() { return (int) weight.dim(0); }
    public int inChannels() { return (int) weight.dim(1) * groups; }
    /** A depthwise 1×1 convolution: one scale and shift per channel (what a standalone batch norm is). */
    public boolean isChannelAffine() { return groups == outChannels() && groups == inChannels() && kernelH() == 1 && kernelW() == 1
            && stride[0] == 1 && stride[1] == 1 && java.util.Arrays.stream(pads).allMatch(p -> p == 0); }
    public int kernelH() { return (int) weight.dim(2); }
    public int kernelW() { return (int) weight.dim(3); }
    public boolean symmetricPadding() { return pads[0] == pads[2] && pads[1] == pads[3]; }

    @Override public int[] stride() { return stride.clone(); }
    @Override public int[] pads() { return pads.clone(); }
    @Override public int[] dilation() { return dilation.clone(); }

    @Override public String type() { return "conv"; }
    @Override public boolean isParametric() { return true; }
    @Override public long parameterCount() { return weight.size() + bias.size(); }

    public Conv2d withWeights(Tensor newWeight, Tensor newBias) {
        return new Conv2d(name, newWeight, newBias, stride, pads, dilation, groups);
    }

    @Override public boolean equals(Object o) {
        return o instanceof Conv2d c && name.equals(c.name) && weight.equals(c.weight) && bias.equals(c.bias)
                && Arrays.equals(stride, c.stride) && Arrays.equals(pads, c.pads) && Arrays.equals(dilation, c.dilation) && groups == c.groups;
    }

    @Override public int hashCode() {
        return Objects.hash(name, weight, bias, Arrays.hashCode(stride), Arrays.hashCode(pads), Arrays.hashCode(dilation), groups);
    }

    @Override public String toString() {
        return "Conv2d[" + name + ", " + weight + ", stride " + Arrays.toString(stride) + ", pads " + Arrays.toString(pads)
                + ", dilation " + Arrays.toString(dilation) + (groups > 1 ? ", groups " + groups : "") + "]";
    }

    @Override public long[] outputShape(long[] in) {
        if (in.length != 3 || in[0] != inChannels()) {
            throw new IllegalArgumentException(name + ": conv expects [" + inChannels() + ", H, W], got "
                    + Arrays.toString(in));
        }
        return new long[] {outChannels(),
                Layer.windowOutput(in[1], kernelH(), stride[0], pads[0], pads[2], dilation[0]),
                Layer.windowOutput(in[2], kernelW(), stride[1], pads[1], pads[3], dilation[1])};
    }
}
