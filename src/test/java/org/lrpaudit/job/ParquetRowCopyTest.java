package org.lrpaudit.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.MessageTypeParser;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lrpaudit.SparkTest;
import org.lrpaudit.output.Columns;

/**
 * {@link ParquetRowCopy} against Spark: files Spark wrote (both list layouts, several row groups, nulls at every level,
 * empty arrays, maps) are copied with 0, 1 or 2 copies per row, and Spark reads back exactly the rows a filter and
 * repeat of the source gives, in the source's schema and footer metadata.
 */
class ParquetRowCopyTest extends SparkTest {
    @TempDir Path tmp;

    static final StructType SCHEMA = new StructType().add("id", DataTypes.StringType, false).add("label", DataTypes.IntegerType)
            .add("hash", DataTypes.StringType).add("x", DataTypes.DoubleType).add("n", DataTypes.LongType).add("flag", DataTypes.BooleanType)
            .add("bytes", DataTypes.BinaryType).add("heatmap", DataTypes.createArrayType(DataTypes.FloatType, false), false)
            .add("names", DataTypes.createArrayType(DataTypes.StringType, true))
            .add("concepts", DataTypes.createMapType(DataTypes.StringType, DataTypes.createArrayType(DataTypes.FloatType, false), false));

    /** Row i: copies i % 3, except rows without a hash (none); some of every kind of null. */
    static List<Row> rows(int n) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float[] heatmap = new float[i % 7 == 0 ? 0 : 50 + i % 5];
            for (int j = 0; j < heatmap.length; j++) heatmap[j] = (float) Math.sin(i * 31.0 + j);
            rows.add(RowFactory.create("r" + i, i % 5 == 0 ? null : i % 10, i % 11 == 0 ? null : "h" + i, i % 4 == 0 ? null : i * 0.5,
                    (long) i << 33, i % 2 == 0, i % 6 == 0 ? null : new byte[] {(byte) i, 1, 2},
                    heatmap, i % 3 == 0 ? null : new String[] {"a" + i, null, "b"},
                    i % 4 == 1 ? null : Map.of("layer" + i % 2, new float[] {i, 1f}, "other", new float[0])));
        }
        return rows;
    }

    static int copies(Object[] keys) { return keys[2] == null ? 0 : Integer.parseInt(((String) keys[0]).substring(1)) % 3; }

    /**
     * Both list layouts, and pages of Parquet's version 2 (which the bulk float copy does not read: the file is copied
     * value by value instead). The heatmap goes in bulk where it can.
     */
    @Test
    void copiesChosenRowsExactlyInBothListLayoutsAndPageVersions() throws IOException {
        for (String layout : List.of("two-level", "three-level", "two-level-v2")) {
            boolean twoLevel = layout.startsWith("two"), v2 = layout.endsWith("v2");
            Path source = write(layout, twoLevel, v2);
            Path target = tmp.resolve("copy-" + layout);
            Files.createDirectories(target);
            ParquetRowCopy copier = new ParquetRowCopy(CompressionCodecName.SNAPPY, Set.of());
            long written = 0;
            for (Path part : parts(source)) {
                Path out = target.resolve(part.getFileName().toString());
                ParquetRowCopy.Result r = copier.copy(new Configuration(), hadoop(part), hadoop(out), List.of("id", "label", "hash"), ParquetRowCopyTest::copies, null);
                written += r.written();
                assertEquals(v2 ? 0 : 1, r.bulkColumns(), layout + ": the heatmap in bulk");
                if (r.written() > 0) {
                    ParquetMetadata from = footer(part), to = footer(out);
                    assertEquals(from.getFileMetaData().getSchema(), to.getFileMetaData().getSchema());
                    assertEquals(from.getFileMetaData().getKeyValueMetaData(), to.getFileMetaData().getKeyValueMetaData());
                    assertTrue(from.getBlocks().size() > 1, "the source has several row groups");
                }
            }
            List<Row> expected = new ArrayList<>();
            for (Row r : spark.read().parquet(source.toString()).collectAsList()) {
                for (int i = 0; i < copies(new Object[] {r.get(0), r.get(1), r.get(2)}); i++) expected.add(r);
            }
            assertEquals(expected.size(), written);
            assertTrue(written > 100);
            assertEquals(sorted(expected), sorted(spark.read().parquet(target.toString()).collectAsList()), layout);
        }
    }

    @Test
    void nulledColumnsAreNullAndTheRestIsCopied() throws IOException {
        Path source = write("nulled", true), target = tmp.resolve("nulled-copy");
        Files.createDirectories(target);
        ParquetRowCopy copier = new ParquetRowCopy(CompressionCodecName.SNAPPY, Set.of("concepts"));
        for (Path part : parts(source)) {
            copier.copy(new Configuration(), hadoop(part), hadoop(target.resolve(part.getFileName().toString())), List.of("id", "label", "hash"), k -> 1, null);
        }
        List<Row> copied = sorted(spark.read().parquet(target.toString()).collectAsList()), original = sorted(spark.read().parquet(source.toString()).collectAsList());
        assertEquals(original.size(), copied.size());
        for (int i = 0; i < copied.size(); i++) {
            assertNull(copied.get(i).get(9));
            for (int c = 0; c < 9; c++) assertEquals(original.get(i).get(c) instanceof byte[] b ? List.of(b) : original.get(i).get(c),
                    copied.get(i).get(c) instanceof byte[] b ? List.of(b) : copied.get(i).get(c));
        }
    }

    /**
     * The heatmap's statistics in the copy (chunk min, max, nulls; the page index's min and max) are those parquet-mr
     * writes for the same rows. Each case is one row of special values (NaN, -0.0 beside 0.0, only -0.0, infinities,
     * only negatives) among rows of 0.0, so that the page's extremes are that row's; all rows kept or every third left
     * out, against Spark's write of the kept rows.
     */
    @Test
    void heatmapStatisticsAreParquetsOwnForSpecialValues() throws IOException {
        float[][] special = {{0.5f, Float.NaN, -2f}, {0.0f, -0.0f, 0.0f}, {-0.0f, -0.0f}, {Float.NEGATIVE_INFINITY, 1f, Float.POSITIVE_INFINITY},
                {-3f, -1f}, {Float.NaN}, {2f, 7f}};
        int n = 0;
        for (int skip : new int[] {0, 3}) {
            for (float[] values : special) {
                for (int at : new int[] {0, 5}) { // first row of the page, or a later one
                    List<Row> all = new ArrayList<>(), kept = new ArrayList<>();
                    for (int i = 0; i < 10; i++) {
                        Row r = RowFactory.create("r" + i, 1, "h" + i, 0.5, 1L, true, null, i == at ? values : new float[] {0.0f}, null, Map.of());
                        all.add(r);
                        if (skip == 0 || i % skip != 0) kept.add(r);
                    }
                    String name = "special-" + n++;
                    Path source = tmp.resolve(name), expected = tmp.resolve(name + "-expected"), target = tmp.resolve(name + "-copy.parquet");
                    spark.conf().set(Columns.LIST_LAYOUT_SETTING, "true");
                    try {
                        spark.createDataFrame(all, SCHEMA).coalesce(1).write().options(LrpAudit.parquetOptions()).parquet(source.toString());
                        spark.createDataFrame(kept, SCHEMA).coalesce(1).write().options(LrpAudit.parquetOptions()).parquet(expected.toString());
                    } finally {
                        spark.conf().unset(Columns.LIST_LAYOUT_SETTING);
                    }
                    int leaveOut = skip;
                    ParquetRowCopy.Result r = new ParquetRowCopy(CompressionCodecName.SNAPPY, Set.of()).copy(new Configuration(), hadoop(parts(source).get(0)),
                            hadoop(target), List.of("id", "label", "hash"), k -> leaveOut != 0 && Integer.parseInt(((String) k[0]).substring(1)) % leaveOut == 0 ? 0 : 1, null);
                    assertEquals(1, r.bulkColumns(), "the heatmap in bulk");
                    assertEquals(heatmapStatistics(parts(expected).get(0)), heatmapStatistics(target), java.util.Arrays.toString(values) + " at " + at + ", skip " + skip);
                }
            }
        }
    }

    /** The heatmap column's chunk statistics and its page index's min and max, as text. */
    private static String heatmapStatistics(Path part) throws IOException {
        try (var reader = ParquetFileReader.open(HadoopInputFile.fromPath(hadoop(part), new Configuration()))) {
            StringBuilder out = new StringBuilder();
            for (var block : reader.getFooter().getBlocks()) {
                for (var chunk : block.getColumns()) {
                    if (!chunk.getPath().toDotString().equals("heatmap.array")) continue;
                    var index = reader.readColumnIndex(chunk);
                    out.append(chunk.getStatistics()).append(" nulls ").append(chunk.getStatistics().getNumNulls()).append(" pages ")
                            .append(index == null ? "none" : index.getMinValues().stream().map(b -> b.order(java.nio.ByteOrder.LITTLE_ENDIAN).getFloat(0)).toList()
                                    + " " + index.getMaxValues().stream().map(b -> b.order(java.nio.ByteOrder.LITTLE_ENDIAN).getFloat(0)).toList()
                                    + " null pages " + index.getNullPages());
                }
            }
            return out.toString();
        }
    }

    /**
     * A column tries a dictionary in the copy only where the source's writer kept one: label (10 values) does, the
     * heatmap floats (never repeating) do not, and with the writer told not to, label does not either.
     */
    @Test
    void dictionaryEncodingFollowsTheSource() throws IOException {
        for (boolean labelDictionary : new boolean[] {true, false}) {
            Path source = tmp.resolve("dictionary-" + labelDictionary), out = tmp.resolve("dictionary-copy-" + labelDictionary + ".parquet");
            spark.createDataFrame(rows(600), SCHEMA).coalesce(1).write().option("parquet.enable.dictionary#label", Boolean.toString(labelDictionary))
                    .parquet(source.toString());
            Path part = parts(source).get(0);
            new ParquetRowCopy(CompressionCodecName.SNAPPY, Set.of()).copy(new Configuration(), hadoop(part), hadoop(out), List.of("id", "label", "hash"), k -> 1, null);
            Map<String, Boolean> from = dictionaryPages(part), to = dictionaryPages(out);
            assertEquals(from, to);
            assertEquals(labelDictionary, to.get("label"));
            assertEquals(false, to.get("heatmap.list.element"));
        }
    }

    private static Map<String, Boolean> dictionaryPages(Path part) throws IOException {
        Map<String, Boolean> out = new java.util.TreeMap<>();
        for (var chunk : footer(part).getBlocks().get(0).getColumns()) out.put(chunk.getPath().toDotString(), chunk.hasDictionaryPage());
        return out;
    }

    @Test
    void aSourceInAnotherSchemaIsLeftAlone() throws IOException {
        Path source = write("other", true), out = tmp.resolve("other-copy.parquet");
        ParquetRowCopy copier = new ParquetRowCopy(CompressionCodecName.SNAPPY, Set.of());
        var other = MessageTypeParser.parseMessageType("message spark_schema { required binary id (STRING); }");
        assertNull(copier.copy(new Configuration(), hadoop(parts(source).get(0)), hadoop(out), List.of("id", "label", "hash"), k -> 1, other));
        assertFalse(Files.exists(out));
    }

    /** images/ of this version are in {@link CarriedRows#layout}, the schema the copy requires of a baseline's files. */
    @Test
    void imagesLayoutIsWhatTheJobWrites() throws IOException {
        Path images = tmp.resolve("images");
        LrpAudit.writeImages(spark.createDataFrame(List.of(exampleResult()), Columns.RESULT), images.toString(), SaveMode.ErrorIfExists);
        for (Path part : parts(images)) assertEquals(CarriedRows.layout(true), footer(part).getFileMetaData().getSchema());
    }

    private static Row exampleResult() {
        Object[] v = new Object[Columns.RESULT.size()];
        for (int k = 0; k < v.length; k++) {
            var t = Columns.RESULT.fields()[k].dataType();
            if (t.equals(DataTypes.StringType)) v[k] = "s";
            else if (t.equals(DataTypes.IntegerType)) v[k] = 1;
            else if (t.equals(DataTypes.DoubleType)) v[k] = 0.5;
            else if (t.equals(Columns.CONCEPTS_TYPE)) v[k] = null;
            else v[k] = new float[] {1f, 2f};
        }
        v[Columns.RESULT.fieldIndex("error")] = null;
        v[Columns.RESULT.fieldIndex("error_stage")] = null;
        return RowFactory.create(v);
    }

    private Path write(String name, boolean twoLevel) { return write(name, twoLevel, false); }

    /** 600 rows in 2 files of several row groups; the heatmap without dictionary, as images/ writes it. */
    private Path write(String name, boolean twoLevel, boolean pageV2) {
        Path dir = tmp.resolve(name);
        spark.conf().set(Columns.LIST_LAYOUT_SETTING, Boolean.toString(twoLevel));
        try {
            spark.createDataFrame(rows(600), SCHEMA).coalesce(2).write().option("parquet.block.size", "16384").options(LrpAudit.parquetOptions())
                    .option("parquet.writer.version", pageV2 ? "PARQUET_2_0" : "PARQUET_1_0").parquet(dir.toString());
        } finally {
            spark.conf().unset(Columns.LIST_LAYOUT_SETTING);
        }
        return dir;
    }

    private static List<Row> sorted(List<Row> rows) {
        List<Row> out = new ArrayList<>(rows.stream().map(ParquetRowCopyTest::comparable).toList());
        out.sort(Comparator.comparing(Row::toString));
        return out;
    }

    /** byte[] compares by identity in Row.equals: as a list. */
    private static Row comparable(Row r) {
        Object[] v = new Object[r.size()];
        for (int i = 0; i < v.length; i++) v[i] = r.get(i) instanceof byte[] b ? java.util.Arrays.toString(b) : r.get(i);
        return RowFactory.create(v);
    }

    private static org.apache.hadoop.fs.Path hadoop(Path p) { return new org.apache.hadoop.fs.Path(p.toUri()); }

    private static ParquetMetadata footer(Path part) throws IOException {
        try (var reader = ParquetFileReader.open(HadoopInputFile.fromPath(hadoop(part), new Configuration()))) {
            return reader.getFooter();
        }
    }

    private static List<Encoding> encodings(Path part, String column) throws IOException {
        List<Encoding> out = new ArrayList<>();
        for (var block : footer(part).getBlocks()) {
            for (var chunk : block.getColumns()) if (chunk.getPath().toDotString().equals(column)) out.addAll(chunk.getEncodings());
        }
        return out;
    }

    private static List<Path> parts(Path table) throws IOException {
        try (var files = Files.list(table)) {
            List<Path> parts = files.filter(f -> f.getFileName().toString().endsWith(".parquet")).sorted().toList();
            assertFalse(parts.isEmpty(), "no Parquet files in " + table);
            return parts;
        }
    }
}
