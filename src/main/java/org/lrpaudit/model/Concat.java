package org.lrpaudit.model;

import java.util.Arrays;
import java.util.List;

/** Concatenation of feature maps along the channel axis; LRP hands each input the relevance of its own channels. */
public record Concat(String name, int arity) implements Layer {
    @Override public String type() { return "concat"; }

    @Override public long[] outputShape(long[] in) { return in.clone(); }

    @Override public long[] outputShape(List<long[]> inputs) {
        if (inputs.size() != arity) throw new IllegalArgumentException(name + ": expects " + arity + " inputs, got " + inputs.size());
        long channels = 0;
        for (long[] s : inputs) {
            if (s.length != inputs.get(0).length || !Arrays.equals(Arrays.copyOfRange(s, 1, s.length),
                    Arrays.copyOfRange(inputs.get(0), 1, s.length))) {
                throw new IllegalArgumentException(name + ": concatenates shapes " + inputs.stream().map(Arrays::toString).toList()
                        + " along channels; all other dimensions must agree");
            }
            channels += s[0];
        }
        long[] out = inputs.get(0).clone();
        out[0] = channels;
        return out;
    }
}
