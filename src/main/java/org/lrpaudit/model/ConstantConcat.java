package org.lrpaudit.model;

import java.util.Arrays;

/**
 * An activation with constant entries concatenated before and/or after it along a per-image axis: ViT's class token
 * (the same learned vector for every image) put in front of the patch tokens. The constants absorb the relevance that
 * reaches them, as a bias does.
 *
 * @param before per-image constant placed first along the axis, or null
 * @param after  per-image constant placed last, or null
 */
public record ConstantConcat(String name, int axis, Tensor before, Tensor after) implements Layer {
    @Override public <T> T accept(Visitor<T> v) { return v.visit(this); }
    @Override public String type() { return "concat-const"; }

    @Override public long[] outputShape(long[] in) {
        if (axis < 0 || axis >= in.length) throw new IllegalArgumentException(name + ": axis " + axis + " of " + Arrays.toString(in));
        long[] out = in.clone();
        for (Tensor t : new Tensor[] {before, after}) {
            if (t == null) continue;
            long[] s = t.shape();
            boolean fits = s.length == in.length;
            for (int i = 0; fits && i < s.length; i++) fits = i == axis || s[i] == in[i];
            if (!fits) throw new IllegalArgumentException(name + ": constant " + Arrays.toString(s) + " does not fit " + Arrays.toString(in) + " along axis " + axis);
            out[axis] += s[axis];
        }
        return out;
    }

    @Override public long parameterCount() { return (before == null ? 0 : before.size()) + (after == null ? 0 : after.size()); }

    ConstantConcat withZeroValues() {
        return new ConstantConcat(name, axis, before == null ? null : new Tensor(before.shape(), new float[before.data().length]),
                after == null ? null : new Tensor(after.shape(), new float[after.data().length]));
    }
}
