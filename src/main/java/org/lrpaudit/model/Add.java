package org.lrpaudit.model;

import java.util.Arrays;
import java.util.List;

/**
 * Element-wise sum of two or more activations of equal shape (a residual connection). LRP splits the relevance of
 * the sum between its inputs in proportion to their contributions, R_i = x_i·R / (Σx + ε·sign(Σx)).
 */
public record Add(String name, int arity) implements Layer {
    @Override public <T> T accept(Visitor<T> v) { return v.visit(this); }
    @Override public String type() { return "add"; }

    @Override public long[] outputShape(long[] in) { return in.clone(); }

    @Override public long[] outputShape(List<long[]> inputs) {
        if (inputs.size() != arity) throw new IllegalArgumentException(name + ": expects " + arity + " inputs, got " + inputs.size());
        for (long[] s : inputs) {
            if (!Arrays.equals(s, inputs.get(0))) {
                throw new IllegalArgumentException(name + ": adds tensors of shapes " + inputs.stream().map(Arrays::toString).toList()
                        + "; only equal shapes are supported (no broadcasting)");
            }
        }
        return inputs.get(0).clone();
    }
}
