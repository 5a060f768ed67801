package org.lrpaudit.lrp;

import java.io.Serializable;
import java.util.Arrays;

/**
 * Per-channel bounds l ≤ x ≤ h of the network input, for the z^B rule. From the preprocessing: pixels in [0, 1]
 * normalised with mean and std give l = (0 − mean)/std and h = (1 − mean)/std.
 */
public record InputBounds(float[] low, float[] high) implements Serializable {

    public InputBounds {
        if (low.length != high.length || low.length == 0) throw new IllegalArgumentException("bounds need one low and high per channel");
        for (int c = 0; c < low.length; c++) {
            if (!(low[c] < high[c])) throw new IllegalArgumentException("bound low " + low[c] + " is not below high " + high[c]);
        }
        low = low.clone();
        high = high.clone();
    }

    /** Pixels scaled to [0, 1], then (x − mean)/std per channel; one value applies to all channels. */
    public static InputBounds fromNormalisation(double[] mean, double[] std, int channels) {
        float[] lo = new float[channels], hi = new float[channels];
        for (int c = 0; c < channels; c++) {
            double m = mean.length == 1 ? mean[0] : mean[c], s = std.length == 1 ? std[0] : std[c];
            if (!(s > 0)) throw new IllegalArgumentException("std must be positive, got " + s);
            lo[c] = (float) ((0 - m) / s);
            hi[c] = (float) ((1 - m) / s);
        }
        return new InputBounds(lo, hi);
    }

    public static InputBounds constant(double low, double high, int channels) {
        float[] lo = new float[channels], hi = new float[channels];
        Arrays.fill(lo, (float) low);
        Arrays.fill(hi, (float) high);
        return new InputBounds(lo, hi);
    }

    public int channels() { return low.length; }
    @Override public float[] low() { return low.clone(); }
    @Override public float[] high() { return high.clone(); }
}
