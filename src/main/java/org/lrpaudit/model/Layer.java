package org.lrpaudit.model;

import java.io.Serializable;

/**
 * One layer of a canonical network: plain data (weights as {@link Tensor}s), no ND4J, no LRP.
 * Shapes are per image, without the batch dimension: [C, H, W] for feature maps, [F] for vectors.
 */
public sealed interface Layer extends Serializable
        permits Conv2d, Dense, Relu, Clip, Activation, Gate, MaxPool2d, AvgPool2d, GlobalAvgPool, Flatten, Reshape, Transpose, Slice, Add,
        Concat, Scale, Shift, LayerNorm, Pad2d, Softmax, MatMul, ConstantConcat {


    /**
     * One method per layer type: a new type added to {@code permits} needs a {@code visit} here, and then every visitor
     * (the engine's layer builder among them) fails to compile until it handles the type — not an executor at run time.
     */
    interface Visitor<T> {
        T visit(Conv2d l);
        T visit(Dense l);
        T visit(Relu l);
        T visit(Clip l);
        T visit(Activation l);
        T visit(Gate l);
        T visit(MaxPool2d l);
        T visit(AvgPool2d l);
        T visit(GlobalAvgPool l);
        T visit(Flatten l);
        T visit(Reshape l);
        T visit(Transpose l);
        T visit(Slice l);
        T visit(Add l);
        T visit(Concat l);
        T visit(Scale l);
        T visit(Shift l);
        T visit(LayerNorm l);
        T visit(Pad2d l);
        T visit(Softmax l);
        T visit(MatMul l);
        T visit(ConstantConcat l);
    }

    <T> T accept(Visitor<T> v);

    /** The node name in the source model (for messages and the describe table). */
    String name();

    /** Short type name shown in the describe table, e.g. "conv", "dense", "relu". */
    String type();

    /** Output shape for a given input shape; throws {@link IllegalArgumentException} if they don't fit. */
    long[] outputShape(long[] inputShape);

    /** Output shape for the shapes of all its inputs (layers other than Add, Concat and Gate take exactly one). */
    default long[] outputShape(java.util.List<long[]> inputs) {
        if (inputs.size() != 1) throw new IllegalArgumentException(name() + " takes one input, got " + inputs.size());
        return outputShape(inputs.get(0));
    }

    /** Layers with weights take an LRP rule; the others pass or reshape relevance. */
    default boolean isParametric() { return false; }

    default long parameterCount() { return 0; }

    /** Spatial output size of a sliding window, with ONNX's floor semantics. */
    static long windowOutput(long in, int kernel, int stride, int padBegin, int padEnd, int dilation) {
        long effective = (long) dilation * (kernel - 1) + 1;
        long span = in + padBegin + padEnd - effective;
        if (span < 0) {
            throw new IllegalArgumentException("window of " + effective + " does not fit input of " + in
                    + " with padding " + padBegin + "+" + padEnd);
        }
        return span / stride + 1;
    }
}
