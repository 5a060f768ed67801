package org.lrpaudit.model;

import java.util.Arrays;
import java.util.List;

/**
 * y = x · g: a signal multiplied by a gate (a squeeze-excitation scale, the σ(x) of SiLU, the hard sigmoid of
 * Hardswish, the Φ(x) of GELU). The gate broadcasts onto the signal ([C, 1, 1] onto [C, H, W]). LRP treats the gate as
 * a constant weight: all relevance goes to the signal, none to the gate (signal-take-all).
 *
 * @param signal which of the two inputs is the signal (0 or 1); the other is the gate
 */
public record Gate(String name, int signal) implements Layer {
    @Override public <T> T accept(Visitor<T> v) { return v.visit(this); }
    public Gate {
        if (signal != 0 && signal != 1) throw new IllegalArgumentException(name + ": signal must be input 0 or 1");
    }

    @Override public String type() { return "gate"; }

    @Override public long[] outputShape(long[] in) { throw new IllegalArgumentException(name + ": a gate takes two inputs"); }

    @Override public long[] outputShape(List<long[]> inputs) {
        if (inputs.size() != 2) throw new IllegalArgumentException(name + ": a gate takes two inputs, got " + inputs.size());
        long[] x = inputs.get(signal), g = inputs.get(1 - signal);
        try {
            Broadcast.check(name, g, x);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + ": gate " + Arrays.toString(g) + " does not broadcast onto signal " + Arrays.toString(x), e);
        }
        return x.clone();
    }
}
