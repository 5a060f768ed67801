package org.lrpaudit.model;

import java.util.Arrays;
import java.util.List;

/** Concatenation along a per-image axis (0: channels); LRP hands each input the relevance of its own slice. */
public record Concat(String name, int arity, int axis) implements Layer {
    @Override public <T> T accept(Visitor<T> v) { return v.visit(this); }
    /** Along channels. */
    public Concat(String name, int arity) { this(name, arity, 0); }

    @Override public String type() { return "concat"; }

    @Override public long[] outputShape(long[] in) { return in.clone(); }

    @Override public long[] outputShape(List<long[]> inputs) {
        if (inputs.size() != arity) throw new IllegalArgumentException(name + ": expects " + arity + " inputs, got " + inputs.size());
        long[] first = inputs.get(0);
        if (axis < 0 || axis >= first.length) throw new IllegalArgumentException(name + ": axis " + axis + " of " + Arrays.toString(first));
        long total = 0;
        for (long[] s : inputs) {
            boolean fits = s.length == first.length;
            for (int i = 0; fits && i < s.length; i++) fits = i == axis || s[i] == first[i];
            if (!fits) {
                throw new IllegalArgumentException(name + ": concatenates shapes " + inputs.stream().map(Arrays::toString).toList()
                        + " along axis " + axis + "; all other dimensions must agree");
            }
            total += s[axis];
        }
        long[] out = first.clone();
        out[axis] = total;
        return out;
    }
}
