package org.lrpaudit.model;

import java.util.Arrays;

/** Zero padding of a feature map's borders {top, left, bottom, right}; relevance is cropped back (padding holds none). */
public record Pad2d(String name, int[] pads) implements Layer {
    @Override public <T> T accept(Visitor<T> v) { return v.visit(this); }
    public Pad2d {
        pads = pads.clone();
        for (int p : pads) if (p < 0) throw new IllegalArgumentException(name + ": negative padding (cropping) " + Arrays.toString(pads));
    }

    @Override public int[] pads() { return pads.clone(); }

    @Override public String type() { return "pad"; }

    @Override public long[] outputShape(long[] in) {
        if (in.length != 3) throw new IllegalArgumentException(name + ": pads [C, H, W] feature maps, got " + Arrays.toString(in));
        return new long[] {in[0], in[1] + pads[0] + pads[2], in[2] + pads[1] + pads[3]};
    }
}
