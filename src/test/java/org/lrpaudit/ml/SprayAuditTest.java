package org.lrpaudit.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lrpaudit.SparkTest;
import org.lrpaudit.TestImages;
import org.lrpaudit.cli.Requests;
import org.lrpaudit.cli.Settings;
import org.lrpaudit.job.AuditJob;

/** The dataset audit as a stage of its own: the command line's tables from a DataFrame, and from the explainer's output. */
class SprayAuditTest extends SparkTest {
    @TempDir static Path tmp;
    static Path input, out;

    /** 25 images of each class (SpRAy clusters classes of at least 20) through the command line, SpRAy on. */
    @BeforeAll
    static void commandLineAudit() throws IOException {
        input = tmp.resolve("in");
        out = tmp.resolve("out");
        TestImages.copySample(input, 25);
        AuditJob.run(Requests.audit(Settings.parse(new String[] {"--config", TestImages.SAMPLE_CONFIG, "--input", input.toString(),
                "--output", out.toString()})));
    }

    static List<String> sortedRows(Dataset<Row> table, String... columns) {
        List<String> rows = new ArrayList<>();
        for (Row r : table.selectExpr(columns).collectAsList()) rows.add(r.toString());
        rows.sort(null);
        return rows;
    }

    static Dataset<Row> read(String name) { return spark.read().parquet(out.resolve(name).toString()); }

    @Test
    void theJobsImagesGiveTheJobsClassesClustersAndFindings() {
        SprayAudit.Result audit = new SprayAudit().run(read("images"));
        assertEquals(sortedRows(read("classes"), "target", "count", "labelled", "accuracy", "mean_entropy"),
                sortedRows(audit.classes(), "target", "count", "labelled", "accuracy", "mean_entropy"));
        String[] cluster = {"target", "cluster", "size", "share", "label_agreement", "mean_border_share"};
        assertEquals(sortedRows(read("clusters"), cluster), sortedRows(audit.clusters(), cluster));
        assertEquals(sortedRows(read("image_clusters"), "image_id", "target", "cluster"),
                sortedRows(audit.imageClusters(), "image_id", "target", "cluster"));
        List<String> findings = sortedRows(read("findings"), "rank", "target", "cluster", "kind", "score", "images", "reason");
        assertFalse(read("clusters").isEmpty(), "the sample is large enough to cluster");
        assertFalse(findings.isEmpty(), "the sample has findings to compare");
        assertEquals(findings, sortedRows(audit.findings(), "rank", "target", "cluster", "kind", "score", "images", "reason"));
    }

    @Test
    void runsOnTheExplainersOutputWithItsColumnNames() throws IOException {
        List<Row> rows = new ArrayList<>();
        List<String> classes = TestImages.classNames();
        for (int c = 0; c < 3; c++) {
            try (var files = Files.list(input.resolve(classes.get(c)))) {
                for (Path f : files.sorted().toList()) rows.add(RowFactory.create(f.getFileName().toString(), Files.readAllBytes(f), c));
            }
        }
        rows.add(RowFactory.create("broken.png", new byte[] {1}, 0)); // a failed row: left out of the audit
        Dataset<Row> images = spark.createDataFrame(rows, new StructType().add("file", DataTypes.StringType)
                .add("bytes", DataTypes.BinaryType).add("truth", DataTypes.IntegerType));
        Dataset<Row> explained = LrpExplainerTest.sampleExplainer().setInputCol("bytes").setOutputPrefix("lrp_").transform(images);

        SprayAudit spray = new SprayAudit().setIdCol("file").setLabelCol("truth").setExplanationPrefix("lrp_").setMaxClusters(4);
        SprayAudit.Result audit = spray.run(explained);
        long explainedRows = 0;
        for (Row c : audit.classes().collectAsList()) explainedRows += c.<Long>getAs("count");
        assertEquals(75, explainedRows);
        Set<String> ids = new HashSet<>();
        for (Row r : audit.imageClusters().collectAsList()) ids.add(r.getAs("image_id"));
        assertFalse(ids.contains("broken.png"));
        assertTrue(ids.size() > 0 && ids.stream().allMatch(id -> id.endsWith(".png")), ids.toString());
        for (Row c : audit.clusters().collectAsList()) assertTrue(c.<Integer>getAs("cluster") < 4);

        String saved = tmp.resolve("spray-stage").toString();
        spray.write().overwrite().save(saved);
        assertEquals(LrpExplainerTest.paramValues(spray), LrpExplainerTest.paramValues(SprayAudit.load(saved)));
        assertEquals(4, SprayAudit.load(saved).getMaxClusters());

        IllegalArgumentException noPrefix = assertThrows(IllegalArgumentException.class, () -> new SprayAudit().setIdCol("file").run(explained));
        assertTrue(noPrefix.getMessage().startsWith("SprayAudit: no column 'target': the input is not an LrpExplainer's output"),
                noPrefix.getMessage());
    }
}
