package org.lrpaudit.render;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.HashSet;
import java.util.Set;
import javax.imageio.ImageIO;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.lrpaudit.output.OutputFiles;

/** The report's PNG files in report/img/, each written once (a gallery shown under a finding and in its class shares them). */
final class ImageFiles {
    private final FileSystem fs;
    private final Path dir;
    private final Set<String> written = new HashSet<>();

    ImageFiles(FileSystem fs, Path reportDir) {
        this.fs = fs;
        this.dir = new Path(reportDir, "img");
    }

    /** A heatmap as an {@code <img>} shown {@code shown} pixels wide from a file of about {@code pixels}; "" without one. */
    String heatmap(String file, float[] heatmap, int[] hw, int pixels, int shown, String alt, String cssClass) throws IOException {
        if (heatmap == null || hw == null) return "";
        if (written.add(file)) write(file, Heatmaps.png(heatmap, hw[0], hw[1], pixels));
        return tag(file, shown, alt, cssClass);
    }

    /** An input image upscaled by the same whole factor as a heatmap of its size, so the two line up pixel for pixel. */
    String input(String file, BufferedImage image, int pixels, int shown, String alt) throws IOException {
        if (written.add(file)) {
            int cell = Math.max(1, pixels / Math.max(image.getHeight(), image.getWidth()));
            BufferedImage big = new BufferedImage(image.getWidth() * cell, image.getHeight() * cell, image.getType());
            boolean gray = image.getType() == BufferedImage.TYPE_BYTE_GRAY; // raw samples: no colour-space conversion
            for (int y = 0; y < big.getHeight(); y++) {
                for (int x = 0; x < big.getWidth(); x++) {
                    if (gray) big.getRaster().setSample(x, y, 0, image.getRaster().getSample(x / cell, y / cell, 0));
                    else big.setRGB(x, y, image.getRGB(x / cell, y / cell));
                }
            }
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            ImageIO.write(big, "png", bytes);
            write(file, bytes.toByteArray());
        }
        return tag(file, shown, alt, "input");
    }

    private void write(String file, byte[] png) throws IOException {
        try (OutputStream out = OutputFiles.create(fs, new Path(dir, file))) {
            out.write(png);
        }
    }

    private static String tag(String file, int shown, String alt, String cssClass) {
        return "<img src=\"img/" + file + "\" alt=\"" + Report.esc(alt) + "\" width=\"" + shown + "\""
                + (cssClass == null ? "" : " class=\"" + cssClass + "\"") + ">";
    }
}
