package org.lrpaudit.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lrpaudit.SparkTest;
import org.lrpaudit.TestImages;
import org.lrpaudit.cli.Requests;
import org.lrpaudit.cli.Settings;
import org.lrpaudit.output.Columns;

/**
 * How images/ lands in Parquet: float arrays in the two-level list layout without dictionary encoding, read back
 * equal by Spark and by parquet-mr's own record reader (no Spark involved); a user's layout setting wins.
 */
class ImagesLayoutTest extends SparkTest {
    static final String LEGACY = Columns.LIST_LAYOUT_SETTING;
    @TempDir Path tmp;

    private Dataset<Row> explainedSample() throws IOException {
        List<Row> rows = new ArrayList<>();
        try (var files = Files.list(TestImages.SAMPLE_IMAGES.resolve(TestImages.classNames().get(0)))) {
            for (Path f : files.sorted().limit(5).toList()) rows.add(RowFactory.create(f.getFileName().toString(), Files.readAllBytes(f)));
        }
        StructType schema = new StructType().add("image_id", DataTypes.StringType).add("content", DataTypes.BinaryType);
        ExplainSetup setup = Requests.explainSetup(Settings.parse(new String[] {"--config", TestImages.SAMPLE_CONFIG}));
        return LrpAudit.explain(spark.createDataFrame(rows, schema), setup, LrpAudit.Options.defaults());
    }

    @Test
    void heatmapsUseTheTwoLevelLayoutAndReadBackEqualWithoutSpark() throws IOException {
        Path images = tmp.resolve("images");
        LrpAudit.writeImages(explainedSample(), images.toString(), SaveMode.ErrorIfExists);
        assertFalse(spark.conf().contains(LEGACY), "the layout setting is removed after the write");

        Map<String, List<Float>> bySpark = new HashMap<>();
        for (Row r : spark.read().parquet(images.toString()).collectAsList()) bySpark.put(r.getAs("image_id"), r.getList(r.fieldIndex("heatmap")));
        assertEquals(5, bySpark.size());
        int compared = 0;
        for (Path part : parts(images)) {
            assertFalse(encodings(part, "heatmap.array").stream().anyMatch(Encoding::usesDictionary));
            assertTrue(encodings(part, "heatmap.list.element").isEmpty(), "no three-level heatmap column");
            try (ParquetReader<Group> reader = ParquetReader.builder(new GroupReadSupport(), new org.apache.hadoop.fs.Path(part.toUri())).build()) {
                for (Group g = reader.read(); g != null; g = reader.read()) {
                    List<Float> expected = bySpark.get(g.getString("image_id", 0));
                    Group heatmap = g.getGroup("heatmap", 0);
                    assertEquals(28 * 28, expected.size());
                    assertEquals(expected.size(), heatmap.getFieldRepetitionCount("array"));
                    for (int i = 0; i < expected.size(); i++) assertEquals(expected.get(i), heatmap.getFloat("array", i), 0f);
                    compared++;
                }
            }
        }
        assertEquals(5, compared);
    }

    @Test
    void aLayoutTheUserSetWins() throws IOException {
        spark.conf().set(LEGACY, "false");
        try {
            Path images = tmp.resolve("standard");
            LrpAudit.writeImages(explainedSample(), images.toString(), SaveMode.ErrorIfExists);
            assertEquals("false", spark.conf().get(LEGACY));
            for (Path part : parts(images)) {
                List<Encoding> heatmap = encodings(part, "heatmap.list.element");
                assertFalse(heatmap.isEmpty(), "three-level heatmap column");
                assertFalse(heatmap.stream().anyMatch(Encoding::usesDictionary), "the dictionary stays off in this layout too");
            }
            assertEquals(5, spark.read().parquet(images.toString()).count());
        } finally {
            spark.conf().unset(LEGACY);
        }
    }

    /**
     * The writer options switch dictionary encoding off for exactly the float-array columns. Real heatmaps never keep a
     * dictionary (Parquet drops it once it stops paying), so this writes arrays of few distinct values, where Parquet
     * would keep one: with the options the arrays are plain and a string column still has its dictionary; without them
     * the same arrays are dictionary-encoded.
     */
    @Test
    void writerOptionsTurnOffDictionaryForFloatArraysOnly() throws IOException {
        StructType schema = new StructType().add(Columns.PREDICTED_NAME, DataTypes.StringType)
                .add(Columns.HEATMAP, DataTypes.createArrayType(DataTypes.FloatType, false));
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 500; i++) rows.add(RowFactory.create(i % 2 == 0 ? "trouser" : "bag", new float[] {0f, 0.5f, i % 3}));
        Dataset<Row> table = spark.createDataFrame(rows, schema).coalesce(1);
        for (String legacy : List.of("true", "false")) {
            String heatmap = legacy.equals("true") ? "heatmap.array" : "heatmap.list.element";
            spark.conf().set(LEGACY, legacy);
            try {
                Path plain = tmp.resolve("plain" + legacy), dictionary = tmp.resolve("dictionary" + legacy);
                table.write().options(LrpAudit.parquetOptions()).parquet(plain.toString());
                table.write().parquet(dictionary.toString());
                for (Path part : parts(plain)) {
                    assertFalse(encodings(part, heatmap).stream().anyMatch(Encoding::usesDictionary), heatmap);
                    assertTrue(encodings(part, "predicted_name").stream().anyMatch(Encoding::usesDictionary));
                }
                for (Path part : parts(dictionary)) {
                    assertTrue(encodings(part, heatmap).stream().anyMatch(Encoding::usesDictionary), "without the options: " + heatmap);
                }
            } finally {
                spark.conf().unset(LEGACY);
            }
        }
    }

    private static List<Path> parts(Path table) throws IOException {
        try (var files = Files.list(table)) {
            List<Path> parts = files.filter(f -> f.getFileName().toString().endsWith(".parquet")).toList();
            assertFalse(parts.isEmpty(), "no Parquet files in " + table);
            return parts;
        }
    }

    /** The encodings of one column across a file's row groups; empty if the file has no such column. */
    private static List<Encoding> encodings(Path part, String column) throws IOException {
        List<Encoding> out = new ArrayList<>();
        try (var reader = ParquetFileReader.open(HadoopInputFile.fromPath(new org.apache.hadoop.fs.Path(part.toUri()), new Configuration()))) {
            for (var block : reader.getFooter().getBlocks()) {
                for (var chunk : block.getColumns()) if (chunk.getPath().toDotString().equals(column)) out.addAll(chunk.getEncodings());
            }
        }
        return out;
    }
}
