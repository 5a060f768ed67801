package org.lrpaudit.model;

/**
 * Multiplication by a constant that broadcasts onto the activation (a scalar, one factor per channel [C, 1, 1], one per
 * last-axis feature, …). Relevance passes through unchanged: each output is its own input times a constant, so it owes
 * all its relevance to it.
 */
public record Scale(String name, Tensor factors) implements Layer {
    @Override public <T> T accept(Visitor<T> v) { return v.visit(this); }
    @Override public String type() { return "scale"; }

    @Override public long[] outputShape(long[] in) {
        Broadcast.check(name, factors.shape(), in);
        return in.clone();
    }
}
