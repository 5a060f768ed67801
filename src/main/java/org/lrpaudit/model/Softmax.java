package org.lrpaudit.model;

/**
 * A softmax inside the network (attention probabilities), over one per-image axis. A softmax at the very end is not
 * a layer: it is stripped at import, LRP explains the logits. What LRP does with it depends on the attention rule:
 * under CP-LRP the probabilities are constants and the softmax passes no relevance to its input.
 */
public record Softmax(String name, int axis) implements Layer {
    @Override public <T> T accept(Visitor<T> v) { return v.visit(this); }
    @Override public String type() { return "softmax"; }

    @Override public long[] outputShape(long[] in) {
        if (axis < 0 || axis >= in.length) throw new IllegalArgumentException(name + ": softmax axis " + axis + " of a rank-" + in.length + " input");
        return in.clone();
    }
}
