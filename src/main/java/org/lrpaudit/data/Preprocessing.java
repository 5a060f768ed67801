package org.lrpaudit.data;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Locale;
import org.lrpaudit.lrp.InputBounds;

/**
 * Turns a decoded image into the model's input [C, H, W]: colour conversion, optional resize of the shorter
 * side, centre crop (or resize when no shorter-side resize is set and the size differs), scaling to [0, 1] and
 * per-channel (x − mean)/std. The z^B bounds follow from it ({@link #bounds()}).
 *
 * @param resizeShorter resize so the shorter side has this many pixels before cropping; 0 to resize straight to H×W
 */
public record Preprocessing(Color color, int height, int width, int resizeShorter, double[] mean, double[] std)
        implements Serializable {

    public enum Color {
        GRAY(1), RGB(3);
        public final int channels;
        Color(int channels) { this.channels = channels; }

        public static Color parse(String s) {
            return switch (s.trim().toLowerCase(Locale.ROOT)) {
                case "gray", "grey", "l" -> GRAY;
                case "rgb" -> RGB;
                default -> throw new IllegalArgumentException("unknown colour mode '" + s + "'; use gray or rgb");
            };
        }
    }

    public Preprocessing {
        if (height <= 0 || width <= 0) throw new IllegalArgumentException("size must be positive, got " + height + "x" + width);
        if (resizeShorter < 0) throw new IllegalArgumentException("resize must be >= 0");
        mean = expand("mean", mean, color.channels);
        std = expand("std", std, color.channels);
        for (double s : std) if (!(s > 0)) throw new IllegalArgumentException("std values must be positive, got " + Arrays.toString(std));
    }

    private static double[] expand(String name, double[] v, int channels) {
        if (v.length == channels) return v.clone();
        if (v.length == 1) { double[] out = new double[channels]; Arrays.fill(out, v[0]); return out; }
        throw new IllegalArgumentException(name + " needs 1 or " + channels + " values, got " + v.length);
    }

    public int channels() { return color.channels; }

    public long[] shape() { return new long[] {color.channels, height, width}; }

    public InputBounds bounds() { return InputBounds.fromNormalisation(mean, std, color.channels); }

    @Override public double[] mean() { return mean.clone(); }
    @Override public double[] std() { return std.clone(); }

    /** The model input for one image, row-major [C, H, W]. */
    public float[] apply(BufferedImage image) {
        int components = image.getColorModel().getColorSpace().getNumComponents();
        if (components != 1 && components != 3) {
            throw new IllegalArgumentException("image has " + components + " colour channels (e.g. CMYK); expected gray or RGB");
        }
        BufferedImage sized = fit(image);
        float[] out = new float[color.channels * height * width];
        int plane = height * width;
        Raster raster = sized.getRaster();
        boolean gray = raster.getNumBands() <= 2 && sized.getColorModel().getColorSpace().getNumComponents() == 1;
        double max = (1L << sized.getColorModel().getComponentSize(0)) - 1;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                double r, g, b;
                if (gray) {
                    // raw samples: getRGB would push gray through a colour-space conversion and change the values
                    r = g = b = raster.getSample(x, y, 0) / max;
                } else {
                    int rgb = sized.getRGB(x, y);
                    r = ((rgb >> 16) & 0xff) / 255.0;
                    g = ((rgb >> 8) & 0xff) / 255.0;
                    b = (rgb & 0xff) / 255.0;
                }
                int i = y * width + x;
                if (color == Color.GRAY) {
                    double l = gray ? r : (r * 299 + g * 587 + b * 114) / 1000; // ITU-R 601 luma, as PIL's convert('L')
                    out[i] = (float) ((l - mean[0]) / std[0]);
                } else {
                    out[i] = (float) ((r - mean[0]) / std[0]);
                    out[plane + i] = (float) ((g - mean[1]) / std[1]);
                    out[2 * plane + i] = (float) ((b - mean[2]) / std[2]);
                }
            }
        }
        return out;
    }

    /** The resize and crop {@link #apply} makes, before colour conversion and scaling: the image as the model sees its H×W. */
    public BufferedImage fit(BufferedImage image) {
        int w = image.getWidth(), h = image.getHeight();
        if (resizeShorter > 0) {
            double scale = (double) resizeShorter / Math.min(w, h);
            int nw = Math.max(width, (int) Math.round(w * scale)), nh = Math.max(height, (int) Math.round(h * scale));
            if (nw != w || nh != h) image = resize(image, nw, nh);
            int x0 = (image.getWidth() - width) / 2, y0 = (image.getHeight() - height) / 2;
            return image.getSubimage(x0, y0, width, height);
        }
        return w == width && h == height ? image : resize(image, width, height);
    }

    private static BufferedImage resize(BufferedImage image, int w, int h) {
        boolean gray = image.getColorModel().getColorSpace().getNumComponents() == 1 && image.getRaster().getNumBands() == 1
                && image.getColorModel().getComponentSize(0) == 8;
        BufferedImage out = new BufferedImage(w, h, gray ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
        if (gray) {
            // Java2D would convert gray through a colour space; resample the raw samples bilinearly instead
            Raster src = image.getRaster();
            var dst = out.getRaster();
            double sx = (double) image.getWidth() / w, sy = (double) image.getHeight() / h;
            for (int y = 0; y < h; y++) {
                double fy = Math.max(0, (y + 0.5) * sy - 0.5);
                int y0 = Math.min((int) fy, image.getHeight() - 1), y1 = Math.min(y0 + 1, image.getHeight() - 1);
                double dy = fy - y0;
                for (int x = 0; x < w; x++) {
                    double fx = Math.max(0, (x + 0.5) * sx - 0.5);
                    int x0 = Math.min((int) fx, image.getWidth() - 1), x1 = Math.min(x0 + 1, image.getWidth() - 1);
                    double dx = fx - x0;
                    double v = (1 - dy) * ((1 - dx) * src.getSample(x0, y0, 0) + dx * src.getSample(x1, y0, 0))
                            + dy * ((1 - dx) * src.getSample(x0, y1, 0) + dx * src.getSample(x1, y1, 0));
                    dst.setSample(x, y, 0, (int) Math.round(v));
                }
            }
            return out;
        }
        Graphics2D g = out.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.drawImage(image, 0, 0, w, h, null);
        } finally {
            g.dispose();
        }
        return out;
    }

    @Override public boolean equals(Object o) {
        return o instanceof Preprocessing p && color == p.color && height == p.height && width == p.width
                && resizeShorter == p.resizeShorter && Arrays.equals(mean, p.mean) && Arrays.equals(std, p.std);
    }

    @Override public int hashCode() { return Arrays.hashCode(new double[] {color.ordinal(), height, width, resizeShorter}) ^ Arrays.hashCode(mean); }

    @Override public String toString() {
        return color.name().toLowerCase(Locale.ROOT) + " " + height + "x" + width + (resizeShorter > 0 ? " (resize " + resizeShorter + ", centre crop)" : "")
                + " mean " + Arrays.toString(mean) + " std " + Arrays.toString(std);
    }
}
