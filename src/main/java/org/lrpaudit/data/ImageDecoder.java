package org.lrpaudit.data;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes image bytes with ImageIO (PNG, JPEG, BMP, GIF, WBMP). The header's dimensions are checked against a
 * pixel limit before any pixel is decoded, so a decompression bomb is refused cheaply.
 */
public final class ImageDecoder {

    /** Default limit: 100 megapixels (a 10,000 × 10,000 image). */
    public static final long DEFAULT_MAX_PIXELS = 100_000_000L;

    static {
        ImageIO.setUseCache(false); // decode from memory; the default caches every stream in a temporary file
    }

    private final long maxPixels;

    public ImageDecoder(long maxPixels) {
        if (maxPixels <= 0) throw new IllegalArgumentException("pixel limit must be positive");
        this.maxPixels = maxPixels;
    }

    public BufferedImage decode(byte[] bytes) throws BadImageException {
        if (bytes == null || bytes.length == 0) throw new BadImageException("empty file (0 bytes)");
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new BadImageException("not an image ImageIO can decode (supported: PNG, JPEG, BMP, GIF, WBMP)");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long w = reader.getWidth(0), h = reader.getHeight(0);
                if (w <= 0 || h <= 0) throw new BadImageException("image header claims " + w + "×" + h + " pixels");
                if (w * h > maxPixels) {
                    throw new BadImageException("image header claims " + w + "×" + h + " = " + (w * h) + " pixels, above the limit of "
                            + maxPixels + " (raise it with max-pixels if this image is genuine)");
                }
                // decoders report truncated data (e.g. "Premature end of JPEG file") as warnings and fill the gap; refuse it
                java.util.List<String> warnings = new java.util.ArrayList<>();
                reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
                BufferedImage image = reader.read(0);
                if (image == null) throw new BadImageException("decoder returned no image");
                if (!warnings.isEmpty()) throw new BadImageException("corrupt or truncated image: " + String.join("; ", warnings));
                return image;
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            // ImageIO reports truncated or corrupt data as IIOException, EOFException, or unchecked exceptions
            throw new BadImageException("corrupt or truncated " + "image: " + describe(e), e);
        }
    }

    private static String describe(Throwable e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }

    /** An input that cannot become a model input; its message names the problem. */
    public static final class BadImageException extends Exception {
        public BadImageException(String message) { super(message); }
        public BadImageException(String message, Throwable cause) { super(message, cause); }
    }
}
