package org.lrpaudit.model;

import java.util.Arrays;

/** A permutation of the per-image axes (ONNX Transpose without its batch axis); relevance is permuted back. */
public record Transpose(String name, int[] perm) implements Layer {
    @Override public <T> T accept(Visitor<T> v) { return v.visit(this); }
    public Transpose {
        perm = perm.clone();
        int[] sorted = perm.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < sorted.length; i++) {
            if (sorted[i] != i) throw new IllegalArgumentException(name + ": " + Arrays.toString(perm) + " is not a permutation");
        }
    }

    @Override public int[] perm() { return perm.clone(); }

    @Override public String type() { return "transpose"; }

    @Override public long[] outputShape(long[] in) {
        if (in.length != perm.length) throw new IllegalArgumentException(name + ": permutes " + perm.length + " axes, got " + Arrays.toString(in));
        long[] out = new long[in.length];
        for (int i = 0; i < in.length; i++) out[i] = in[perm[i]];
        return out;
    }

    @Override public boolean equals(Object o) { return o instanceof Transpose t && name.equals(t.name) && Arrays.equals(perm, t.perm); }

    @Override public int hashCode() { return 31 * name.hashCode() + Arrays.hashCode(perm); }
}
