package org.lrpaudit.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lrpaudit.SparkTest;
import org.lrpaudit.TestImages;
import org.lrpaudit.cli.Requests;
import org.lrpaudit.cli.Settings;
import org.lrpaudit.output.Columns;

/** Bad inputs become rows in errors/ with their stage and a message that names the problem; the job goes on. */
class BadInputTest extends SparkTest {
    @TempDir static Path tmp;
    static AuditJob.Result result;
    static Map<String, Row> errors = new HashMap<>();
    static Path out;

    @BeforeAll
    static void runOverBrokenFiles() throws IOException {
        Path in = tmp.resolve("in");
        TestImages.copySample(in, 1); // 10 good images
        Path good = TestImages.SAMPLE_IMAGES.resolve("bag/t10k-00082.png");
        byte[] png = Files.readAllBytes(Files.exists(good) ? good : firstPng());
        Path bag = in.resolve("bag");
        Files.write(bag.resolve("zero-bytes.png"), new byte[0]);
        Files.writeString(bag.resolve("notes.txt"), "not an image, just text that happens to sit in the dataset");
        Files.write(bag.resolve("truncated.png"), TestImages.truncated(png));
        byte[] jpeg = TestImages.jpeg(ImageIO.read(new java.io.ByteArrayInputStream(png)));
        Files.write(bag.resolve("truncated.jpg"), TestImages.truncated(jpeg));
        Files.write(bag.resolve("fine.jpg"), jpeg);
        Files.write(bag.resolve("bomb.png"), TestImages.pngClaiming(50_000, 50_000));
        Files.createDirectories(in.resolve("giraffe"));
        Files.write(in.resolve("giraffe/unknown-label.png"), png);
        out = tmp.resolve("out");
        result = AuditJob.run(Requests.audit(Settings.parse(new String[] {"--config", TestImages.SAMPLE_CONFIG, "--input", in.toString(),
                "--output", out.toString(), "--batch-size", "4"})));
        for (Row r : spark.read().parquet(out.resolve("errors").toString()).collectAsList()) errors.put(r.getAs("image_id"), r);
    }

    static Path firstPng() throws IOException {
        try (var s = Files.list(TestImages.SAMPLE_IMAGES.resolve("bag"))) {
            return s.sorted().findFirst().orElseThrow();
        }
    }

    @Test
    void everyInputIsAccountedFor() {
        assertEquals(17, result.input());
        assertEquals(11, result.explained()); // 10 sample PNGs and the intact JPEG
        assertEquals(6, result.failed());
        assertEquals(result.input(), result.explained() + result.failed());
        assertEquals(6, errors.size());
    }

    @Test
    void eachFailureNamesItsStageAndProblem() {
        assertError("bag/zero-bytes.png", "read", "empty file");
        assertError("bag/notes.txt", "decode", "not an image");
        assertError("bag/truncated.png", "decode", "corrupt or truncated");
        assertError("bag/truncated.jpg", "decode", "corrupt or truncated");
        assertError("bag/bomb.png", "decode", "50000×50000");
        assertError("giraffe/unknown-label.png", "read", "label folder 'giraffe' is not in the class list");
    }

    /** More failures than the driver keeps: errors/ is written by a second pass, with the same rows. */
    @Test
    void failuresBeyondTheDriversCapAreWrittenByASecondPass() {
        Path second = tmp.resolve("out-capped");
        AuditJob.Result capped = AuditJob.run(Requests.audit(Settings.parse(new String[] {"--config", TestImages.SAMPLE_CONFIG, "--input",
                tmp.resolve("in").toString(), "--output", second.toString(), "--batch-size", "4", "--spray", "off"})), 2);
        assertEquals(6, capped.failed());
        assertEquals(11, capped.explained());
        Map<String, String> got = new HashMap<>(), want = new HashMap<>();
        for (Row r : spark.read().parquet(second.resolve("errors").toString()).collectAsList()) got.put(r.getAs("image_id"), r.getAs("error"));
        errors.forEach((id, r) -> want.put(id, r.getAs("error")));
        assertEquals(want, got);
    }

    @Test
    void theFailureCollectorKeepsUpToItsCapAndCountsTheRest() {
        FailureCollector a = new FailureCollector(3), b = new FailureCollector(3);
        for (int i = 0; i < 2; i++) a.add(org.apache.spark.sql.RowFactory.create("a" + i, null, "read", "x"));
        for (int i = 0; i < 4; i++) b.add(org.apache.spark.sql.RowFactory.create("b" + i, null, "read", "x"));
        assertTrue(b.overflowed());
        assertEquals(4, b.count());
        a.merge(b);
        assertEquals(3, a.value().size());
        assertEquals(6, a.count());
        assertTrue(a.overflowed());
        FailureCollector c = a.copy();
        c.reset();
        assertTrue(c.isZero());
        assertEquals(6, a.count(), "a copy is independent");
    }

    /**
     * A file deleted after the driver listed the input (a dataset cleaned while a nightly audit runs) is an error row,
     * not a failed task: the other images of its task are explained. Spark's own file scan failed the job here.
     */
    @Test
    void aFileThatVanishesAfterListingIsAReadError() throws IOException {
        Path in = tmp.resolve("vanishing");
        TestImages.copySample(in, 1);
        ExplainSetup setup = Requests.explainSetup(Settings.parse(new String[] {"--config", TestImages.SAMPLE_CONFIG}));
        org.lrpaudit.data.DatasetSources.Source source = org.lrpaudit.data.DatasetSources.imageFolder(spark, in.toString(), setup.classNames());
        Path gone;
        try (var files = Files.walk(in)) {
            gone = files.filter(Files::isRegularFile).sorted().findFirst().orElseThrow();
        }
        Files.delete(gone); // listed, not yet read
        Map<String, Row> byId = new HashMap<>();
        for (Row r : LrpAudit.explain(source.rows(), setup, LrpAudit.Options.defaults()).collectAsList()) byId.put(r.getAs("image_id"), r);
        assertEquals(source.count(), byId.size(), "every listed file has a row");
        Row missing = byId.get(in.relativize(gone).toString());
        assertEquals("read", missing.getAs(Columns.ERROR_STAGE));
        assertTrue(missing.<String>getAs(Columns.ERROR).contains("vanished after the input was listed"), missing.<String>getAs(Columns.ERROR));
        assertEquals(source.count() - 1, byId.values().stream().filter(r -> r.isNullAt(r.fieldIndex(Columns.ERROR_STAGE))).count());
    }

    @Test
    void aPixelLimitAboveTheHeaderLetsTheDecoderTryAndFailHonestly() {
        // the bomb PNG has no real pixel data: with a limit above its claim it fails in the decoder instead
        Row bomb = errors.get("bag/bomb.png");
        String message = bomb.getAs("error");
        assertTrue(message.contains("above the limit of 100000000"), message);
    }

    private static void assertError(String id, String stage, String fragment) {
        Row r = errors.get(id);
        assertTrue(r != null, "no error row for " + id + " in " + errors.keySet());
        assertEquals(stage, r.getAs("stage"), id);
        String message = r.getAs("error");
        assertTrue(message.contains(fragment), id + ": " + message);
    }

    @Test
    void wrongChannelCountIsAPreprocessingError() {
        var cmyk = new java.awt.image.BufferedImage(new java.awt.image.ComponentColorModel(
                new CmykLikeSpace(), false, false, java.awt.Transparency.OPAQUE, java.awt.image.DataBuffer.TYPE_BYTE),
                java.awt.image.Raster.createInterleavedRaster(java.awt.image.DataBuffer.TYPE_BYTE, 28, 28, 4, null), false, null);
        var pre = new org.lrpaudit.data.Preprocessing(org.lrpaudit.data.Preprocessing.Color.GRAY, 28, 28, 0, new double[] {0}, new double[] {1});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> pre.apply(cmyk));
        assertTrue(e.getMessage().contains("4 colour channels"), e.getMessage());
    }

    /** A 4-component colour space standing in for CMYK (the JDK's CMYK profile is not always installed). */
    static final class CmykLikeSpace extends java.awt.color.ColorSpace {
        CmykLikeSpace() { super(TYPE_CMYK, 4); }
        @Override public float[] toRGB(float[] v) { return new float[] {1 - v[0], 1 - v[1], 1 - v[2]}; }
        @Override public float[] fromRGB(float[] rgb) { return new float[] {1 - rgb[0], 1 - rgb[1], 1 - rgb[2], 0}; }
        @Override public float[] toCIEXYZ(float[] v) { return toRGB(v); }
        @Override public float[] fromCIEXYZ(float[] v) { return fromRGB(v); }
    }
}
