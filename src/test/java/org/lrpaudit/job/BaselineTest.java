package org.lrpaudit.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lrpaudit.Arrays2;
import org.lrpaudit.SparkTest;
import org.lrpaudit.TestImages;
import org.lrpaudit.cli.Requests;
import org.lrpaudit.cli.Settings;
import org.lrpaudit.output.Columns;

/**
 * --baseline on the Clever Hans fixture (400 images, clean.onnx): a baseline audit, then the folder changes (10% of
 * the images get new pixels, 10% are added as copies under new names, 5% are deleted, a file that failed is repaired,
 * one stays broken); the audit with --baseline must write what a full audit of the changed folder writes, while the
 * engine sees only the new, changed and repaired images.
 */
class BaselineTest extends SparkTest {
    static final Path FIXTURE = CleverHansAuditTest.FIXTURE;
    @TempDir static Path tmp;
    static Path input;
    static AuditJob.Result incremental;
    static long engineImagesIncremental, engineImagesFull;
    static final Set<String> changed = new HashSet<>(), added = new HashSet<>(), deleted = new HashSet<>();
    static final String REPAIRED = "bag/repaired.png", BROKEN = "bag/broken.png";

    static AuditJob.Result audit(Path in, Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("--model", FIXTURE.resolve("clean.onnx").toString(), "--input", in.toString(),
                "--classes", FIXTURE.resolve("classes.txt").toString(), "--color", "gray", "--mean", "0.286", "--std", "0.353",
                "--output", out.toString()));
        args.addAll(List.of(extra));
        return AuditJob.run(Requests.audit(Settings.parse(args.toArray(new String[0]))));
    }

    /** Runs the job and returns how many images the engine was handed meanwhile (local mode: one JVM). */
    static long engineImages(Runnable run) {
        long before = PartitionExplainer.ENGINE_IMAGES.sum();
        run.run();
        return PartitionExplainer.ENGINE_IMAGES.sum() - before;
    }

    @BeforeAll
    static void baselineThenChangeThenAuditTwice() throws IOException {
        input = tmp.resolve("in");
        List<String> ids = new ArrayList<>();
        try (Stream<Path> files = Files.walk(FIXTURE.resolve("images"))) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                String id = FIXTURE.resolve("images").relativize(f).toString();
                Files.createDirectories(input.resolve(id).getParent());
                Files.copy(f, input.resolve(id));
                ids.add(id);
            }
        }
        assertEquals(400, ids.size());
        byte[] png = Files.readAllBytes(input.resolve(ids.get(0)));
        Files.write(input.resolve(REPAIRED), java.util.Arrays.copyOf(png, png.length / 2)); // truncated: fails to decode
        Files.write(input.resolve(BROKEN), java.util.Arrays.copyOf(png, png.length / 2));
        AuditJob.Result base = audit(input, tmp.resolve("base"), "--spray", "off");
        assertEquals(400, base.explained());
        assertEquals(2, base.failed());

        Random random = new Random(7);
        java.util.Collections.shuffle(ids, random);
        for (String id : ids.subList(0, 40)) { // new pixels, same name
            BufferedImage img = ImageIO.read(input.resolve(id).toFile());
            WritableRaster r = img.getRaster();
            for (int y = 0; y < r.getHeight(); y++) for (int x = 0; x < r.getWidth(); x++) r.setSample(x, y, 0, Math.min(255, r.getSample(x, y, 0) + random.nextInt(40)));
            ImageIO.write(img, "png", input.resolve(id).toFile());
            changed.add(id);
        }
        for (String id : ids.subList(40, 60)) {
            Files.delete(input.resolve(id));
            deleted.add(id);
        }
        for (String id : ids.subList(60, 100)) { // the same bytes as an unchanged image, under a new name
            String copy = id.replace(".png", "-copy.png");
            Files.copy(input.resolve(id), input.resolve(copy));
            added.add(copy);
        }
        Files.copy(input.resolve(ids.get(100)), input.resolve(REPAIRED), java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        engineImagesIncremental = engineImages(() -> incremental = audit(input, tmp.resolve("incremental"), "--baseline", tmp.resolve("base").toString()));
        engineImagesFull = engineImages(() -> audit(input, tmp.resolve("full")));
    }

    static Map<String, Row> byId(Path table) {
        Map<String, Row> out = new HashMap<>();
        for (Row r : spark.read().parquet(table.toString()).collectAsList()) assertEquals(null, out.put(r.getAs(Columns.IMAGE_ID), r), "duplicate id");
        return out;
    }

    static JsonNode manifest(Path run) throws IOException { return new ObjectMapper().readTree(run.resolve("_manifest.json").toFile()); }

    @Test
    void theEngineExplainsOnlyNewChangedAndRepairedImages() throws IOException {
        long now = changed.size() + added.size() + 1; // + the repaired file, which failed in the baseline
        assertEquals(now, engineImagesIncremental);
        assertEquals(420 + 1, engineImagesFull, "the full run explains every readable image");
        JsonNode counts = manifest(tmp.resolve("incremental")).get("counts");
        assertEquals(402 - deleted.size() + added.size(), counts.get("input").asLong());
        assertEquals(421, counts.get("explained").asLong());
        assertEquals(now, counts.get("explained_now").asLong());
        assertEquals(421 - now, counts.get("carried_over").asLong());
        assertEquals(1, counts.get("failed").asLong(), "the broken file is tried again and fails again");
        assertEquals(421 - now, incremental.carriedOver());
        List<Row> errors = spark.read().parquet(tmp.resolve("incremental/errors").toString()).collectAsList();
        assertEquals(BROKEN, errors.get(0).getAs(Columns.IMAGE_ID));
        assertEquals("file by file", manifest(tmp.resolve("incremental")).at("/baseline/copy").asText());
    }

    /**
     * A baseline whose images/ are in Spark's three-level list layout (an older lrp-audit's, or a session that set the
     * layout) cannot be copied file by file into this run's layout: its rows go through Spark, with the same result.
     */
    @Test
    void aBaselineInAnotherLayoutIsCopiedThroughSpark() throws IOException {
        Path old = tmp.resolve("base-three-level");
        Files.createDirectories(old);
        Files.copy(tmp.resolve("base/_manifest.json"), old.resolve("_manifest.json"));
        spark.conf().set(Columns.LIST_LAYOUT_SETTING, "false");
        try {
            spark.read().parquet(tmp.resolve("base/images").toString()).write().parquet(old.resolve("images").toString());
        } finally {
            spark.conf().unset(Columns.LIST_LAYOUT_SETTING);
        }
        Path out = tmp.resolve("incremental-from-three-level");
        long engine = engineImages(() -> audit(input, out, "--baseline", old.toString(), "--spray", "off"));
        assertEquals(changed.size() + added.size() + 1, engine);
        assertEquals("through Spark", manifest(out).at("/baseline/copy").asText());
        Map<String, Row> inc = byId(out.resolve("images")), full = byId(tmp.resolve("full/images"));
        assertEquals(full.keySet(), inc.keySet());
        StructType schema = spark.read().parquet(tmp.resolve("full/images").toString()).schema();
        for (String id : full.keySet()) assertRowsClose(schema, full.get(id), inc.get(id), id);
        assertEquals(parquetSchemas(tmp.resolve("full/images")), parquetSchemas(out.resolve("images")));
    }

    @Test
    void imagesEqualAFullRunsAndCarriedRowsAreTheBaselines() {
        Map<String, Row> inc = byId(tmp.resolve("incremental/images")), full = byId(tmp.resolve("full/images")),
                base = byId(tmp.resolve("base/images"));
        assertEquals(full.keySet(), inc.keySet());
        assertEquals(421, inc.size());
        assertTrue(inc.keySet().stream().noneMatch(deleted::contains));
        StructType schema = spark.read().parquet(tmp.resolve("full/images").toString()).schema();
        for (String id : full.keySet()) assertRowsClose(schema, full.get(id), inc.get(id), id);
        int carried = 0;
        for (String id : inc.keySet()) {
            boolean unchanged = !changed.contains(id) && !added.contains(id) && !id.equals(REPAIRED);
            if (unchanged) {
                assertEquals(base.get(id), inc.get(id), id + " is the baseline's row, value for value");
                carried++;
            } else if (base.containsKey(id)) {
                assertNotEquals(base.get(id).<String>getAs(Columns.CONTENT_SHA256), inc.get(id).<String>getAs(Columns.CONTENT_SHA256), id);
            }
        }
        assertEquals(340, carried);
        for (String id : added) {
            String original = id.replace("-copy.png", ".png");
            assertEquals(inc.get(original).<String>getAs(Columns.CONTENT_SHA256), inc.get(id).<String>getAs(Columns.CONTENT_SHA256), "same bytes, same hash");
        }
    }

    /** Carried rows are written as a full run writes rows (two-level lists, required image_id): one Parquet schema. */
    @Test
    void carriedRowsHaveAFullRunsParquetLayout() throws IOException {
        Set<MessageType> full = parquetSchemas(tmp.resolve("full/images"));
        assertEquals(1, full.size(), full.toString());
        assertEquals(full, parquetSchemas(tmp.resolve("incremental/images")));
    }

    static Set<MessageType> parquetSchemas(Path images) throws IOException {
        Set<MessageType> out = new HashSet<>();
        try (Stream<Path> files = Files.list(images)) {
            for (Path part : files.filter(f -> f.getFileName().toString().endsWith(".parquet")).toList()) {
                try (var reader = ParquetFileReader.open(HadoopInputFile.fromPath(new org.apache.hadoop.fs.Path(part.toUri()), new Configuration()))) {
                    out.add(reader.getFooter().getFileMetaData().getSchema());
                }
            }
        }
        return out;
    }

    /** A run committed chunk by chunk (--commit-every) carries each chunk's unchanged rows into that chunk. */
    @Test
    void aChunkedRunCarriesOverTheSame() throws IOException {
        Path out = tmp.resolve("incremental-chunked");
        long engine = engineImages(() -> audit(input, out, "--baseline", tmp.resolve("base").toString(), "--commit-every", "100", "--spray", "off"));
        long now = changed.size() + added.size() + 1;
        assertEquals(now, engine);
        JsonNode m = manifest(out);
        assertEquals(5, m.at("/chunks/count").asInt(), m.toString());
        assertEquals(421 - now, m.at("/counts/carried_over").asLong());
        Map<String, Row> chunked = byId(out.resolve("images")), full = byId(tmp.resolve("full/images"));
        assertEquals(full.keySet(), chunked.keySet());
        StructType schema = spark.read().parquet(tmp.resolve("full/images").toString()).schema();
        for (String id : full.keySet()) assertRowsClose(schema, full.get(id), chunked.get(id), id);
        assertEquals(parquetSchemas(tmp.resolve("full/images")), parquetSchemas(out.resolve("images")));
    }

    @Test
    void contentHashIsTheFilesSha256() throws Exception {
        Row r = byId(tmp.resolve("incremental/images")).get(changed.iterator().next());
        String id = r.getAs(Columns.IMAGE_ID);
        byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(input.resolve(id)));
        assertEquals(java.util.HexFormat.of().formatHex(digest), r.getAs(Columns.CONTENT_SHA256));
        StructType schema = spark.read().parquet(tmp.resolve("incremental/images").toString()).schema();
        // columns are appended in the order they were added: content_sha256 after logits, then concepts (--concept-layers)
        assertEquals(Columns.LOGITS, schema.fieldNames()[schema.fieldIndex(Columns.CONTENT_SHA256) - 1], "appended after the existing columns");
        assertEquals(Columns.CONCEPTS, schema.fieldNames()[schema.size() - 1], "the newest column last");
    }

    @Test
    void classesAndTheDatasetAuditCoverTheWholeCurrentImages() throws IOException {
        Map<Integer, Row> inc = new HashMap<>(), full = new HashMap<>();
        for (Row r : spark.read().parquet(tmp.resolve("incremental/classes").toString()).collectAsList()) inc.put(r.getAs(Columns.TARGET), r);
        for (Row r : spark.read().parquet(tmp.resolve("full/classes").toString()).collectAsList()) full.put(r.getAs(Columns.TARGET), r);
        assertEquals(full.keySet(), inc.keySet());
        StructType schema = spark.read().parquet(tmp.resolve("full/classes").toString()).schema();
        for (Integer t : full.keySet()) assertRowsClose(schema, full.get(t), inc.get(t), "class " + t);
        assertEquals(421, spark.read().parquet(tmp.resolve("incremental/image_clusters").toString()).count(), "SpRAy ran on every image");
        JsonNode baseline = manifest(tmp.resolve("incremental")).get("baseline");
        assertEquals(tmp.resolve("base").toString(), baseline.get("path").asText());
        assertEquals(manifest(tmp.resolve("base")).get("run_id").asText(), baseline.get("run_id").asText());
        assertTrue(baseline.get("comparable").asBoolean());
        assertTrue(baseline.get("reason").isNull());
        assertTrue(manifest(tmp.resolve("full")).get("baseline").isNull());
        assertEquals(0, manifest(tmp.resolve("full")).get("counts").get("carried_over").asLong());
    }

    /** Another preset: the baseline's heatmaps are not this run's, so every image is explained and the manifest says why. */
    @Test
    void aBaselineWithOtherRulesIsNotUsed() throws IOException {
        Path out = tmp.resolve("other-preset");
        long engine = engineImages(() -> audit(input, out, "--baseline", tmp.resolve("base").toString(), "--preset", "epsilon-plus", "--spray", "off"));
        assertEquals(421, engine);
        JsonNode m = manifest(out);
        assertEquals(0, m.get("counts").get("carried_over").asLong());
        assertEquals(421, m.get("counts").get("explained_now").asLong());
        assertFalse(m.get("baseline").get("comparable").asBoolean());
        String reason = m.get("baseline").get("reason").asText();
        assertTrue(reason.startsWith("configuration.rules differs (baseline "), reason);
        assertFalse(reason.contains("model.sha256"), reason);
    }

    @Test
    void aMissingBaselineIsAClearErrorBeforeAnyWork() throws IOException {
        Path out = tmp.resolve("never");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> audit(input, out, "--baseline", tmp.resolve("no-such-run").toString()));
        assertTrue(e.getMessage().startsWith("--baseline " + tmp.resolve("no-such-run") + " does not exist; give the --output folder"), e.getMessage());
        Path empty = Files.createDirectories(tmp.resolve("empty-run"));
        e = assertThrows(IllegalArgumentException.class, () -> audit(input, out, "--baseline", empty.toString()));
        assertTrue(e.getMessage().contains("has no _manifest.json"), e.getMessage());
        assertFalse(Files.exists(out), "nothing written");
        e = assertThrows(IllegalArgumentException.class, () -> audit(input, tmp.resolve("base"), "--overwrite", "--baseline", tmp.resolve("base").toString()));
        assertTrue(e.getMessage().contains("is the --output folder"), e.getMessage());
        assertTrue(Files.exists(tmp.resolve("base/images")), "the baseline is not emptied");
    }

    /**
     * IDX: image_id is file#index and the label comes from another file, so a label can change while the pixels do
     * not; content_sha256 hashes the image's raw pixels. Then the same files in another folder, as a weekly snapshot:
     * the input's path is not compared, every image is carried and keeps the source it was read from.
     */
    @Test
    void idxImagesWithNewPixelsOrNewLabelsAreExplainedAgain() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("idx"));
        Path images = dir.resolve("t10k-images-idx3-ubyte.gz"), labels = dir.resolve("t10k-labels-idx1-ubyte.gz");
        Files.copy(TestImages.SAMPLE.resolve("idx").resolve(images.getFileName()), images);
        Files.copy(TestImages.SAMPLE.resolve("idx").resolve(labels.getFileName()), labels);
        String[] base = {"--config", TestImages.SAMPLE_CONFIG, "--input", images.toString(), "--spray", "off"};
        AuditJob.run(Requests.audit(Settings.parse(concat(base, "--output", dir.resolve("base").toString()))));
        byte[] pixels = gunzip(images), classes = gunzip(labels);
        for (int i : new int[] {3, 150}) pixels[16 + i * 784 + 400] ^= (byte) 0xff; // one pixel of images 3 and 150
        for (int i : new int[] {7, 8, 199}) classes[8 + i] = (byte) ((classes[8 + i] + 1) % 10);
        gzip(pixels, images);
        gzip(classes, labels);
        long engine = engineImages(() -> AuditJob.run(Requests.audit(Settings.parse(concat(base, "--output", dir.resolve("now").toString(), "--baseline",
                dir.resolve("base").toString())))));
        assertEquals(5, engine, "2 with new pixels, 3 with new labels");
        assertEquals(195, manifest(dir.resolve("now")).get("counts").get("carried_over").asLong());
        Map<String, Row> now = byId(dir.resolve("now/images"));
        assertEquals(200, now.size());
        Row seventh = now.get("t10k-images-idx3-ubyte.gz#000007");
        assertEquals(classes[8 + 7], (int) seventh.<Integer>getAs(Columns.LABEL));
        byte[] raw = java.util.Arrays.copyOfRange(pixels, 16 + 3 * 784, 16 + 4 * 784);
        String expected = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(raw));
        assertEquals(expected, now.get("t10k-images-idx3-ubyte.gz#000003").getAs(Columns.CONTENT_SHA256));

        Path snapshot = Files.createDirectories(tmp.resolve("idx-next"));
        Files.copy(images, snapshot.resolve(images.getFileName()));
        Files.copy(labels, snapshot.resolve(labels.getFileName()));
        Path next = dir.resolve("next");
        assertEquals(0, engineImages(() -> AuditJob.run(Requests.audit(Settings.parse(new String[] {"--config", TestImages.SAMPLE_CONFIG, "--spray", "off",
                "--input", snapshot.resolve(images.getFileName()).toString(), "--output", next.toString(), "--baseline", dir.resolve("now").toString()})))));
        assertEquals(200, manifest(next).get("counts").get("carried_over").asLong());
        assertEquals(now, byId(next.resolve("images")));
    }

    static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static byte[] gunzip(Path file) throws IOException {
        try (var in = new java.util.zip.GZIPInputStream(Files.newInputStream(file))) {
            return in.readAllBytes();
        }
    }

    static void gzip(byte[] bytes, Path file) throws IOException {
        try (var out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(file))) {
            out.write(bytes);
        }
    }

    /** Float arrays within 1e-6 of their largest value, other numbers within 1e-6 (relative above 1), the rest equal. */
    static void assertRowsClose(StructType schema, Row expected, Row actual, String label) {
        for (StructField f : schema.fields()) {
            Object a = expected.getAs(f.name()), b = actual.getAs(f.name());
            String what = label + " " + f.name();
            if (a == null || b == null) assertEquals(a, b, what);
            else if (f.dataType() instanceof ArrayType t && t.elementType().equals(DataTypes.FloatType)) {
                Arrays2.assertClose(expected.getList(expected.fieldIndex(f.name())), actual.getList(actual.fieldIndex(f.name())), 1e-6, what);
            } else if (a instanceof Double x) {
                double y = (Double) b;
                assertTrue(Math.abs(x - y) <= 1e-6 * Math.max(1, Math.max(Math.abs(x), Math.abs(y))), what + ": " + x + " vs " + y);
            } else {
                assertEquals(a, b, what);
            }
        }
    }
}
