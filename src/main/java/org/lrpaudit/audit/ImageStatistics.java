package org.lrpaudit.audit;

/**
 * Per-image statistics of a heatmap (H×W, row-major), the columns of images/ that the class aggregates and the
 * audit build on.
 *
 * <ul>
 *   <li>positive / negative sum and max |R|;</li>
 *   <li>centroid (x, y) of |R| in pixel coordinates (NaN for an all-zero heatmap);</li>
 *   <li>entropy of the spatial distribution p = |R| / Σ|R|, normalised by log(H·W) to [0, 1] (1 = spread evenly,
 *       0 = one pixel);</li>
 *   <li>border share: the share of positive relevance in the outer band (10% of each side, at least one pixel);</li>
 *   <li>grid shares: the share of positive relevance in each cell of a g×g grid, row-major.</li>
 * </ul>
 * Shares are 0 when the heatmap has no positive relevance.
 */
public record ImageStatistics(double positiveSum, double negativeSum, double maxAbs, double centroidX, double centroidY,
                              double entropy, double borderShare, float[] gridShares) {

    public static final double BORDER_FRACTION = 0.10;

    public static ImageStatistics of(float[] heatmap, int height, int width, int grid) {
        if (heatmap.length != height * width) throw new IllegalArgumentException("heatmap is not " + height + "x" + width);
        if (grid < 1 || grid > Math.min(height, width)) throw new IllegalArgumentException("grid must be 1.." + Math.min(height, width));
        int bandY = Math.max(1, (int) Math.round(BORDER_FRACTION * height));
        int bandX = Math.max(1, (int) Math.round(BORDER_FRACTION * width));
        double pos = 0, neg = 0, maxAbs = 0, absSum = 0, cx = 0, cy = 0, border = 0;
        double[] cells = new double[grid * grid];
        for (int y = 0; y < height; y++) {
            int gy = (int) ((long) y * grid / height);
            boolean edgeY = y < bandY || y >= height - bandY;
            for (int x = 0; x < width; x++) {
                double v = heatmap[y * width + x], a = Math.abs(v);
                if (v > 0) {
                    pos += v;
                    cells[gy * grid + (int) ((long) x * grid / width)] += v;
                    if (edgeY || x < bandX || x >= width - bandX) border += v;
                } else {
                    neg += v;
                }
                maxAbs = Math.max(maxAbs, a);
                absSum += a;
                cx += a * x;
                cy += a * y;
            }
        }
        double entropy = 0;
        if (absSum > 0) {
            for (float v : heatmap) {
                double p = Math.abs(v) / absSum;
                if (p > 0) entropy -= p * Math.log(p);
            }
            entropy = heatmap.length > 1 ? entropy / Math.log(heatmap.length) : 0;
        }
        float[] shares = new float[cells.length];
        for (int i = 0; i < cells.length; i++) shares[i] = pos > 0 ? (float) (cells[i] / pos) : 0f;
        return new ImageStatistics(pos, neg, maxAbs, absSum > 0 ? cx / absSum : Double.NaN, absSum > 0 ? cy / absSum : Double.NaN,
                entropy, pos > 0 ? border / pos : 0, shares);
    }
}
