package org.lrpaudit.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lrpaudit.SparkTest;
import org.lrpaudit.TestImages;
import org.lrpaudit.output.Columns;

/** The chunk cut a resumable run commits by: every input in exactly one chunk, the same on every run. */
class ChunksTest extends SparkTest {
    @TempDir Path tmp;

    static List<String> ids(org.apache.spark.sql.Dataset<Row> rows) {
        return rows.select(Columns.IMAGE_ID).collectAsList().stream().map(r -> r.getString(0)).toList();
    }

    /** Every input once across the chunks, chunk by chunk in the order of the whole. */
    static void coversOnce(DatasetSources.Source source, long size, boolean consecutive) {
        List<String> all = ids(source.rows()), joined = new ArrayList<>();
        int chunks = DatasetSources.chunkCount(source.count(), size);
        for (int k = 0; k < chunks; k++) {
            List<String> chunk = ids(source.chunks().chunk(k, size));
            assertEquals(chunk, ids(source.chunks().chunk(k, size)), "chunk " + k + " is the same cut every time");
            if (consecutive) assertEquals(k < chunks - 1 ? size : source.count() - k * size, chunk.size(), "chunk " + k);
            joined.addAll(chunk);
        }
        assertEquals(source.count(), joined.size());
        assertEquals(new HashSet<>(all), new HashSet<>(joined));
        assertEquals(all.size(), new HashSet<>(joined).size(), "no input in two chunks");
        if (consecutive) assertEquals(all, joined);
    }

    @Test
    void aFolderIsCutIntoConsecutiveRunsOfItsSortedListing() throws IOException {
        Path in = tmp.resolve("in");
        TestImages.copySample(in, 4); // 40 images
        DatasetSources.Source source = DatasetSources.imageFolder(spark, in.toString(), TestImages.classNames());
        coversOnce(source, 7, true);
        assertEquals(source.listing(), DatasetSources.imageFolder(spark, in.toString(), TestImages.classNames()).listing());
        Files.write(in.resolve("bag/zz-new.png"), new byte[] {1});
        assertNotEquals(source.listing(), DatasetSources.imageFolder(spark, in.toString(), TestImages.classNames()).listing(),
                "an added file changes the listing digest");
    }

    @Test
    void idxIsCutIntoIndexRanges() {
        DatasetSources.Source source = DatasetSources.idx(spark, TestImages.SAMPLE.resolve("idx/t10k-images-idx3-ubyte.gz").toString(),
                TestImages.classNames());
        assertEquals(200, source.count());
        coversOnce(source, 60, true); // 60, 60, 60, 20
        List<String> second = ids(source.chunks().chunk(1, 60));
        assertTrue(second.get(0).endsWith("#000060") && second.get(second.size() - 1).endsWith("#000119"), second.toString());
    }

    @Test
    void parquetIsCutByTheHashOfImageId() {
        StructType schema = new StructType().add("image_id", DataTypes.StringType).add("image", DataTypes.BinaryType);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 50; i++) rows.add(RowFactory.create("img-" + i, new byte[] {(byte) i}));
        String table = tmp.resolve("table").toString();
        spark.createDataFrame(rows, schema).repartition(3).write().parquet(table);
        DatasetSources.Source source = DatasetSources.parquet(spark, table, "image_id", "image", "label", TestImages.classNames());
        coversOnce(source, 12, false);
        Set<Integer> sizes = new HashSet<>();
        for (int k = 0; k < 5; k++) sizes.add(ids(source.chunks().chunk(k, 12)).size());
        assertTrue(sizes.stream().allMatch(n -> n > 0), "every chunk holds some rows: " + sizes);
    }
}
