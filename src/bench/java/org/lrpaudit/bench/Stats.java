package org.lrpaudit.bench;

import java.util.Arrays;
import java.util.List;

/** Median and spread of repeated timings. */
record Stats(double median, double min, double max, int n) {
    static Stats of(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        if (v.length == 0) throw new IllegalArgumentException("no measurements");
        double median = v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
        return new Stats(median, v[0], v[v.length - 1], v.length);
    }

    /** Spread as ±half the range relative to the median, in percent. */
    double spreadPercent() { return 100 * (max - min) / 2 / median; }

    @Override public String toString() { return String.format("%.4g (min %.4g, max %.4g, n=%d)", median, min, max, n); }

    static double[] sorted(double[] a) { double[] c = a.clone(); Arrays.sort(c); return c; }
}
