package org.lrpaudit.render;

import java.util.List;
import java.util.Locale;

/** A class's spectral analysis as inline SVG: its Laplacian eigenvalues, and its images in a 2-D view of the embedding. */
final class SpectrumPlots {
    /** Matplotlib's "tab10" colours, one per cluster (cycled beyond ten). */
    private static final String[] PALETTE = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
            "#bcbd22", "#17becf"};

    private SpectrumPlots() {}

    static String colour(int cluster) { return PALETTE[Math.floorMod(cluster, PALETTE.length)]; }

    /** Eigenvalues of the normalised Laplacian as a line plot, the chosen cluster count marked. */
    static String eigenvalues(List<Double> eig, int clusters) {
        int w = 320, h = 140, pad = 24;
        double max = Math.max(1e-9, eig.stream().mapToDouble(Double::doubleValue).max().orElse(1));
        StringBuilder pts = new StringBuilder(), dots = new StringBuilder();
        for (int i = 0; i < eig.size(); i++) {
            double x = pad + (w - 2.0 * pad) * i / Math.max(1, eig.size() - 1), y = h - pad - (h - 2.0 * pad) * eig.get(i) / max;
            pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
            dots.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"><title>λ%d = %.4f</title></circle>", x, y,
                    i == clusters - 1 ? "#b00" : "#333", i + 1, eig.get(i)));
        }
        return "<svg class=\"eigenvalues\" width=\"" + w + "\" height=\"" + h + "\" role=\"img\" aria-label=\"eigenvalues\">"
                + "<line x1=\"" + pad + "\" y1=\"" + (h - pad) + "\" x2=\"" + (w - pad) + "\" y2=\"" + (h - pad) + "\" stroke=\"#999\"/>"
                + "<polyline fill=\"none\" stroke=\"#36c\" points=\"" + pts + "\"/>" + dots
                + "<text x=\"" + pad + "\" y=\"14\" font-size=\"11\">Laplacian eigenvalues (red: last before the chosen eigengap, " + clusters
                + " clusters)</text></svg>\n";
    }

    /**
     * The class's sampled images at their coordinates in the 2nd and 3rd eigenvectors, coloured by cluster, each with
     * its image id as a tooltip; says how many of the class's images are shown.
     */
    static String embedding(int target, List<Report.Point> points, long classSize) {
        int w = 320, h = 260, pad = 20, top = 34;
        double minX = Double.MAX_VALUE, maxX = -Double.MAX_VALUE, minY = Double.MAX_VALUE, maxY = -Double.MAX_VALUE;
        for (Report.Point p : points) {
            minX = Math.min(minX, p.x());
            maxX = Math.max(maxX, p.x());
            minY = Math.min(minY, p.y());
            maxY = Math.max(maxY, p.y());
        }
        double spanX = Math.max(maxX - minX, 1e-12), spanY = Math.max(maxY - minY, 1e-12);
        StringBuilder svg = new StringBuilder("<svg class=\"embedding\" data-class=\"").append(target).append("\" width=\"").append(w)
                .append("\" height=\"").append(h).append("\" role=\"img\" aria-label=\"spectral embedding\">")
                .append("<rect x=\"").append(pad).append("\" y=\"").append(top).append("\" width=\"").append(w - 2 * pad).append("\" height=\"")
                .append(h - top - pad).append("\" fill=\"none\" stroke=\"#ccc\"/>");
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"14\" font-size=\"11\">spectral embedding: %,d of %,d images, by cluster</text>",
                pad, points.size(), classSize));
        java.util.TreeSet<Integer> clusters = new java.util.TreeSet<>();
        for (Report.Point p : points) clusters.add(p.cluster());
        int lx = pad;
        for (int c : clusters) { // legend
            svg.append(String.format(Locale.ROOT, "<circle cx=\"%d\" cy=\"25\" r=\"4\" fill=\"%s\"/><text x=\"%d\" y=\"29\" font-size=\"10\">%d</text>",
                    lx + 4, colour(c), lx + 10, c));
            lx += 28;
        }
        for (Report.Point p : points) {
            double x = pad + 4 + (w - 2 * pad - 8) * (p.x() - minX) / spanX, y = h - pad - 4 - (h - top - pad - 8) * (p.y() - minY) / spanY;
            svg.append(String.format(Locale.ROOT, "<circle class=\"point\" data-cluster=\"%d\" cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"><title>%s (cluster %d)</title></circle>",
                    p.cluster(), x, y, colour(p.cluster()), Report.esc(p.imageId()), p.cluster()));
        }
        return svg.append("<text x=\"").append(pad).append("\" y=\"").append(h - 5)
                .append("\" font-size=\"10\">x, y: 2nd and 3rd Laplacian eigenvectors over √degree (the 1st is constant)</text></svg>\n").toString();
    }
}
