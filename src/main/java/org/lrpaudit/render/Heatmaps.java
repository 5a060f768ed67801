package org.lrpaudit.render;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * Renders a heatmap as the LRP tutorial does: symmetric scale b = 10·(mean |R|³)^(1/3), values
 * clipped to [−b, b], matplotlib's "seismic" colour map times 0.85 (red = evidence for the class, blue = against),
 * nearest-neighbour upscaling.
 */
public final class Heatmaps {
    // matplotlib's seismic: equally spaced anchors from dark blue through white to dark red
    private static final double[][] SEISMIC = {{0, 0, 0.3}, {0, 0, 1}, {1, 1, 1}, {1, 0, 0}, {0.5, 0, 0}};

    private Heatmaps() {}

    /** The tutorial's colour scale bound for a heatmap. */
    public static double scale(float[] heatmap) {
        double sum = 0;
        for (float v : heatmap) sum += Math.abs((double) v * v * v);
        return 10 * Math.cbrt(sum / heatmap.length);
    }

    /** RGB of a value in [−1, 1] on the seismic map, times 0.85. */
    public static int seismic(double t) {
        double x = (Math.max(-1, Math.min(1, t)) + 1) / 2 * (SEISMIC.length - 1);
        int i = Math.min((int) x, SEISMIC.length - 2);
        double f = x - i;
        int rgb = 0;
        for (int c = 0; c < 3; c++) {
            double v = (SEISMIC[i][c] * (1 - f) + SEISMIC[i + 1][c] * f) * 0.85;
            rgb = (rgb << 8) | (int) Math.round(v * 255);
        }
        return rgb;
    }

    public static BufferedImage render(float[] heatmap, int height, int width, int pixelsPerCell) {
        double b = scale(heatmap);
        BufferedImage img = new BufferedImage(width * pixelsPerCell, height * pixelsPerCell, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int rgb = seismic(b == 0 ? 0 : heatmap[y * width + x] / b);
                for (int dy = 0; dy < pixelsPerCell; dy++) {
                    for (int dx = 0; dx < pixelsPerCell; dx++) img.setRGB(x * pixelsPerCell + dx, y * pixelsPerCell + dy, rgb);
                }
            }
        }
        return img;
    }

    /** PNG bytes of the rendered heatmap, upscaled to about `pixels` on its longer side. */
    public static byte[] png(float[] heatmap, int height, int width, int pixels) {
        var bytes = new java.io.ByteArrayOutputStream();
        try {
            ImageIO.write(render(heatmap, height, width, Math.max(1, pixels / Math.max(height, width))), "png", bytes);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    public static void writePng(float[] heatmap, int height, int width, Path file) throws IOException {
        int cell = Math.max(1, 224 / Math.max(height, width));
        ImageIO.write(render(heatmap, height, width, cell), "png", file.toFile());
    }
}
