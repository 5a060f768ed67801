package org.lrpaudit.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.SQLTransformer;
import org.apache.spark.ml.param.Param;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lrpaudit.Arrays2;
import org.lrpaudit.SparkTest;
import org.lrpaudit.TestImages;
import org.lrpaudit.cli.Requests;
import org.lrpaudit.cli.Settings;
import org.lrpaudit.job.AuditJob;

/** The Spark ML stage as a user calls it: a DataFrame with columns of its own, explained, kept, saved and loaded. */
class LrpExplainerTest extends SparkTest {
    @TempDir static Path tmp;
    static Dataset<Row> images; // path, content, label, note, weight: 2 images of each of the 10 classes, plus one broken file

    @BeforeAll
    static void table() throws IOException {
        List<Row> rows = new ArrayList<>();
        List<String> classes = TestImages.classNames();
        for (int c = 0; c < classes.size(); c++) {
            try (var files = Files.list(TestImages.SAMPLE_IMAGES.resolve(classes.get(c)))) {
                for (Path f : files.sorted().limit(2).toList()) {
                    rows.add(RowFactory.create(f.toString(), Files.readAllBytes(f), c, "note " + f.getFileName(), c * 0.5));
                }
            }
        }
        rows.add(RowFactory.create("broken.png", new byte[] {1, 2, 3}, 0, "broken", -1.0));
        StructType schema = new StructType().add("path", DataTypes.StringType).add("content", DataTypes.BinaryType)
                .add("label", DataTypes.IntegerType).add("note", DataTypes.StringType).add("weight", DataTypes.DoubleType);
        images = spark.createDataFrame(rows, schema);
    }

    /** The bundled sample's settings (samples/fashion-mnist/lrp-audit.properties) as Params. */
    static LrpExplainer sampleExplainer() {
        return new LrpExplainer().setModelPath("samples/fashion-mnist/model.onnx").setColor("gray").setMean(0.286).setStd(0.353)
                .setClassNames(TestImages.classNames().toArray(new String[0])).setInputCol("content");
    }

    static Map<String, Row> byPath(Dataset<Row> explained) {
        Map<String, Row> out = new HashMap<>();
        for (Row r : explained.collectAsList()) out.put(r.getAs("path"), r);
        return out;
    }

    private static Object comparable(Object value) { return value instanceof byte[] b ? HexFormat.of().formatHex(b) : value; }

    /** Every defined Param's value as JSON (arrays compare by content), by name. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static Map<String, String> paramValues(org.apache.spark.ml.param.Params stage) {
        Map<String, String> out = new TreeMap<>();
        for (Param p : stage.params()) if (stage.isDefined(p)) out.put(p.name(), p.jsonEncode(stage.getOrDefault(p)));
        return out;
    }

    @Test
    void appendsItsColumnsKeepsTheCallersAndMatchesTheCommandLine() throws IOException {
        LrpExplainer lrp = sampleExplainer();
        Dataset<Row> explained = lrp.transform(images);
        List<String> expected = new ArrayList<>(List.of(images.columns()));
        expected.addAll(lrp.outputColumns());
        assertEquals(expected, List.of(explained.columns()));
        assertEquals(lrp.transformSchema(images.schema()), explained.schema());

        Map<String, Row> rows = byPath(explained);
        assertEquals(21, rows.size());
        for (Row in : images.collectAsList()) {
            Row out = rows.get(in.<String>getAs("path"));
            for (int i = 0; i < in.size(); i++) assertEquals(comparable(in.get(i)), comparable(out.get(i)), "column " + i + " kept");
        }
        Row broken = rows.get("broken.png");
        assertEquals("decode", broken.getAs("error_stage"));
        assertNull(broken.getAs("heatmap"));
        assertEquals("broken", broken.getAs("note"));

        // the command line over the same files: the same heatmaps and predictions (matched by content hash)
        Path input = tmp.resolve("in"), out = tmp.resolve("cli");
        TestImages.copySample(input, 2);
        AuditJob.run(Requests.audit(Settings.parse(new String[] {"--config", TestImages.SAMPLE_CONFIG, "--input", input.toString(),
                "--output", out.toString(), "--spray", "off"})));
        List<Row> cli = spark.read().parquet(out.resolve("images").toString()).collectAsList();
        assertEquals(20, cli.size());
        Map<String, Row> apiByHash = new HashMap<>();
        for (Row r : rows.values()) if (r.getAs("content_sha256") != null) apiByHash.put(r.getAs("content_sha256"), r);
        for (Row job : cli) {
            Row api = apiByHash.get(job.<String>getAs("content_sha256"));
            assertNotNull(api, "the API explained " + job.getAs("image_id"));
            assertEquals((int) job.getAs("predicted"), (int) api.getAs("predicted"));
            assertEquals((String) job.getAs("predicted_name"), api.getAs("predicted_name"));
            Arrays2.assertClose(api.getList(api.fieldIndex("heatmap")), job.getList(job.fieldIndex("heatmap")), 1e-6, api.getAs("path"));
        }
    }

    /** The README's example: files read with Spark's binaryFile source, explained in a Pipeline. */
    @Test
    void readmeExampleOnSparksBinaryFileSource() throws IOException {
        Path photos = tmp.resolve("photos");
        TestImages.copySample(photos, 1);
        Dataset<Row> files = spark.read().format("binaryFile").option("pathGlobFilter", "*.png")
                .option("recursiveFileLookup", "true").load(photos.toString());
        LrpExplainer lrp = sampleExplainer();
        PipelineModel model = new Pipeline().setStages(new PipelineStage[] {lrp}).fit(files);
        Dataset<Row> explained = model.transform(files);
        List<String> expected = new ArrayList<>(List.of("path", "modificationTime", "length", "content"));
        expected.addAll(lrp.outputColumns());
        assertEquals(expected, List.of(explained.columns()));
        List<Row> rows = explained.collectAsList();
        assertEquals(10, rows.size());
        for (Row r : rows) {
            assertNull(r.getAs("error"), r.<String>getAs("path"));
            assertEquals(784, r.getList(r.fieldIndex("heatmap")).size());
            assertEquals((long) r.getAs("length"), ((byte[]) r.getAs("content")).length);
        }
    }

    @Test
    void targetComesFromTheLabelColumnOrAFixedClass() {
        for (Row r : sampleExplainer().setTarget("label").transform(images).filter("error is null").collectAsList()) {
            assertEquals((int) r.getAs("label"), (int) r.getAs("target"));
        }
        Dataset<Row> renamed = images.withColumnRenamed("label", "truth");
        for (Row r : sampleExplainer().setTarget("label").setLabelCol("truth").transform(renamed).filter("error is null").collectAsList()) {
            assertEquals((int) r.getAs("truth"), (int) r.getAs("target"));
        }
        List<Row> fixed = sampleExplainer().setTarget(3).transform(images).filter("error is null").collectAsList();
        assertEquals(20, fixed.size());
        for (Row r : fixed) assertEquals(3, (int) r.getAs("target"));
        for (Row r : fixed) assertEquals("dress", r.getAs("target_name"));
    }

    @Test
    void pipelineSavesAndLoadsWithTheSameResults() throws IOException {
        SQLTransformer tag = new SQLTransformer().setStatement("SELECT *, length(content) AS bytes FROM __THIS__");
        LrpExplainer lrp = sampleExplainer().setPreset("epsilon-plus").setMaxPoolMode("wta").setBatchSize(7).setOutputPrefix("lrp_");
        Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {tag, lrp});
        PipelineModel model = pipeline.fit(images);
        Map<String, Row> before = byPath(model.transform(images));

        String dir = tmp.resolve("pipeline-model").toString();
        model.write().overwrite().save(dir);
        PipelineModel loaded = PipelineModel.load(dir);
        LrpExplainer back = (LrpExplainer) loaded.stages()[1];
        assertEquals(lrp.uid(), back.uid());
        assertEquals("epsilon-plus", back.getPreset());
        assertEquals("wta", back.getMaxPoolMode());
        assertEquals(7, back.getBatchSize());
        assertArrayEquals(new double[] {0.353}, back.getStd());
        assertArrayEquals(lrp.getClassNames(), back.getClassNames());
        assertEquals(paramValues(lrp), paramValues(back));

        Map<String, Row> after = byPath(loaded.transform(images));
        assertEquals(before.keySet(), after.keySet());
        for (String path : before.keySet()) {
            Row a = before.get(path), b = after.get(path);
            assertEquals((Object) a.getAs("bytes"), b.getAs("bytes"));
            assertEquals((Object) a.getAs("lrp_predicted"), b.getAs("lrp_predicted"));
            if (a.getAs("lrp_heatmap") != null) {
                Arrays2.assertClose(a.getList(a.fieldIndex("lrp_heatmap")), b.getList(b.fieldIndex("lrp_heatmap")), 0, path);
            }
        }

        String stageDir = tmp.resolve("stage").toString(); // the stage alone, and the unfitted pipeline
        lrp.write().overwrite().save(stageDir);
        assertEquals(paramValues(lrp), paramValues(LrpExplainer.load(stageDir)));
        String pipelineDir = tmp.resolve("pipeline").toString();
        pipeline.write().overwrite().save(pipelineDir);
        assertEquals("epsilon-plus", ((LrpExplainer) Pipeline.load(pipelineDir).getStages()[1]).getPreset());
    }

    @Test
    void wrongColumnTypesAndExistingOutputColumnsAreClearErrors() {
        IllegalArgumentException notBinary = assertThrows(IllegalArgumentException.class,
                () -> sampleExplainer().setInputCol("note").transform(images));
        assertEquals("LrpExplainer: inputCol 'note' must be binary (encoded image bytes), but is string", notBinary.getMessage());

        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> sampleExplainer().transformSchema(
                images.drop("content").schema()));
        assertTrue(missing.getMessage().startsWith("LrpExplainer: inputCol 'content' is not a column of the input"), missing.getMessage());

        IllegalArgumentException label = assertThrows(IllegalArgumentException.class,
                () -> sampleExplainer().setTarget("label").setLabelCol("weight").transform(images));
        assertEquals("LrpExplainer: labelCol (target is label) 'weight' must be an integer class index, but is double", label.getMessage());

        Dataset<Row> withHeatmap = images.withColumn("heatmap", images.col("weight"));
        IllegalArgumentException exists = assertThrows(IllegalArgumentException.class, () -> sampleExplainer().transform(withHeatmap));
        assertEquals("LrpExplainer: output column 'heatmap' already exists in the input; drop or rename it, or set outputPrefix "
                + "(e.g. \"lrp_\")", exists.getMessage());
        assertTrue(List.of(sampleExplainer().setOutputPrefix("lrp_").transform(withHeatmap).columns()).contains("lrp_heatmap"));

        IllegalArgumentException both = assertThrows(IllegalArgumentException.class,
                () -> sampleExplainer().setPreset("epsilon-plus").setRules("0-:epsilon=0.25").transform(images));
        assertEquals("LrpExplainer: set either rules or preset, not both", both.getMessage());
    }

    @Test
    void paramsAreValidatedWhenSetAndAgainstTheModelWhenTransforming() {
        assertThrows(IllegalArgumentException.class, () -> new LrpExplainer().setPreset("no-such-preset"));
        assertThrows(IllegalArgumentException.class, () -> new LrpExplainer().setBatchSize(0));
        assertThrows(IllegalArgumentException.class, () -> new LrpExplainer().setTarget("largest"));
        assertThrows(IllegalArgumentException.class, () -> new LrpExplainer().setStd(0.5, 0));
        IllegalArgumentException noModel = assertThrows(IllegalArgumentException.class, () -> new LrpExplainer().transform(images));
        assertEquals("LrpExplainer: no model; call setModelPath", noModel.getMessage());

        IllegalArgumentException size = assertThrows(IllegalArgumentException.class,
                () -> sampleExplainer().setImageSize(32, 32).transform(images));
        assertTrue(size.getMessage().contains("takes [1, 28, 28]; set color and imageSize to match"), size.getMessage());
        IllegalArgumentException target = assertThrows(IllegalArgumentException.class, () -> sampleExplainer().setTarget(10).transform(images));
        assertTrue(target.getMessage().startsWith("LrpExplainer: target 10 is not a class of"), target.getMessage());
    }
}
