package org.lrpaudit.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lrpaudit.SparkTest;
import org.apache.spark.sql.Row;

/** Task sizing: the formula, and a folder input cut into the tasks it asks for. */
class PartitioningTest extends SparkTest {
    @TempDir Path tmp;

    @Test
    void atLeastThreeTasksPerSlotAtMostTwoThousandImagesEach() {
        assertEquals(6, Partitioning.partitions(1_000, 2));
        assertEquals(3, Partitioning.partitions(1_000, 1));
        assertEquals(2, Partitioning.partitions(2, 8), "never more tasks than images");
        assertEquals(500, Partitioning.partitions(1_000_000, 2));
        assertEquals(1, Partitioning.partitions(0, 2));
    }

    /** 400 files of 100 B to 20 KB in two class folders plus a hidden one: the asked-for tasks, every file once. */
    @Test
    void folderInputIsCutIntoTheRequestedTasks() throws IOException {
        Random random = new Random(3);
        for (int i = 0; i < 400; i++) {
            Path f = tmp.resolve((i % 2 == 0 ? "a" : "b") + "/img" + i + ".png");
            Files.createDirectories(f.getParent());
            Files.write(f, new byte[100 + random.nextInt(20_000)]);
        }
        Files.createDirectories(tmp.resolve(".hidden"));
        Files.write(tmp.resolve(".hidden/x.png"), new byte[10]);
        DatasetSources.Source source = DatasetSources.imageFolder(spark, tmp.toString(), List.of("a", "b"));
        assertEquals(400, source.count(), "hidden folders are not listed");
        int wanted = Partitioning.partitions(400, spark.sparkContext().defaultParallelism());
        assertEquals(wanted, source.rows().rdd().getNumPartitions());
        List<Row> rows = source.rows().collectAsList();
        assertEquals(400, rows.size());
        assertEquals(400, rows.stream().map(r -> r.getString(0)).distinct().count());
        for (Row r : rows) {
            Path file = tmp.resolve(r.getString(0));
            assertArrayEquals(Files.readAllBytes(file), (byte[]) r.get(2), r.getString(0));
            assertEquals(file.getParent().getFileName().toString(), r.getString(4), "label from the folder");
        }
    }
}
