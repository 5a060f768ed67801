package org.lrpaudit.model;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Objects;

/** Geometry of a pooling window: kernel {kH, kW}, stride {sH, sW}, pads {top, left, bottom, right}. */
public record PoolWindow(int[] kernel, int[] stride, int[] pads) implements Serializable {

    public PoolWindow {
        if (kernel.length != 2 || stride.length != 2 || pads.length != 4) {
            throw new IllegalArgumentException("pool window needs 2 kernel, 2 stride and 4 pad values");
        }
        kernel = kernel.clone();
        stride = stride.clone();
        pads = pads.clone();
    }

    @Override public int[] kernel() { return kernel.clone(); }
    @Override public int[] stride() { return stride.clone(); }
    @Override public int[] pads() { return pads.clone(); }

    public boolean symmetricPadding() { return pads[0] == pads[2] && pads[1] == pads[3]; }

    long[] outputShape(String name, long[] in) {
        if (in.length != 3) throw new IllegalArgumentException(name + ": expects [C, H, W], got " + Arrays.toString(in));
        return new long[] {in[0],
                Layer.windowOutput(in[1], kernel[0], stride[0], pads[0], pads[2], 1),
                Layer.windowOutput(in[2], kernel[1], stride[1], pads[1], pads[3], 1)};
    }

    @Override public boolean equals(Object o) {
        return o instanceof PoolWindow w && Arrays.equals(kernel, w.kernel) && Arrays.equals(stride, w.stride) && Arrays.equals(pads, w.pads);
    }

    @Override public int hashCode() { return Objects.hash(Arrays.hashCode(kernel), Arrays.hashCode(stride), Arrays.hashCode(pads)); }

    @Override public String toString() {
        return "k" + kernel[0] + "x" + kernel[1] + " s" + stride[0] + "x" + stride[1] + " p" + Arrays.toString(pads);
    }
}
