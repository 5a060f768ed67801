package org.lrpaudit;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;

/** Real image files for tests: the bundled Fashion-MNIST sample, and broken ones made from it. */
public final class TestImages {
    public static final Path SAMPLE = Path.of("samples/fashion-mnist");
    public static final Path SAMPLE_IMAGES = SAMPLE.resolve("images");
    public static final String SAMPLE_CONFIG = SAMPLE.resolve("lrp-audit.properties").toString();

    private TestImages() {}

    public static List<String> classNames() {
        try {
            return Files.readAllLines(SAMPLE.resolve("classes.txt")).stream().filter(l -> !l.isBlank()).toList();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Copies the first {@code perClass} sample PNGs of each class folder into {@code dir}, keeping the folders. */
    public static void copySample(Path dir, int perClass) throws IOException {
        for (String cls : classNames()) {
            Path target = Files.createDirectories(dir.resolve(cls));
            try (Stream<Path> files = Files.list(SAMPLE_IMAGES.resolve(cls))) {
                for (Path f : files.sorted().limit(perClass).toList()) Files.copy(f, target.resolve(f.getFileName()));
            }
        }
    }

    public static byte[] truncated(byte[] bytes) { return Arrays.copyOf(bytes, bytes.length / 2); }

    public static byte[] jpeg(BufferedImage image) throws IOException {
        BufferedImage rgb = new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_INT_RGB);
        rgb.getGraphics().drawImage(image, 0, 0, null);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(rgb, "jpg", out);
        return out.toByteArray();
    }

    /** A valid PNG signature and IHDR claiming width × height pixels, followed by almost no data. */
    public static byte[] pngClaiming(int width, int height) {
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(width).putInt(height).put((byte) 8).put((byte) 0).put((byte) 0).put((byte) 0).put((byte) 0);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        chunk(out, "IHDR", ihdr.array());
        chunk(out, "IDAT", new byte[] {0x78, (byte) 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01});
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        byte[] t = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        out.writeBytes(t);
        out.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }
}
