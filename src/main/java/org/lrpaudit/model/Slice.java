package org.lrpaudit.model;

import java.util.Arrays;

/**
 * A box of the per-image tensor, [begin, end) on every axis (ONNX Slice with step 1, or one output of Split);
 * relevance goes back to its place, the rest of the input gets none.
 */
public record Slice(String name, long[] begin, long[] end) implements Layer {
    public Slice {
        begin = begin.clone();
        end = end.clone();
        if (begin.length != end.length) throw new IllegalArgumentException(name + ": begin and end of different ranks");
        for (int i = 0; i < begin.length; i++) {
            if (begin[i] < 0 || end[i] <= begin[i]) {
                throw new IllegalArgumentException(name + ": empty or negative slice " + Arrays.toString(begin) + " to " + Arrays.toString(end));
            }
        }
    }

    @Override public long[] begin() { return begin.clone(); }

    @Override public long[] end() { return end.clone(); }

    @Override public String type() { return "slice"; }

    @Override public long[] outputShape(long[] in) {
        if (in.length != begin.length) throw new IllegalArgumentException(name + ": slices " + begin.length + " axes, got " + Arrays.toString(in));
        long[] out = new long[in.length];
        for (int i = 0; i < in.length; i++) {
            if (end[i] > in[i]) throw new IllegalArgumentException(name + ": slice end " + Arrays.toString(end) + " beyond " + Arrays.toString(in));
            out[i] = end[i] - begin[i];
        }
        return out;
    }

    @Override public boolean equals(Object o) {
        return o instanceof Slice s && name.equals(s.name) && Arrays.equals(begin, s.begin) && Arrays.equals(end, s.end);
    }

    @Override public int hashCode() { return 31 * name.hashCode() + 7 * Arrays.hashCode(begin) + Arrays.hashCode(end); }
}
