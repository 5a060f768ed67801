package org.lrpaudit.model;

/**
 * Multiplication by a constant, one factor for all values or one per channel ([C, 1, 1] broadcasting). Relevance
 * passes through unchanged: each output is its own input times a constant, so it owes all its relevance to it.
 */
public record Scale(String name, float[] factors) implements Layer {
    public Scale {
        factors = factors.clone();
    }

    @Override public float[] factors() { return factors.clone(); }

    @Override public String type() { return "scale"; }

    @Override public long[] outputShape(long[] in) {
        if (factors.length != 1 && (in.length != 3 || in[0] != factors.length)) {
            throw new IllegalArgumentException(name + ": " + factors.length + " per-channel factors for a " + java.util.Arrays.toString(in) + " input");
        }
        return in.clone();
    }
}
