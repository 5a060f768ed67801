package org.lrpaudit.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lrpaudit.Arrays2;
import org.lrpaudit.SparkTest;
import org.lrpaudit.TestImages;
import org.lrpaudit.cli.Requests;
import org.lrpaudit.cli.Settings;

/** The pipeline called from Java code that has its own SparkSession and Dataset, and the Parquet-table input. */
class LrpAuditApiTest extends SparkTest {
    @TempDir Path tmp;

    private Dataset<Row> table(boolean withLabels) throws IOException {
        List<Row> rows = new ArrayList<>();
        List<String> classes = TestImages.classNames();
        for (int c = 0; c < 3; c++) {
            try (var files = Files.list(TestImages.SAMPLE_IMAGES.resolve(classes.get(c)))) {
                for (Path f : files.sorted().limit(3).toList()) {
                    rows.add(withLabels ? RowFactory.create("img-" + f.getFileName(), Files.readAllBytes(f), c)
                            : RowFactory.create("img-" + f.getFileName(), Files.readAllBytes(f)));
                }
            }
        }
        StructType schema = new StructType().add("image_id", DataTypes.StringType).add("content", DataTypes.BinaryType);
        if (withLabels) schema = schema.add("label", DataTypes.IntegerType);
        return spark.createDataFrame(rows, schema);
    }

    @Test
    void explainTakesAUsersDatasetWithOnlyIdsAndBytes() throws IOException {
        ExplainSetup setup = Requests.explainSetup(Settings.parse(new String[] {"--config", TestImages.SAMPLE_CONFIG}));
        Dataset<Row> result = LrpAudit.explain(table(false), setup, LrpAudit.Options.defaults());
        List<Row> explained = LrpAudit.explained(result).collectAsList();
        assertEquals(9, explained.size());
        assertEquals(0, LrpAudit.failures(result).count());
        for (Row r : explained) assertNull(r.getAs("label"));
    }

    @Test
    void missingRequiredColumnIsAClearError() {
        ExplainSetup setup = Requests.explainSetup(Settings.parse(new String[] {"--config", TestImages.SAMPLE_CONFIG}));
        Dataset<Row> noContent = spark.range(3).toDF("image_id");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LrpAudit.explain(noContent, setup, LrpAudit.Options.defaults()));
        assertEquals(true, e.getMessage().contains("no 'content' column"), e.getMessage());
    }

    @Test
    void parquetTableInputMatchesTheApi() throws IOException {
        Path tablePath = tmp.resolve("table");
        table(true).withColumnRenamed("content", "image").write().parquet(tablePath.toString());
        Path out = tmp.resolve("out");
        AuditJob.Result r = AuditJob.run(Requests.audit(Settings.parse(new String[] {"--config", TestImages.SAMPLE_CONFIG,
                "--input", tablePath.toString(), "--output", out.toString(), "--target", "label"})));
        assertEquals(9, r.input());
        assertEquals(9, r.explained());
        Map<String, Row> rows = spark.read().parquet(out.resolve("images").toString()).collectAsList().stream()
                .collect(Collectors.toMap(x -> x.getAs("image_id"), x -> x));
        for (Row row : rows.values()) assertEquals((int) row.getAs("label"), (int) row.getAs("target"), "--target label");

        ExplainSetup setup = Requests.explainSetup(Settings.parse(new String[] {"--config", TestImages.SAMPLE_CONFIG, "--target", "label"}));
        for (Row api : LrpAudit.explained(LrpAudit.explain(table(true), setup, LrpAudit.Options.defaults())).collectAsList()) {
            Row job = rows.get(api.<String>getAs("image_id"));
            Arrays2.assertClose(api.getList(api.fieldIndex("heatmap")), job.getList(job.fieldIndex("heatmap")), 1e-5, api.getAs("image_id"));
        }
    }
}
