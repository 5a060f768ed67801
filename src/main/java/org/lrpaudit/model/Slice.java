package org.lrpaudit.model;

import java.util.Arrays;

/**
 * A box of the per-image tensor, [begin, end) with a positive step on every axis (ONNX Slice, one output of Split,
 * Swin's patch merging x[..., 0::2, 0::2, :]); relevance goes back to its place, the rest of the input gets none.
 */
public record Slice(String name, long[] begin, long[] end, long[] step) implements Layer {
    @Override public <T> T accept(Visitor<T> v) { return v.visit(this); }
    public Slice {
        begin = begin.clone();
        end = end.clone();
        step = step.clone();
        if (begin.length != end.length || step.length != begin.length) throw new IllegalArgumentException(name + ": begin, end and step of different ranks");
        for (int i = 0; i < begin.length; i++) {
            if (begin[i] < 0 || end[i] <= begin[i] || step[i] < 1) {
                throw new IllegalArgumentException(name + ": empty or negative slice " + Arrays.toString(begin) + " to " + Arrays.toString(end)
                        + " step " + Arrays.toString(step));
            }
        }
    }

    /** Step 1 on every axis. */
    public Slice(String name, long[] begin, long[] end) { this(name, begin, end, ones(begin.length)); }

    private static long[] ones(int n) {
        long[] s = new long[n];
        Arrays.fill(s, 1);
        return s;
    }

    @Override public long[] begin() { return begin.clone(); }

    @Override public long[] end() { return end.clone(); }

    @Override public long[] step() { return step.clone(); }

    @Override public String type() { return "slice"; }

    @Override public long[] outputShape(long[] in) {
        if (in.length != begin.length) throw new IllegalArgumentException(name + ": slices " + begin.length + " axes, got " + Arrays.toString(in));
        long[] out = new long[in.length];
        for (int i = 0; i < in.length; i++) {
            if (end[i] > in[i]) throw new IllegalArgumentException(name + ": slice end " + Arrays.toString(end) + " beyond " + Arrays.toString(in));
            out[i] = (end[i] - begin[i] + step[i] - 1) / step[i];
        }
        return out;
    }

    @Override public boolean equals(Object o) {
        return o instanceof Slice s && name.equals(s.name) && Arrays.equals(begin, s.begin) && Arrays.equals(end, s.end) && Arrays.equals(step, s.step);
    }

    @Override public int hashCode() { return 31 * name.hashCode() + 7 * Arrays.hashCode(begin) + 3 * Arrays.hashCode(end) + Arrays.hashCode(step); }
}
