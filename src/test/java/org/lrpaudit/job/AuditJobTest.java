package org.lrpaudit.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.lrpaudit.Arrays2;
import org.lrpaudit.SparkTest;
import org.lrpaudit.TestImages;
import org.lrpaudit.cli.Requests;
import org.lrpaudit.cli.Settings;
import org.lrpaudit.data.ImageDecoder;
import org.lrpaudit.lrp.Explanation;
import org.lrpaudit.lrp.LrpEngine;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** The job end to end in local mode, its Parquet read back and checked against the engine called directly. */
class AuditJobTest extends SparkTest {
    @TempDir static Path tmp;
    static Path input;

    @BeforeAll
    static void sample() throws IOException {
        input = tmp.resolve("in");
        TestImages.copySample(input, 4);
    }

    static AuditJob.Result run(String... extra) {
        String[] base = {"--config", TestImages.SAMPLE_CONFIG, "--input", input.toString()};
        String[] args = new String[base.length + extra.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        return AuditJob.run(Requests.audit(Settings.parse(args)));
    }

    static Map<String, Row> byId(Path table) {
        Map<String, Row> out = new HashMap<>();
        for (Row r : spark.read().parquet(table.toString()).collectAsList()) out.put(r.getAs("image_id"), r);
        return out;
    }

    /** The session starts on one machine by default with artifact isolation off; spark-submit's settings win. */
    @Test
    void sessionDefaultsYieldToTheUsersSettings() {
        String key = "spark.sql.artifact.isolation.enabled";
        var conf = AuditJob.sessionConf(null);
        assertEquals("false", conf.get(key));
        assertEquals("local[*]", conf.get("spark.master"));
        assertEquals("spark://h:7077", AuditJob.sessionConf("spark://h:7077").get("spark.master"));
        String before = System.getProperty(key);
        System.setProperty(key, "true"); // what spark-submit --conf does: system properties SparkConf reads
        try {
            assertEquals("true", AuditJob.sessionConf(null).get(key));
        } finally {
            if (before == null) System.clearProperty(key);
            else System.setProperty(key, before);
        }
    }

    /** A residual network runs through the same job and audit: every image explained, SpRAy and the report written. */
    @Test
    void residualNetworkRunsUnchanged() throws IOException {
        Path out = tmp.resolve("resnet");
        AuditJob.Result r = run("--output", out.toString(), "--model", "src/test/resources/fixtures/graph/models/resnet.onnx");
        assertEquals(40, r.explained());
        assertEquals(0, r.failed());
        assertTrue(r.accuracy() > 0.7, "accuracy " + r.accuracy());
        assertEquals(40, spark.read().parquet(out.resolve("image_clusters").toString()).count());
        assertTrue(Files.exists(out.resolve("report/index.html")));
        JsonNode layers = new ObjectMapper().readTree(out.resolve("_manifest.json").toFile()).get("configuration").get("layers");
        assertEquals("[4,1]", layers.get("5").get("reads").toString(), "the first residual Add reads the block's conv and its input");
    }

    /**
     * The families that need gates, batch norms of their own, shape arithmetic, layer norms and attention (the block fixtures) run
     * through the same job and audit: every image explained, no NaN, SpRAy and the report written.
     */
    @ParameterizedTest
    @ValueSource(strings = {"densenet", "mbconv", "shufflenet", "convnext", "vit"})
    void newModelFamiliesRunUnchanged(String model) throws IOException {
        Path out = tmp.resolve("family-" + model);
        AuditJob.Result r = run("--output", out.toString(), "--model", "src/test/resources/fixtures/blocks/models/" + model + ".onnx");
        assertEquals(40, r.explained());
        assertEquals(0, r.failed());
        assertTrue(r.accuracy() > 0.6, model + " accuracy " + r.accuracy());
        assertEquals(40, spark.read().parquet(out.resolve("image_clusters").toString()).count());
        assertEquals(0, spark.read().parquet(out.resolve("images").toString()).where("isnan(relevance_sum)").count());
        assertTrue(Files.exists(out.resolve("report/index.html")));
    }

    /** --spray off: no SpRAy tables, the report still lists the classes. */
    @Test
    void sprayOffWritesNoClustersButAReport() throws IOException {
        Path out = tmp.resolve("nospray");
        AuditJob.Result r = run("--output", out.toString(), "--spray", "off");
        assertTrue(r.findings().isEmpty());
        for (String table : List.of("clusters", "image_clusters", "findings")) assertTrue(!Files.exists(out.resolve(table)), table);
        String html = Files.readString(out.resolve("report/index.html"));
        assertTrue(html.contains("id=\"classes\"") && html.contains("No spectral analysis for this class"), "report without SpRAy");
        JsonNode manifest = new ObjectMapper().readTree(out.resolve("_manifest.json").toFile());
        assertTrue(manifest.get("outputs").has("report") && !manifest.get("outputs").has("clusters"), manifest.get("outputs").toString());
    }

    @Test
    void parquetRowsEqualTheEngineCalledDirectly() throws Exception {
        Path out = tmp.resolve("direct");
        AuditJob.Result r = run("--output", out.toString(), "--batch-size", "5");
        assertEquals(40, r.input());
        assertEquals(40, r.explained());
        assertEquals(0, r.failed());

        ExplainSetup setup = Requests.explainSetup(Settings.parse(new String[] {"--config", TestImages.SAMPLE_CONFIG}));
        LrpEngine engine = new LrpEngine(setup.network(), setup.composite(), setup.preprocessing().bounds());
        Map<String, Row> rows = byId(out.resolve("images"));
        assertEquals(40, rows.size());
        for (Map.Entry<String, Row> e : rows.entrySet()) {
            byte[] bytes = Files.readAllBytes(input.resolve(e.getKey()));
            float[] x = setup.preprocessing().apply(new ImageDecoder(ImageDecoder.DEFAULT_MAX_PIXELS).decode(bytes));
            Explanation direct = engine.explain(Nd4j.create(x, new long[] {1, 1, 28, 28}, DataType.FLOAT));
            Row row = e.getValue();
            assertEquals(direct.predicted(0), (int) row.getAs("predicted"), e.getKey());
            assertEquals(direct.targetLogit(0), (double) row.getAs("target_logit"), 1e-6);
            Arrays2.assertClose(Arrays2.list(direct.heatmap(0)), row.getList(row.fieldIndex("heatmap")), 1e-5, e.getKey());
            String folder = e.getKey().substring(0, e.getKey().indexOf('/'));
            assertEquals(folder, row.getAs("label_name"));
            assertEquals(setup.classNames().indexOf(folder), (int) row.getAs("label"));
            assertEquals(28, (int) row.getAs("heatmap_height"));
            assertEquals(16, row.getList(row.fieldIndex("grid")).size());
        }

        List<Row> classes = spark.read().parquet(out.resolve("classes").toString()).collectAsList();
        assertEquals(40L, classes.stream().mapToLong(c -> c.getLong(c.fieldIndex("count"))).sum());
        for (Row c : classes) assertEquals(784, c.getList(c.fieldIndex("mean_heatmap")).size());
        assertEquals(0, spark.read().parquet(out.resolve("errors").toString()).count());

        JsonNode manifest = new ObjectMapper().readTree(out.resolve("_manifest.json").toFile());
        assertEquals(40, manifest.get("counts").get("input").asInt());
        assertEquals(Manifest.sha256(TestImages.SAMPLE.resolve("model.onnx")), manifest.get("model").get("sha256").asText());
        assertEquals("zb", manifest.get("configuration").get("layers").get("0").get("rule").asText());
        assertTrue(manifest.get("native").has("onednn"));
    }

    /** Same rows whatever the batch size and partitioning (the per-image ε makes batches irrelevant). */
    @Test
    void resultsDoNotDependOnBatchSizeOrPartitioning() {
        Path a = tmp.resolve("batch1"), b = tmp.resolve("batch13");
        run("--output", a.toString(), "--batch-size", "1");
        spark.conf().set("spark.sql.files.maxPartitionBytes", "4096"); // many small partitions
        try {
            run("--output", b.toString(), "--batch-size", "13");
        } finally {
            spark.conf().unset("spark.sql.files.maxPartitionBytes");
        }
        Map<String, Row> ra = byId(a.resolve("images")), rb = byId(b.resolve("images"));
        assertEquals(ra.keySet(), rb.keySet());
        for (String id : ra.keySet()) {
            Arrays2.assertClose(ra.get(id).getList(ra.get(id).fieldIndex("heatmap")), rb.get(id).getList(rb.get(id).fieldIndex("heatmap")),
                    1e-5, id);
            assertEquals((int) ra.get(id).getAs("predicted"), (int) rb.get(id).getAs("predicted"));
        }
    }

    @Test
    void idxInputGivesTheSamePixelsAsThePngs() {
        Path out = tmp.resolve("idx");
        AuditJob.Result r = AuditJob.run(Requests.audit(Settings.parse(new String[] {"--config", TestImages.SAMPLE_CONFIG,
                "--input", TestImages.SAMPLE.resolve("idx/t10k-images-idx3-ubyte.gz").toString(), "--output", out.toString()})));
        assertEquals(200, r.input());
        assertEquals(200, r.explained());
        Map<String, Row> rows = byId(out.resolve("images"));
        Row first = rows.get("t10k-images-idx3-ubyte.gz#000000");
        assertEquals("ankle_boot", first.getAs("label_name"));
        Path png = tmp.resolve("png0");
        AuditJob.run(Requests.audit(Settings.parse(new String[] {"--config", TestImages.SAMPLE_CONFIG, "--output", png.toString(),
                "--input", TestImages.SAMPLE_IMAGES.resolve("ankle_boot").toString()})));
        Row fromPng = byId(png.resolve("images")).get("t10k-00000.png");
        // same pixels, batched with other images: equal to float32 rounding
        Arrays2.assertClose(first.getList(first.fieldIndex("heatmap")), fromPng.getList(fromPng.fieldIndex("heatmap")), 1e-5, "idx vs png");
        assertNull(fromPng.getAs("label"), "a flat folder has no labels");
    }
}
