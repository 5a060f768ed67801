package org.lrpaudit.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lrpaudit.SparkTest;

/** The report's inputs read again from their source: the pixels the model was given, or a reason, never an exception. */
class InputImagesTest extends SparkTest {
    @TempDir Path tmp;

    static final Preprocessing GRAY = new Preprocessing(Preprocessing.Color.GRAY, 8, 8, 0, new double[] {0.3}, new double[] {0.2});

    /** A w×h gray image whose pixel (x, y) is (7x + 13y) mod 256. */
    static BufferedImage ramp(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.getRaster().setSample(x, y, 0, (7 * x + 13 * y) % 256);
        return img;
    }

    static byte[] png(BufferedImage img) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }

    /** What the model saw, normalisation undone, as 8-bit values: the reference the shown image must equal. */
    static int expected(Preprocessing p, BufferedImage img, int channel, int x, int y) {
        float v = p.apply(img)[channel * p.height() * p.width() + y * p.width() + x];
        return (int) Math.round(Math.max(0, Math.min(1, v * p.std()[channel] + p.mean()[channel])) * 255);
    }

    @Test
    void aFileIsShownAsTheModelSawItAndAMissingOrBrokenOneGivesAReason() throws IOException {
        BufferedImage original = ramp(8, 8);
        Files.write(tmp.resolve("a.png"), png(original));
        Files.write(tmp.resolve("broken.png"), new byte[] {1, 2, 3});
        Map<String, InputImages.Shown> shown = InputImages.files(new Configuration(), GRAY, 1_000_000).read(List.of(
                new InputImages.Ref("a.png", tmp.resolve("a.png").toUri().toString()),
                new InputImages.Ref("gone.png", tmp.resolve("gone.png").toUri().toString()),
                new InputImages.Ref("broken.png", tmp.resolve("broken.png").toString()),
                new InputImages.Ref("none", null)));
        BufferedImage a = shown.get("a.png").image();
        assertNull(shown.get("a.png").problem());
        for (int y = 0; y < 8; y++) for (int x = 0; x < 8; x++) assertEquals(original.getRaster().getSample(x, y, 0), a.getRaster().getSample(x, y, 0));
        assertNull(shown.get("gone.png").image());
        assertTrue(shown.get("gone.png").problem().contains("no longer exists"), shown.get("gone.png").problem());
        assertTrue(shown.get("broken.png").problem().contains("no longer decodes"), shown.get("broken.png").problem());
        assertEquals("no source recorded", shown.get("none").problem());
    }

    /** Resize of the shorter side and centre crop: the shown image is the crop, so it lines up with the heatmap. */
    @Test
    void theResizeAndCropOfTheRunAreApplied() throws IOException {
        BufferedImage rgb = new BufferedImage(30, 20, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 20; y++) for (int x = 0; x < 30; x++) rgb.setRGB(x, y, (x * 8) << 16 | (y * 12) << 8 | ((x + y) * 4));
        Files.write(tmp.resolve("wide.png"), png(rgb));
        Preprocessing p = new Preprocessing(Preprocessing.Color.RGB, 8, 8, 10, new double[] {0.5, 0.4, 0.3}, new double[] {0.2, 0.25, 0.3});
        BufferedImage shown = InputImages.files(new Configuration(), p, 1_000_000)
                .read(List.of(new InputImages.Ref("wide", tmp.resolve("wide.png").toString()))).get("wide").image();
        assertEquals(8, shown.getWidth());
        assertEquals(8, shown.getHeight());
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                int v = shown.getRGB(x, y);
                assertEquals(expected(p, rgb, 0, x, y), (v >> 16) & 0xff);
                assertEquals(expected(p, rgb, 1, x, y), (v >> 8) & 0xff);
                assertEquals(expected(p, rgb, 2, x, y), v & 0xff);
            }
        }
    }

    /** An IDX image is found by the index in its image id, in a gzipped file too; an index past the end gives a reason. */
    @Test
    void idxImagesAreReadByTheirIndex() throws IOException {
        for (String name : List.of("t-images-idx3-ubyte", "t-images-idx3-ubyte.gz")) {
            Path file = tmp.resolve(name);
            try (OutputStream raw = Files.newOutputStream(file);
                 DataOutputStream out = new DataOutputStream(name.endsWith(".gz") ? new GZIPOutputStream(raw) : raw)) {
                out.writeInt(0x803);
                out.writeInt(3);
                out.writeInt(8);
                out.writeInt(8);
                for (int i = 0; i < 3; i++) for (int p = 0; p < 64; p++) out.writeByte(i * 64 + p);
            }
            // out of index order: the file is read in one pass, in index order
            Map<String, InputImages.Shown> shown = InputImages.files(new Configuration(), GRAY, 1_000_000).read(List.of(
                    new InputImages.Ref(name + "#000002", file.toString()), new InputImages.Ref(name + "#000007", file.toString()),
                    new InputImages.Ref(name + "#000000", file.toString())));
            for (int i : new int[] {0, 2}) {
                BufferedImage img = shown.get(name + "#00000" + i).image();
                assertNotNull(img, String.valueOf(shown.get(name + "#00000" + i).problem()));
                for (int p = 0; p < 64; p++) assertEquals(i * 64 + p, img.getRaster().getSample(p % 8, p / 8, 0), name + " #" + i + " pixel " + p);
            }
            assertTrue(shown.get(name + "#000007").problem().contains("holds 3 images"), shown.get(name + "#000007").problem());
        }
    }

    /** A Parquet input: the sampled ids looked up in the table; an id no longer there gives a reason. */
    @Test
    void parquetImagesAreLookedUpById() throws IOException {
        BufferedImage img = ramp(8, 8);
        StructType schema = new StructType().add("id", DataTypes.LongType).add("bytes", DataTypes.BinaryType);
        String table = tmp.resolve("table").toString();
        spark.createDataFrame(List.<Row>of(RowFactory.create(1L, png(ramp(8, 8))), RowFactory.create(2L, new byte[] {9})), schema)
                .write().parquet(table);
        Map<String, InputImages.Shown> shown = InputImages.parquet(spark, GRAY, 1_000_000, "id", "bytes").read(List.of(
                new InputImages.Ref("1", table), new InputImages.Ref("2", table), new InputImages.Ref("3", table)));
        for (int y = 0; y < 8; y++) for (int x = 0; x < 8; x++) assertEquals(img.getRaster().getSample(x, y, 0), shown.get("1").image().getRaster().getSample(x, y, 0));
        assertTrue(shown.get("2").problem().contains("no longer decodes"), shown.get("2").problem());
        assertTrue(shown.get("3").problem().contains("not found"), shown.get("3").problem());
        Map<String, InputImages.Shown> moved = InputImages.parquet(spark, GRAY, 1_000_000, "id", "bytes")
                .read(List.of(new InputImages.Ref("1", tmp.resolve("moved").toString())));
        assertTrue(moved.get("1").problem().startsWith("cannot read the Parquet input"), moved.get("1").problem());
    }
}
