package org.lrpaudit.audit.spray;

/**
 * The first step of SpRAy: a heatmap becomes a short vector that compares like with like. It is area-averaged
 * down to at most size×size cells (so images of one class compare by where relevance lies, not by pixel jitter)
 * and normalised to sum 1, either over |R| or over R⁺.
 */
public final class HeatmapVectors {
    /** What a vector sums to one over. */
    public enum Normalisation {
        /** Σ|R| = 1: where relevance of either sign lies. */
        ABS,
        /** ΣR⁺ = 1: where the evidence for the class lies. */
        POSITIVE;

        public static Normalisation parse(String s) {
            return switch (s.trim().toLowerCase()) {
                case "abs" -> ABS;
                case "positive", "pos" -> POSITIVE;
                default -> throw new IllegalArgumentException("unknown SpRAy normalisation '" + s + "': use abs (Σ|R| = 1) or positive (ΣR⁺ = 1)");
            };
        }
    }

    private HeatmapVectors() {}

    /** Cells per side after downsampling a height×width heatmap to at most size per side. */
    public static int[] shape(int height, int width, int size) { return new int[] {Math.min(size, height), Math.min(size, width)}; }

    /** Area-averaged, normalised vector of shape(height, width, size) cells, row-major; all zeros if the heatmap has no mass. */
    public static double[] of(float[] heatmap, int height, int width, int size, Normalisation norm) {
        int[] s = shape(height, width, size);
        int oh = s[0], ow = s[1];
        double[][] rowWeights = overlap(height, oh), colWeights = overlap(width, ow);
        double[] rows = new double[oh * width]; // pool rows first: oh × width
        for (int y = 0; y < height; y++) {
            for (int i = 0; i < oh; i++) {
                double wy = rowWeights[i][y];
                if (wy == 0) continue;
                for (int x = 0; x < width; x++) {
                    float v = heatmap[y * width + x];
                    double m = norm == Normalisation.ABS ? Math.abs(v) : Math.max(v, 0);
                    rows[i * width + x] += wy * m;
                }
            }
        }
        double[] out = new double[oh * ow];
        double total = 0;
        for (int i = 0; i < oh; i++) {
            for (int j = 0; j < ow; j++) {
                double sum = 0;
                for (int x = 0; x < width; x++) sum += colWeights[j][x] * rows[i * width + x];
                out[i * ow + j] = sum;
                total += sum;
            }
        }
        if (total > 0) for (int i = 0; i < out.length; i++) out[i] /= total;
        return out;
    }

    /** overlap[i][p]: the length of pixel p's interval [p, p+1) inside output cell i's interval [i·n/m, (i+1)·n/m). */
    static double[][] overlap(int n, int m) {
        double[][] w = new double[m][n];
        double step = (double) n / m;
        for (int i = 0; i < m; i++) {
            double lo = i * step, hi = (i + 1) * step;
            for (int p = (int) Math.floor(lo); p < Math.min(n, (int) Math.ceil(hi)); p++) {
                w[i][p] = Math.max(0, Math.min(hi, p + 1) - Math.max(lo, p));
            }
        }
        return w;
    }

    public static double squaredDistance(double[] a, double[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            double t = a[i] - b[i];
            d += t * t;
        }
        return d;
    }
}
