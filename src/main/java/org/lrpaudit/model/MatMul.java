package org.lrpaudit.model;

import java.util.Arrays;
import java.util.List;

/**
 * The matrix product of two activations over their last two axes, batched over the others (QKᵀ, attention · V).
 *
 * @param probabilities which input holds attention probabilities (the output of a {@link Softmax}): 0, 1, or −1 for
 *                      neither. Under CP-LRP that input is a constant weight and receives no relevance.
 */
public record MatMul(String name, int probabilities) implements Layer {
    @Override public <T> T accept(Visitor<T> v) { return v.visit(this); }
    public MatMul {
        if (probabilities < -1 || probabilities > 1) throw new IllegalArgumentException(name + ": probabilities must be input 0, 1 or -1");
    }

    @Override public String type() { return "matmul"; }

    @Override public long[] outputShape(long[] in) { throw new IllegalArgumentException(name + ": a matrix product takes two inputs"); }

    @Override public long[] outputShape(List<long[]> inputs) {
        if (inputs.size() != 2) throw new IllegalArgumentException(name + ": a matrix product takes two inputs, got " + inputs.size());
        long[] a = inputs.get(0), b = inputs.get(1);
        int r = a.length;
        boolean fits = r >= 2 && b.length == r && a[r - 1] == b[r - 2];
        for (int i = 0; fits && i < r - 2; i++) fits = a[i] == b[i];
        if (!fits) throw new IllegalArgumentException(name + ": cannot multiply " + Arrays.toString(a) + " by " + Arrays.toString(b));
        long[] out = a.clone();
        out[r - 1] = b[r - 1];
        return out;
    }
}
